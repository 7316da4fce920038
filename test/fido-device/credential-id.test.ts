/**
 * Credential IDs are AES-256-GCM under the master key with the RP ID hash as associated data
 * (firmware-sim/fido/credential-id.ts). Checked against an independent GCM (noble's), both
 * ways, so IDs made before the switch to node:crypto still open.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { CREDENTIAL_ID_LENGTH, unwrapCredential, wrapCredential } from '../../firmware-sim/fido/credential-id.js';

const master = new Uint8Array(32).map((_, i) => i * 7);
const rpIdHash = sha256(new TextEncoder().encode('rp.example'));
const scalar = new Uint8Array(32).map((_, i) => 255 - i);
const nonce = new Uint8Array(12).map((_, i) => i + 1);

describe('credential IDs', () => {
  it('are version ‖ nonce ‖ AES-256-GCM(d) ‖ tag, as an independent GCM computes', () => {
    const id = wrapCredential(master, rpIdHash, scalar, nonce);
    expect(id.length).toBe(CREDENTIAL_ID_LENGTH);
    expect(id[0]).toBe(1);
    expect(id.subarray(1, 13)).toEqual(nonce);
    expect(id.subarray(13)).toEqual(gcm(master, nonce, rpIdHash).encrypt(scalar));
  });

  it('open IDs sealed by the independent GCM, only for their RP, and refuse any flipped bit', () => {
    const id = new Uint8Array([1, ...nonce, ...gcm(master, nonce, rpIdHash).encrypt(scalar)]);
    expect(unwrapCredential(master, rpIdHash, id)).toEqual(scalar);
    expect(unwrapCredential(master, sha256(new TextEncoder().encode('other.example')), id)).toBeUndefined();
    for (let i = 1; i < id.length; i++) {
      const bad = id.slice();
      bad[i]! ^= 0x01;
      expect(unwrapCredential(master, rpIdHash, bad)).toBeUndefined();
    }
    expect(unwrapCredential(master, rpIdHash, id.subarray(0, 60))).toBeUndefined();
  });
});
