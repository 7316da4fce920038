import { describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';

describe('the public API', () => {
  it('exports the domain nouns the README shows, and they work together', () => {
    const secret = api.base32Decode('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    const totp = new api.Totp(secret, { digits: 8 });
    expect(totp.generate(59)).toBe('94287082'); // RFC 6238 Appendix B, SHA-1 at T=59
    const v = new api.TotpVerifier(secret, { digits: 8 });
    const e = v.enroll(totp.generate(59), totp.generate(89), api.createVerifierState(), 100);
    expect(e).toMatchObject({ ok: true, drift: -1 }); // typed one step late: enrollWindow 2 takes it
    expect(v.enroll(totp.generate(59), totp.generate(89), api.createVerifierState(), 155)).toMatchObject({ ok: false, reason: 'invalid' });
    expect(new api.ManualClock(5).now()).toBe(5);
    expect(api.ErrorCode.BAD_INPUT).toBe('BAD_INPUT');
  });
});

describe('the host API from the entry point', () => {
  it('parses device specs and exposes the FIDO client classes', () => {
    expect(api.parseDeviceSpec('udp:127.0.0.1:8111')).toMatchObject({ kind: 'udp' });
    expect(() => api.parseDeviceSpec('bogus')).toThrow(api.TokenrigError);
    for (const k of [api.CtapHidDevice, api.Ctap1, api.Ctap2, api.ClientPin, api.WebAuthnClient, api.openOtpTokenDriver]) expect(typeof k).toBe('function');
  });
});
