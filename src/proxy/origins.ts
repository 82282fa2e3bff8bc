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
    const refused = (why: string) => new Error(`p13n proxy: ${JSON.stringify(entry)} in origins ${why}`);
    const match = PATTERN.exec(typeof entry == 'string' ? entry.toLowerCase().replace(/\/$/, '') : '');
    if (!match) throw refused('is not an origin (scheme://host[:port], or scheme://*.domain)');
    const [, scheme, wildcard, host, port = ''] = match;
    // a wildcard over a domain of one label (*.com) would let in every site under it
    if (wildcard && !/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(host)) throw refused('is a wildcard over a top-level domain or an address');
    let url: URL;
    try {
      // through URL, so `https://shop.example:443` and the browser's `https://shop.example` are one origin
      url = new URL(scheme + (wildcard ? 'x.' : '') + host + port);
    } catch {
      throw refused('is not an origin (scheme://host[:port], or scheme://*.domain)');
    }
    if (wildcard) suffixes.push([scheme, '.' + host, url.port]);
    else exact.add(url.origin);
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
    // only an origin as a browser writes it: nothing but scheme, host and port
    const under = (suffix: string) => url.hostname.endsWith(suffix) && /^[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(url.hostname.slice(0, -suffix.length));
    return url.origin == origin && suffixes.some(([scheme, suffix, port]) => url.protocol + '//' == scheme && url.port == port && under(suffix));
  };
}
