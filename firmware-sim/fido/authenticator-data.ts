/**
 * Authenticator data (WebAuthn §6.1): rpIdHash (32) ‖ flags (1) ‖ signCount (4, big-endian)
 * ‖ attested credential data (§6.5.1: aaguid (16) ‖ L (2) ‖ credentialId ‖ COSE public key)
 * when AT is set ‖ the CBOR extensions map when ED is set.
 */

/** The flags byte (WebAuthn §6.1). */
export const FLAG = { UP: 0x01, UV: 0x04, AT: 0x40, ED: 0x80 } as const;

export interface AttestedCredential {
  aaguid: Uint8Array;
  credentialId: Uint8Array;
  /** The CBOR-encoded COSE_Key. */
  publicKey: Uint8Array;
}

/** Assemble authenticator data; AT and ED are set from what is given. */
export function authenticatorData(rpIdHash: Uint8Array, flags: number, signCount: number, attested?: AttestedCredential, extensions?: Uint8Array): Uint8Array {
  const at = attested === undefined ? 0 : 16 + 2 + attested.credentialId.length + attested.publicKey.length;
  const out = new Uint8Array(37 + at + (extensions?.length ?? 0));
  out.set(rpIdHash);
  out[32] = flags | (attested === undefined ? 0 : FLAG.AT) | (extensions === undefined ? 0 : FLAG.ED);
  new DataView(out.buffer).setUint32(33, signCount);
  let at0 = 37;
  if (attested !== undefined) {
    const { aaguid, credentialId: id, publicKey } = attested;
    out.set(aaguid, 37);
    out[53] = id.length >> 8;
    out[54] = id.length & 0xff;
    out.set(id, 55);
    out.set(publicKey, 55 + id.length);
    at0 += at;
  }
  if (extensions !== undefined) out.set(extensions, at0);
  return out;
}

export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
