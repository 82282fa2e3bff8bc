import type { P13nError } from '../types';

/** The README's table of errors: every message of the tag's own points there. */
export const ERRORS_URL = 'https://www.npmjs.com/package/p13n-tag#errors';

/**
 * A mistake in the page's use of the tag: a short, stable message naming the key or command at fault, and where
 * the table explains it. `debug: true` loads the module that explains each one at length in the console.
 */
export const problem = (code: P13nError['code'], what: string): P13nError => ({ code, message: `p13n: ${what}; see ${ERRORS_URL}` });
/** A command given what it does not take: `p13n: on: bad arguments; see ...`. */
export const usage = (command: string, what = 'bad arguments') => problem('usage', command + ': ' + what);
