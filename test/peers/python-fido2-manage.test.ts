/**
 * Interop: Debian's python3-fido2 (0.9) manages the simulated key over UDP HID with its own
 * classes — CredentialManagement (metadata, RPs, credentials, update, delete), credProtect
 * (its CredProtectExtension maps the policy; the key enforces the level), Config
 * (setMinPINLength with RP IDs, forcePINChange, toggleAlwaysUv, enterprise attestation) and
 * the minPinLength extension — for PIN/UV auth protocols 1 and 2. Skipped with a reason
 * locally when python3-fido2 is absent; CI=true makes it fail.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type FidoKey, startFidoKey } from '../../src/sim/index.js';
import { CTAP2_STATUS as S } from '../../src/protocol/ctap-status.js';
import { peers, runPython } from '../support/peer.js';

describe('python3-fido2 manages the simulated key over UDP HID', () => {
  let sim: FidoKey | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  for (const protocol of ['1', '2'] as const) {
    it(`credential management, credProtect, minPinLength and config (PIN/UV auth protocol ${protocol})`, async (ctx) => {
      peers.pythonFido2.require(ctx);
      sim = await startFidoKey({ touch: 'auto', hid: 'udp:0' });
      const r = await runPython(join(import.meta.dirname, 'fido2_manage_peer.py'), [sim.endpoints.hid!.split(':')[2]!, protocol]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.protocol).toBe(Number(protocol));
      expect(out.credProtectOutputs).toEqual({ alice: null, bob: 2, carol: 3 });
      expect(out.metadata).toEqual([3, 253]);
      expect(out.rps).toEqual(['example.com', 'other.example']);
      expect(out.rpHashesMatch).toBe(true);
      expect(out.credentials).toEqual([
        { name: 'alice', credProtect: 1, publicKeyMatches: true },
        { name: 'bob', credProtect: 2, publicKeyMatches: true },
      ]);
      expect(out.withoutUv).toEqual({ carolDiscoverable: S.CTAP2_ERR_NO_CREDENTIALS, carolListed: S.CTAP2_ERR_NO_CREDENTIALS, bobListed: 0, exampleDiscoverable: ['alice', null] });
      expect(out.carolWithUv).toBe('carol');
      expect(out.afterChanges).toEqual({ metadata: 2, rps: ['example.com'], names: ['alice', 'robert'], wrongUser: S.CTAP1_ERR_INVALID_PARAMETER, deletedListed: S.CTAP2_ERR_NO_CREDENTIALS });
      expect(out.minPin).toEqual({ minPinLength: 6, forcePinChange: true, tokenRefused: S.CTAP2_ERR_PIN_POLICY_VIOLATION, forceClearedByChange: true, extensionOutput: 6 });
      expect(out.alwaysUv).toEqual({ option: true, versions: ['FIDO_2_0', 'FIDO_2_1'], makeCredentialWithoutPin: S.CTAP2_ERR_PUAT_REQUIRED });
      expect(out.enterprise).toEqual({ ep: true, epAtt: true, verified: true });
    }, 120_000);
  }
});
