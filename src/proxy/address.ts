/**
 * The visitor's address, as the service should see it. Anyone can send `X-Forwarded-For: 1.2.3.4`, so only the
 * entries the proxy's own load balancers added are true: the list is read from the right, past the addresses of
 * `trustedProxies`, and the first one that is not among them is the visitor's.
 */

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const MAPPED = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255];

function v4Bytes(text: string): number[] | undefined {
  const parts = (V4.exec(text) || []).slice(1).map(Number);
  return parts.length && parts.every((part) => part < 256) ? parts : undefined;
}

/** An address as 16 bytes, IPv4 as IPv4-mapped IPv6 (`::ffff:a.b.c.d`), so one comparison serves both. */
function bytesOf(address: string): number[] | undefined {
  const v4 = v4Bytes(address);
  if (v4) return [...MAPPED, ...v4];
  let text = address;
  const tail = /:(\d+\.\d+\.\d+\.\d+)$/.exec(text); // ::ffff:1.2.3.4
  if (tail) {
    const last = v4Bytes(tail[1]);
    if (!last) return;
    text = text.slice(0, -tail[1].length) + ((last[0] << 8) | last[1]).toString(16) + ':' + ((last[2] << 8) | last[3]).toString(16);
  }
  const halves = text.split('::');
  const groupsOf = (part = '') => (part ? part.split(':') : []);
  const [left, right] = [groupsOf(halves[0]), groupsOf(halves[1])];
  const missing = 8 - left.length - right.length;
  // `::` stands for one group of zeros or more; without it there must be 8
  if (halves.length > 2 || (halves.length == 2 ? missing < 1 : missing != 0)) return;
  const groups = [...left, ...Array<string>(missing).fill('0'), ...right];
  if (!groups.every((group) => /^[0-9a-f]{1,4}$/i.test(group))) return;
  return groups.flatMap((group) => [parseInt(group, 16) >> 8, parseInt(group, 16) & 255]);
}

/** The address as the service should read it: dotted IPv4 (mapped ones too), IPv6 with its longest zero run `::`. */
function textOf(bytes: number[]): string {
  if (MAPPED.every((byte, i) => bytes[i] == byte)) return bytes.slice(12).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] << 8) | bytes[2 * i + 1]).toString(16));
  const runs = groups.join(':').match(/(^|:)0(:0)+(:|$)/g) || [];
  const longest = runs.reduce((a, b) => (b.length > a.length ? b : a), '');
  return longest ? groups.join(':').replace(longest, '::') : groups.join(':');
}

/** `[::1]:443`, `1.2.3.4:80` (some balancers add ports), `fe80::1%eth0` to the bare address. */
const bare = (entry: string) =>
  entry.trim().replace(/^\[([^\]]+)\](:\d+)?$/, '$1').replace(/^(\d+\.\d+\.\d+\.\d+):\d+$/, '$1').replace(/%.*$/, '');

/** A test for the configured hops; throws, naming the entry, on one that is neither an address nor a range. */
export function hopTest(ranges: string[] = []): (address: string) => boolean {
  if (!Array.isArray(ranges)) throw new Error('p13n proxy: trustedProxies must be a list of addresses or CIDR ranges');
  const parsed = ranges.map((range) => {
    const [, address = '', bits] = /^([^/]*)(?:\/(\d{1,3}))?$/.exec(String(range)) || [];
    const bytes = bytesOf(address);
    const v4 = !!v4Bytes(address);
    const prefix = bits === undefined ? 128 : Number(bits) + (v4 ? 96 : 0);
    if (!bytes || prefix > 128 || (v4 && Number(bits) > 32)) {
      throw new Error(`p13n proxy: ${JSON.stringify(range)} in trustedProxies is not an address or a CIDR range (10.0.0.0/8, fd00::/8)`);
    }
    return [bytes, prefix] as const;
  });
  return (address) => {
    const bytes = bytesOf(address);
    return !!bytes && parsed.some(([range, prefix]) => {
      for (let bit = 0; bit < prefix; bit += 8) {
        const mask = (0xff << (8 - Math.min(8, prefix - bit))) & 0xff;
        if ((bytes[bit / 8] & mask) != (range[bit / 8] & mask)) return false;
      }
      return true;
    });
  };
}

/** The visitor's address: the peer, or past the trusted hops in `forwarded`; undefined when unknown. */
export function visitorAddress(peer: string | undefined, forwarded: string | null, trusted: (address: string) => boolean) {
  if (!peer) return;
  const chain = [...(forwarded ? forwarded.split(',') : []), peer].map(bare);
  let visitor = chain.pop()!;
  while (trusted(visitor) && chain.length) visitor = chain.pop()!;
  const bytes = bytesOf(visitor);
  return bytes && textOf(bytes);
}
