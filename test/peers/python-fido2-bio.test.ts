/**
 * Interop: Debian's python3-fido2 (0.9) drives fingerprint enrollment (fido2.ctap2.bio) and
 * built-in UV tokens against the simulated yubikey-bio over UDP HID, with both PIN/UV auth
 * protocols, and verifies attestation and assertion signatures itself. Skipped with a reason
 * locally when python3-fido2 is absent; CI=true makes it fail.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type FidoKey, ScriptedFingerprint, startFidoKey } from '../../src/sim/index.js';
import { peers, runPython } from '../support/peer.js';

describe('python3-fido2 bio enrollment and built-in UV over UDP HID', () => {
  let sim: FidoKey | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  for (const version of [1, 2]) {
    it(`enrolls, names, lists and removes a finger, and makes credentials with a UV token (PIN/UV auth protocol ${version})`, async (ctx) => {
      peers.pythonFido2.require(ctx);
      // Five good samples of finger-1 (one a timeout), then a wrong finger; then a cooperative user.
      const sensor = new ScriptedFingerprint(['finger-1', null, 'finger-1', 'finger-1', 'finger-1', 'finger-1', 'stranger']);
      sim = await startFidoKey({ hid: 'udp:0', touch: 'deny', profile: 'yubikey-bio', uv: sensor });
      const r = await runPython(join(import.meta.dirname, 'fido2_bio_peer.py'), [sim.endpoints.hid!.split(':')[2]!, String(version)]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.options).toMatchObject({ uv: false, bioEnroll: false, userVerificationMgmtPreview: false, uvToken: true });
      expect(out.sensor).toEqual({ '1': 1, '2': 1, '3': 5, '8': 64 });
      expect(out.before).toEqual({});
      expect(out.samples).toEqual([4, 'error 0x0D - NO_USER_ACTIVITY', 3, 2, 1, 0]); // python-fido2's own name of the status
      expect(out.enrolled).toEqual({ [out.templateId]: 'right index' });
      expect(out.optionsAfter).toEqual({ uv: true, bioEnroll: true, userVerificationMgmtPreview: true });
      expect([out.uvRetries, out.wrongFinger, out.uvRetriesAfterWrong, out.uvRetriesAfterMatch]).toEqual([3, 'UV_INVALID', 2, 3]);
      // Touches are denied: the finger was the user presence (UP) and verification (UV).
      expect(out.makeCredentialFlags & 0x45).toBe(0x45);
      expect(out.assertionFlags).toBe(0x05);
      expect(out.assertionUser).toBe('bio');
      expect(out.after).toEqual({});
    });
  }
});
