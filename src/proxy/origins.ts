/** Which pages may use the proxy: its `origins` option, exact origins or `scheme://*.domain[:port]`. */

const PATTERN = /^(https?:\/\/)(\*\.)?([a-z0-9.-]+|\[[0-9a-f:.]+\])(:\d+)?$/;

/** A test of an `Origin` header against the list; throws, naming the entry, on one that is not an origin. */
export function originTest(origins: string[]): (origin: string | null) => boolean {
  if (!Array.isArray(origins) || !origins.length) {
    throw new Error('p13n proxy: origins must list the origins of the pages that may use it, e.g. ["https://www.shop.example"]');
  }
  const exact = new Set<string>();
  const suffixes: [scheme: string, suffix: string, port: string][] = [];
  for (const entry of origins) {
    const match = PATTERN.exec(typeof entry == 'string' ? entry.toLowerCase().replace(/\/$/, '') : '');
    if (!match) throw new Error(`p13n proxy: ${JSON.stringify(entry)} in origins is not an origin (scheme://host[:port], or scheme://*.domain)`);
    const [, scheme, wildcard, host, port = ''] = match;
    // through URL, so `https://shop.example:443` and the browser's `https://shop.example` are one origin
    const { origin, port: normalPort } = new URL(scheme + (wildcard ? 'x.' : '') + host + port);
    if (wildcard) suffixes.push([scheme, '.' + host, normalPort]);
    else exact.add(origin);
  }
  return (origin) => {
    if (!origin) return false;
    if (exact.has(origin)) return true;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    return suffixes.some(([scheme, suffix, port]) => url.protocol + '//' == scheme && url.port == port && url.hostname.endsWith(suffix));
  };
}
