// A throwaway self-signed certificate, made at start with node:crypto alone, so a fresh clone needs no openssl: the
// bench's HTTPS front (td-js-sdk hard-codes https) and the end-to-end tests' https pages (td-js-sdk's cookie is
// Secure) use it. Node can make keys and sign, but not write X.509, so the few DER structures a certificate needs
// are written here. The bench tells Chromium to trust exactly this key (--ignore-certificate-errors-spki-list): the
// connection counts as valid, so its caches behave as in production, which --ignore-certificate-errors does not
// promise (Chromium does not cache responses of a connection with a certificate error).
import { createHash, generateKeyPairSync, sign } from 'node:crypto';

const length = (n) => (n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff]);
const der = (tag, ...parts) => {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag, ...length(body.length)]), body]);
};
const seq = (...parts) => der(0x30, ...parts);
const oid = (dotted) => {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * a + b];
  for (const n of rest) {
    const chunk = [n & 0x7f];
    for (let v = n >> 7; v; v >>= 7) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return der(0x06, Buffer.from(bytes));
};
const utcTime = (date) => der(0x17, Buffer.from(date.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z'));
const name = (cn) => seq(der(0x31, seq(oid('2.5.4.3'), der(0x0c, Buffer.from(cn)))));
const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

/**
 * An ECDSA P-256 certificate for `hosts` (subjectAltName DNS names, wildcards allowed), valid for a day.
 * Returns the PEM key and certificate for https.createServer, and the base64 SHA-256 of the public key for
 * Chromium's --ignore-certificate-errors-spki-list.
 */
export function selfSigned(hosts) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const now = Date.now();
  const altNames = seq(...hosts.map((host) => der(0x82, Buffer.from(host)))); // [2] dNSName
  const tbs = seq(
    der(0xa0, der(0x02, Buffer.from([2]))), // v3
    der(0x02, Buffer.from([0x01, ...createHash('sha256').update(String(now)).digest().subarray(0, 8)])), // serial
    ECDSA_SHA256,
    name(hosts[0]), // issuer: itself
    seq(utcTime(new Date(now - 3600e3)), utcTime(new Date(now + 86400e3))),
    name(hosts[0]),
    spki,
    der(0xa3, seq(seq(oid('2.5.29.17'), der(0x04, altNames)))), // extensions: subjectAltName
  );
  const certificate = seq(tbs, ECDSA_SHA256, der(0x03, Buffer.from([0]), sign('sha256', tbs, privateKey)));
  const pem = `-----BEGIN CERTIFICATE-----\n${certificate.toString('base64').match(/.{1,64}/g).join('\n')}\n-----END CERTIFICATE-----\n`;
  return {
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
    cert: pem,
    spkiHash: createHash('sha256').update(spki).digest('base64'),
  };
}
