/** The ES module: `createClient` and the public types. Importing it touches no global. */
export { createClient, VERSION } from './core/client';
export type * from './types';
