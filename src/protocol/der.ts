/**
 * A small DER writer (ITU-T X.690) for the few structures tokenrig emits: the authenticator's
 * attestation certificate (RFC 5280), ECDSA signatures (RFC 3279 §2.2.3 Ecdsa-Sig-Value) and
 * the SubjectPublicKeyInfo of credential keys (RFC 5280 §4.1.2.7). Pure: shared by both sides.
 */

function lengthBytes(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return [0x80 | out.length, ...out];
}

/** A TLV with tag `tag` around `content`. */
export function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  const len = content.reduce((n, c) => n + c.length, 0);
  const head = [tag, ...lengthBytes(len)];
  const out = new Uint8Array(head.length + len);
  out.set(head);
  let off = head.length;
  for (const c of content) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

export const sequence = (...items: Uint8Array[]): Uint8Array => tlv(0x30, ...items);
export const set = (...items: Uint8Array[]): Uint8Array => tlv(0x31, ...items);
export const octetString = (b: Uint8Array): Uint8Array => tlv(0x04, b);
export const utf8String = (s: string): Uint8Array => tlv(0x0c, new TextEncoder().encode(s));
export const printableString = (s: string): Uint8Array => tlv(0x13, new TextEncoder().encode(s));
export const bitString = (b: Uint8Array): Uint8Array => tlv(0x03, Uint8Array.of(0), b);
export const explicit = (n: number, inner: Uint8Array): Uint8Array => tlv(0xa0 | n, inner);
export const booleanTrue = (): Uint8Array => Uint8Array.of(0x01, 0x01, 0xff);

/** A non-negative INTEGER from big-endian bytes, minimally encoded (X.690 §8.3.2). */
export function unsignedInteger(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const body = bytes.subarray(i);
  if (body.length > 0 && (body[0]! & 0x80) !== 0) {
    const padded = new Uint8Array(body.length + 1);
    padded.set(body, 1);
    return tlv(0x02, padded);
  }
  return tlv(0x02, body.length === 0 ? Uint8Array.of(0) : body);
}

export function smallInteger(n: number): Uint8Array {
  return unsignedInteger(Uint8Array.of((n >> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff));
}

/** An OBJECT IDENTIFIER from dotted form (X.690 §8.19). */
export function oid(dotted: string): Uint8Array {
  const parts = dotted.split('.').map(Number);
  const body: number[] = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    body.push(...chunk);
  }
  return tlv(0x06, Uint8Array.from(body));
}

/** GeneralizedTime for a UTC date, `YYYYMMDDHHMMSSZ` (RFC 5280 §4.1.2.5.2). */
export function generalizedTime(d: Date): Uint8Array {
  const iso = d.toISOString();
  const s = iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19) + 'Z';
  return tlv(0x18, new TextEncoder().encode(s));
}

/** UTCTime, used for dates before 2050 as RFC 5280 §4.1.2.5 requires. */
export function utcTime(d: Date): Uint8Array {
  const iso = d.toISOString();
  const s = iso.slice(2, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19) + 'Z';
  return tlv(0x17, new TextEncoder().encode(s));
}

export function certTime(d: Date): Uint8Array {
  return d.getUTCFullYear() < 2050 ? utcTime(d) : generalizedTime(d);
}

/** Ecdsa-Sig-Value from a raw r‖s signature (WebCrypto's IEEE P1363 form). */
export function ecdsaDerSignature(raw: Uint8Array): Uint8Array {
  const half = raw.length / 2;
  return sequence(unsignedInteger(raw.subarray(0, half)), unsignedInteger(raw.subarray(half)));
}
