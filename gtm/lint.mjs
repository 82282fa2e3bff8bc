// Checks the template's sandboxed code (gtm/src/code.js) against its permissions (gtm/src/template.mjs), both ways:
// every API it requires has the permission GTM's documentation names for it, with the keys it passes; no permission
// is granted that the code does not use; and the code stays within the sandbox (no `new`, no `this`, no global but
// `require` and `data`). `node gtm/lint.mjs` prints the problems and exits 1 when there are any.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { CODE } from './build.mjs';
import { CONSENT_TYPES, parameters, permissions } from './src/template.mjs';

/** The sandboxed APIs the code may use, and the permission each needs (https://developers.google.com/tag-platform/tag-manager/templates/api). */
const APIS = {
  createArgumentsQueue: 'access_globals',
  injectScript: 'inject_script',
  isConsentGranted: 'access_consent',
  addConsentListener: 'access_consent',
  logToConsole: 'logging',
  makeTableMap: null,
};
const SANDBOX_GLOBALS = new Set(['require', 'data', 'undefined']);

/** A permission's parameter as plain JSON (GTM's typed values decoded). */
function decode(value) {
  if (value.type == 1) return value.string;
  if (value.type == 8) return value.boolean;
  if (value.type == 2) return value.listItem.map(decode);
  if (value.type == 3) return Object.fromEntries(value.mapKey.map((key, i) => [decode(key), decode(value.mapValue[i])]));
  throw new Error('unknown permission value type ' + value.type);
}
export const granted = Object.fromEntries(
  permissions.map((entry) => [entry.instance.key.publicId, Object.fromEntries(entry.instance.param.map((param) => [param.key, decode(param.value)]))]),
);

/** The problems of `source` against the permissions; none is empty. */
export function lint(source = readFileSync(CODE, 'utf8')) {
  const problems = [];
  const file = ts.createSourceFile('code.js', source, ts.ScriptTarget.ES2015, true, ts.ScriptKind.JS);
  const declared = new Set();
  const required = new Map(); // local name -> API
  const calls = []; // [API, first arguments as literals or undefined]
  const visit = (node) => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name)) declared.add(node.name.text);
    if (ts.isParameter(node) && ts.isIdentifier(node.name)) declared.add(node.name.text);
    if (node.kind == ts.SyntaxKind.NewExpression) problems.push('`new` is not allowed in sandboxed code');
    if (node.kind == ts.SyntaxKind.ThisKeyword) problems.push('`this` is not allowed in sandboxed code');
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression)) {
      if (node.expression.text == 'require') {
        const [name] = node.arguments;
        if (!name || !ts.isStringLiteral(name)) problems.push('require() takes a literal API name');
        else if (!(name.text in APIS)) problems.push(`require('${name.text}'): not an API this lint knows the permission of`);
        else if (ts.isVariableDeclaration(node.parent)) required.set(node.parent.name.text, name.text);
      }
      calls.push(node);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  // free identifiers: only the sandbox's own
  const free = (node) => {
    if (ts.isIdentifier(node) && !declared.has(node.text) && !SANDBOX_GLOBALS.has(node.text)) {
      const parent = node.parent;
      const isName = (ts.isPropertyAccessExpression(parent) && parent.name == node) || (ts.isPropertyAssignment(parent) && parent.name == node);
      if (!isName) problems.push(`\`${node.text}\`: not in the sandbox (only require, data and what the code declares)`);
    }
    ts.forEachChild(node, free);
  };
  free(file);

  const used = new Set();
  const literal = (node) => (node && ts.isStringLiteral(node) ? node.text : undefined);
  for (const call of calls) {
    const api = required.get(call.expression.text);
    if (!api) continue;
    const needs = APIS[api];
    if (needs) used.add(needs);
    if (needs && !granted[needs]) problems.push(`${api} needs the ${needs} permission`);
    if (api == 'createArgumentsQueue') {
      for (const key of call.arguments.slice(0, 2).map(literal)) {
        const grant = (granted.access_globals?.keys || []).find((entry) => entry.key == key);
        if (!key) problems.push('createArgumentsQueue takes literal keys, for the lint to check them');
        else if (!grant || !grant.read || !grant.write) problems.push(`createArgumentsQueue('${key}'): access_globals must grant read and write on ${key}`);
      }
    }
  }
  // a global granted that no call uses
  const queued = calls.filter((call) => required.get(call.expression.text) == 'createArgumentsQueue').flatMap((call) => call.arguments.slice(0, 2).map(literal));
  for (const entry of granted.access_globals?.keys || []) {
    if (!queued.includes(entry.key)) problems.push(`access_globals grants ${entry.key}, which the code does not use`);
    if (entry.execute) problems.push(`access_globals grants execute on ${entry.key}: the code calls nothing through callInWindow`);
  }
  // consent types: exactly those the template's field offers, read only
  const field = parameters.find((parameter) => parameter.name == 'consentType');
  const offered = field ? field.selectItems.map((item) => item.value) : [];
  const readable = (granted.access_consent?.consentTypes || []).filter((entry) => entry.read).map((entry) => entry.consentType);
  for (const type of offered) if (!readable.includes(type)) problems.push(`the consentType field offers ${type}, which access_consent does not let it read`);
  for (const type of readable) if (!offered.includes(type)) problems.push(`access_consent reads ${type}, which the consentType field does not offer`);
  if ((granted.access_consent?.consentTypes || []).some((entry) => entry.write)) problems.push('access_consent grants write: the code only reads consent');
  if (offered.join() != CONSENT_TYPES.join()) problems.push('the consentType field and CONSENT_TYPES differ');
  // the bundle URL field's default must be injectable as granted
  const bundle = parameters.find((parameter) => parameter.name == 'bundleUrl');
  if (!matchesAny(bundle.defaultValue, granted.inject_script?.urls || [])) problems.push(`inject_script does not grant the bundle URL's default ${bundle.defaultValue}`);
  for (const id of Object.keys(granted)) if (!used.has(id)) problems.push(`the ${id} permission is granted, and no API the code requires needs it`);
  return [...new Set(problems)];
}

/**
 * GTM's URL match patterns: https only; a host exact or `*.` a subdomain of it; a path that matches exactly or, ending
 * in `*`, as a prefix.
 */
export function matches(url, pattern) {
  const at = pattern.match(/^https:\/\/([^/]+)(\/.*)?$/);
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (!at || parsed.protocol != 'https:') return false;
  const [, host, path = '/'] = at;
  const hostOk = host.startsWith('*.') ? parsed.hostname.endsWith(host.slice(1)) : parsed.hostname == host;
  const pathOk = path.endsWith('*') ? parsed.pathname.startsWith(path.slice(0, -1)) : parsed.pathname == path;
  return hostOk && pathOk;
}
export const matchesAny = (url, patterns) => patterns.some((pattern) => matches(url, pattern));

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const problems = lint();
  for (const problem of problems) console.error('gtm/src/code.js: ' + problem);
  process.exit(problems.length ? 1 : 0);
}
