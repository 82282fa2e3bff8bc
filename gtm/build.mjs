// Builds gtm/template.tpl, the file GTM's template editor imports and the Community Template Gallery takes, from
// gtm/src/ (the code, and the other sections as data). `node gtm/build.mjs` writes it; `npm test` fails when the
// committed file is not what this builds (src/../gtm/template.test.mjs).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { info, notes, parameters, permissions, tests } from './src/template.mjs';

const TERMS = `By creating or modifying this file you agree to Google Tag Manager's Community
Template Gallery Developer Terms of Service available at
https://developers.google.com/tag-manager/gallery-tos (or such other URL as
Google may provide), as modified from time to time.`;

export const CODE = fileURLToPath(new URL('./src/code.js', import.meta.url));
export const TEMPLATE = fileURLToPath(new URL('./template.tpl', import.meta.url));

const section = (name, body) => `___${name}___\n\n${body.trim()}\n\n\n`;

/** The template's text: its sections in the order GTM exports them. */
export function buildTemplate() {
  return (
    section('TERMS_OF_SERVICE', TERMS) +
    section('INFO', JSON.stringify(info, null, 2)) +
    section('TEMPLATE_PARAMETERS', JSON.stringify(parameters, null, 2)) +
    section('SANDBOXED_JS_FOR_WEB_TEMPLATE', readFileSync(CODE, 'utf8')) +
    section('WEB_PERMISSIONS', JSON.stringify(permissions, null, 2)) +
    section('TESTS', tests) +
    section('NOTES', notes)
  ).trimEnd() + '\n';
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(TEMPLATE, buildTemplate());
  console.log('gtm/template.tpl written');
}
