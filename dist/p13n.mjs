export { V as VERSION, c as createClient } from './p13n-index.mjs';
