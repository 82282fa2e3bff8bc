// td-js-sdk, Treasure Data's own browser SDK, as a site runs it: its bundle and its documented loader snippet, read
// from the installed package (a devDependency). The bench compares the tag with it; the end-to-end tests run both
// on one page (one visitor id).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const TD_DIR = path.dirname(createRequire(import.meta.url).resolve('td-js-sdk/package.json'));
/** td-js-sdk's browser bundle, as its CDN serves it. */
export const TD_BUNDLE = path.join(TD_DIR, 'dist', 'td.min.js');
export const TD_VERSION = JSON.parse(readFileSync(path.join(TD_DIR, 'package.json'), 'utf8')).version;

/**
 * td-js-sdk's documented loader snippet, the minified one from its README, as a function of where its bundle is:
 * `//host/path` (the snippet adds the page's scheme), or a JavaScript expression for one when `expression`.
 */
export const tdLoader = (() => {
  const readme = readFileSync(path.join(TD_DIR, 'README.md'), 'utf8');
  const found = /^!function\(t,e\)\{if\(void 0===e\[t\]\).*$/m.exec(readme);
  if (!found || !found[0].includes('"//cdn.treasuredata.com/sdk/4.4/td.min.js"')) {
    throw new Error(`td-js-sdk ${TD_VERSION}: its README no longer has the loader snippet expected here`);
  }
  return (bundle) => found[0].replace('//cdn.treasuredata.com/sdk/4.4/td.min.js', bundle);
})();
