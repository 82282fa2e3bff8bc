// @vitest-environment node
// The template as committed is the one gtm/build.mjs builds, and its code passes the permissions lint (and the
// lint catches what it is for). Run once, in Node: the subject is no browser's.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildTemplate, CODE, TEMPLATE } from './build.mjs';
import { granted, lint, matches } from './lint.mjs';

const code = readFileSync(CODE, 'utf8');

describe('gtm/template.tpl', () => {
  it('is what gtm/build.mjs builds from gtm/src/ (run `node gtm/build.mjs` after editing them)', () => {
    expect(readFileSync(TEMPLATE, 'utf8')).toBe(buildTemplate());
  });

  it('has the sections GTM exports, in its order, the code among them as written', () => {
    const template = readFileSync(TEMPLATE, 'utf8');
    const names = [...template.matchAll(/^___([A-Z_]+)___$/gm)].map((match) => match[1]);
    expect(names).toEqual(['TERMS_OF_SERVICE', 'INFO', 'TEMPLATE_PARAMETERS', 'SANDBOXED_JS_FOR_WEB_TEMPLATE', 'WEB_PERMISSIONS', 'TESTS', 'NOTES']);
    expect(template).toContain(code.trim());
    for (const json of ['INFO', 'TEMPLATE_PARAMETERS', 'WEB_PERMISSIONS']) {
      const body = template.split(`___${json}___`)[1].split(/\n___[A-Z_]+___\n/)[0];
      expect(() => JSON.parse(body), json).not.toThrow();
    }
  });
});

describe('the permissions lint', () => {
  it('passes the code as it is', () => {
    expect(lint()).toEqual([]);
  });

  it.each([
    ["a global the permissions do not grant", code.replace("createArgumentsQueue('p13n', 'p13n.q')", "createArgumentsQueue('p13n', 'p13nQueue')"), /access_globals must grant read and write on p13nQueue/],
    ['an API it does not know', `const setCookie = require('setCookie');\n` + code, /require\('setCookie'\): not an API/],
    ['window', code + '\nwindow.p13n = 1;', /`window`: not in the sandbox/],
    ['`new`', code + '\nconst d = new Date();', /`new` is not allowed/],
    ['a permission left unused', code.replace(/const logToConsole = require\('logToConsole'\);[^]*?logToConsole\([^)]*\);\n/, ''), /logging permission is granted, and no API/],
  ])('fails the code with %s', (_, source, problem) => {
    expect(lint(source).join('\n')).toMatch(problem);
  });

  it('reads the permissions as GTM encodes them', () => {
    expect(granted.access_globals.keys.map((entry) => entry.key)).toEqual(['p13n', 'p13n.q']);
    expect(granted.access_consent.consentTypes).toContainEqual({ consentType: 'personalization_storage', read: true, write: false });
  });

  it.each([
    ['https://cdn.jsdelivr.net/npm/p13n-tag@0.2.0/dist/p13n.min.js', 'https://cdn.jsdelivr.net/npm/p13n-tag@*', true],
    ['https://cdn.jsdelivr.net/npm/other/x.js', 'https://cdn.jsdelivr.net/npm/p13n-tag@*', false],
    ['http://cdn.jsdelivr.net/npm/p13n-tag@1/x.js', 'https://cdn.jsdelivr.net/npm/p13n-tag@*', false],
    ['https://static.shop.example/p13n.min.js', 'https://*.shop.example/*', true],
    ['https://evil.example/?https://static.shop.example/', 'https://*.shop.example/*', false],
  ])('matches %s against %s: %s', (url, pattern, expected) => {
    expect(matches(url, pattern)).toBe(expected);
  });
});
