/**
 * `fido info`'s text for getInfo members no built-in personality sends (certifications, the
 * CTAP 2.2 members, a member this version does not know): each has its row. Its JSON is
 * checked against python-fido2 in fido-info-cli.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { infoDocument, infoRows, uvModalityNames } from '../../src/cli/commands/fido-info.js';
import { parseGetInfo } from '../../src/ctap/get-info.js';
import { GET_INFO as K } from '../../src/protocol/ctap2-parameters.js';

const info = parseGetInfo(
  new Map<unknown, unknown>([
    [K.versions, ['FIDO_2_1', 'FIDO_2_2']],
    [K.aaguid, new Uint8Array(16).fill(0xab)],
    [K.options, new Map<string, boolean>([['uv', true], ['clientPin', true], ['bioEnroll', true]])],
    [K.pinUvAuthProtocols, [2]],
    [K.forcePINChange, true],
    [K.uvModality, 0x2 | 0x4 | 0x8000],
    [K.certifications, new Map([['FIDO', 2], ['FIPS-CMVP-2', 2]])],
    [K.attestationFormats, ['packed', 'none']],
    [K.longTouchForReset, false],
    [K.pinComplexityPolicyURL, new TextEncoder().encode('https://example.com/pin')],
    [K.maxPINLength, 63],
    [0x7f, 'vendor'],
  ]) as Parameters<typeof parseGetInfo>[0],
);

describe('fido info rows', () => {
  const rows = new Map(infoRows(info, 5, 2, '5.7.1'));

  it('the PIN with its retries and a required change; built-in UV with its retries', () => {
    expect(rows.get('PIN')).toBe('set, 5 attempts remaining, change required');
    expect(rows.get('built-in UV')).toBe('enrolled, 2 attempts remaining');
  });

  it('every member in words: modality names, certifications, CTAP 2.2 members, an unknown member by number', () => {
    expect(rows.get('UV modality')).toBe('fingerprint, passcode, 0x8000 (0x8006)');
    expect(rows.get('certifications')).toBe('FIDO=2 FIPS-CMVP-2=2');
    expect(rows.get('attestation formats')).toBe('packed, none');
    expect(rows.get('long touch for reset')).toBe('no');
    expect(rows.get('PIN complexity policy URL')).toBe('https://example.com/pin');
    expect(rows.get('max PIN length')).toBe('63');
    expect(rows.get('member 0x7f')).toBe('vendor');
  });

  it('--json keeps the spec names and adds the UV state', () => {
    expect(infoDocument(info, 5, 2)).toMatchObject({ certifications: { 'FIDO': 2, 'FIPS-CMVP-2': 2 }, uvModality: 0x8006, uv: { enrolled: true, retries: 2, modality: ['fingerprint', 'passcode', '0x8000'] }, pin: { set: true, retries: 5 }, unknownMembers: { '0x7f': 'vendor' } });
    expect(uvModalityNames(0x1)).toEqual(['presence']);
  });
});
