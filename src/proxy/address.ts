/**
 * The visitor's address, as the service should see it. Anyone can send `X-Forwarded-For: 1.2.3.4`, so only the
 * entries the proxy's own load balancers added are true: the list is read from the right, past the addresses of
 * `trustedProxies`, and the first one that is not among them is the visitor's.
 */

/** An address as 16 bytes, IPv4 as IPv4-mapped IPv6 (`::ffff:a.b.c.d`), so one comparison serves both. */
function bytesOf(address: string): number[] | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  if (v4) {
    const parts = v4.slice(1).map(Number);
    return parts.every((part) => part < 256) ? [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, ...parts] : undefined;
  }
  let text = address;
  const tail = /\d+\.\d+\.\d+\.\d+$/.exec(text); // ::ffff:1.2.3.4
  if (tail) {
    const v4bytes = bytesOf(tail[0]);
    if (!v4bytes) return;
    const hex = (i: number) => ((v4bytes[i] << 8) | v4bytes[i + 1]).toString(16);
    text = text.slice(0, -tail[0].length) + hex(12) + ':' + hex(14);
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

/** `[::1]:443`, `1.2.3.4:80` (some balancers add ports) to the bare address. */
const bare = (entry: string) => entry.trim().replace(/^\[([^\]]+)\](:\d+)?$/, '$1').replace(/^(\d+\.\d+\.\d+\.\d+):\d+$/, '$1').replace(/%.*$/, '');

/** A test for the configured hops; throws, naming the entry, on one that is neither an address nor a range. */
export function hopTest(ranges: string[] = []): (address: string) => boolean {
  const parsed = ranges.map((range) => {
    const [address, bits] = String(range).split('/');
    const bytes = bytesOf(address);
    const v4 = bytes && /^\d/.test(address) && !address.includes(':');
    const prefix = bits === undefined ? 128 : Number(bits) + (v4 ? 96 : 0);
    if (!bytes || !/^\d*$/.test(bits || '') || !(prefix <= 128)) {
      throw new Error(`p13n proxy: ${JSON.stringify(range)} in trustedProxies is not an address or a CIDR range`);
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
  return bytesOf(visitor) ? visitor.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1') : undefined;
}
