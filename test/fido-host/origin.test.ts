import { describe, expect, it } from 'vitest';
import { checkRpId, parseOrigin } from '../../src/webauthn/origin.js';

describe('origin and RP ID rules', () => {
  it('accepts https origins and http on localhost, normalising the origin', () => {
    expect(parseOrigin('https://Login.RP.example:8443')).toEqual({ origin: 'https://login.rp.example:8443', host: 'login.rp.example' });
    expect(parseOrigin('http://localhost:3000').host).toBe('localhost');
    expect(parseOrigin('https://rp.example/').origin).toBe('https://rp.example');
  });
  it('refuses non-origins with a one-line reason', () => {
    for (const [o, re] of [
      ['http://rp.example', /https/],
      ['https://rp.example/path', /scheme:\/\/host/],
      ['https://rp.example?x=1', /scheme:\/\/host/],
      ['rp.example', /not a URL/],
      ['file:///etc/passwd', /scheme:\/\/host|https/],
    ] as const) {
      expect(() => parseOrigin(o)).toThrow(re);
    }
  });
  it('rp id: the host or a registrable suffix of it', () => {
    expect(checkRpId(undefined, 'login.rp.example')).toBe('login.rp.example');
    expect(checkRpId('rp.example', 'login.rp.example')).toBe('rp.example');
    expect(checkRpId('RP.example', 'rp.example')).toBe('rp.example');
    expect(checkRpId('localhost', 'app.localhost')).toBe('localhost');
    expect(checkRpId('127.0.0.1', '127.0.0.1')).toBe('127.0.0.1');
    expect(() => checkRpId('p.example', 'rp.example')).toThrow(/not a registrable suffix/);
    expect(() => checkRpId('example', 'rp.example')).toThrow(/top-level/);
    expect(() => checkRpId('0.0.1', '127.0.0.1')).toThrow(/IP address/);
  });
});
