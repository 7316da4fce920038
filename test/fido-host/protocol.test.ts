import { createCipheriv, createECDH, createHash, createHmac, hkdfSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PIN_PROTOCOL_ONE, PIN_PROTOCOL_TWO } from '../support/pin-uv-auth-reference.js';
import { ClientPin } from '../../src/ctap/client-pin.js';
import type { Ctap2 } from '../../src/ctap/ctap2.js';
import { ErrorCode } from '../../src/errors.js';
import { decodeCbor, encodeCbor } from '../../src/protocol/cbor.js';
import { COSE_ALG, decodeEc2CoseKey, encodeEc2CoseKey } from '../../src/protocol/cose.js';
import { PIN_UV_AUTH_PROTOCOL_ONE, PIN_UV_AUTH_PROTOCOL_TWO, p256PublicKeyOf, p256ScalarFromSeed, pinUvAuthProtocol } from '../../src/protocol/pin-uv-auth-protocol.js';
import { SW, U2F_INS, encodeApdu, encodeResponseApdu, parseCommandApdu, parseResponseApdu, swName } from '../../src/protocol/u2f-apdu.js';

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

describe('PIN/UV auth protocols against node:crypto (an independent implementation)', () => {
  // Node's OpenSSL ECDH gives Z; the spec's KDFs and ciphers are then recomputed with node:crypto.
  const a = createECDH('prime256v1');
  a.generateKeys();
  const authPub = a.getPublicKey();
  const authKey = { x: new Uint8Array(authPub.subarray(1, 33)), y: new Uint8Array(authPub.subarray(33, 65)) };

  it('protocol One: encapsulate, kdf = SHA-256(Z), zero-IV AES-CBC, HMAC truncated to 16', () => {
    const { platformKey, sharedSecret } = PIN_UV_AUTH_PROTOCOL_ONE.encapsulate(authKey, bytes(32, 7));
    const z = a.computeSecret(Buffer.concat([Buffer.of(4), platformKey.x, platformKey.y]));
    const expected = createHash('sha256').update(z).digest();
    expect(Buffer.from(sharedSecret)).toEqual(expected);
    expect(platformKey.alg).toBe(-25);
    const pt = bytes(32, 0x41);
    const c = createCipheriv('aes-256-cbc', expected, Buffer.alloc(16)).setAutoPadding(false);
    const ct = Buffer.concat([c.update(pt), c.final()]);
    expect(Buffer.from(PIN_UV_AUTH_PROTOCOL_ONE.encrypt(sharedSecret, pt))).toEqual(ct);
    expect(PIN_UV_AUTH_PROTOCOL_ONE.decrypt(sharedSecret, ct)).toEqual(pt);
    const mac = createHmac('sha256', expected).update('msg').digest().subarray(0, 16);
    expect(Buffer.from(PIN_UV_AUTH_PROTOCOL_ONE.authenticate(sharedSecret, new TextEncoder().encode('msg')))).toEqual(mac);
    expect(PIN_UV_AUTH_PROTOCOL_ONE.verify(sharedSecret, new TextEncoder().encode('msg'), mac)).toBe(true);
    expect(PIN_UV_AUTH_PROTOCOL_ONE.verify(sharedSecret, new TextEncoder().encode('msh'), mac)).toBe(false);
  });

  it('protocol Two: HKDF "CTAP2 HMAC key" ‖ "CTAP2 AES key", IV-prefixed AES-CBC, full HMAC', () => {
    const { platformKey, sharedSecret } = PIN_UV_AUTH_PROTOCOL_TWO.encapsulate(authKey, bytes(32, 9));
    const z = a.computeSecret(Buffer.concat([Buffer.of(4), platformKey.x, platformKey.y]));
    const hmacKey = Buffer.from(hkdfSync('sha256', z, Buffer.alloc(32), 'CTAP2 HMAC key', 32));
    const aesKey = Buffer.from(hkdfSync('sha256', z, Buffer.alloc(32), 'CTAP2 AES key', 32));
    expect(Buffer.from(sharedSecret)).toEqual(Buffer.concat([hmacKey, aesKey]));
    const iv = bytes(16, 3);
    const pt = bytes(64, 0x30);
    const c = createCipheriv('aes-256-cbc', aesKey, iv).setAutoPadding(false);
    const ct = Buffer.concat([Buffer.from(iv), c.update(pt), c.final()]);
    expect(Buffer.from(PIN_UV_AUTH_PROTOCOL_TWO.encrypt(sharedSecret, pt, iv))).toEqual(ct);
    expect(PIN_UV_AUTH_PROTOCOL_TWO.decrypt(sharedSecret, ct)).toEqual(pt);
    const mac = createHmac('sha256', hmacKey).update('m').digest();
    expect(Buffer.from(PIN_UV_AUTH_PROTOCOL_TWO.authenticate(sharedSecret, new TextEncoder().encode('m')))).toEqual(mac);
  });

  it('agrees with the firmware simulator’s own implementation on random inputs', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 1, max: 4 }), (seed, iv, blocks) => {
        const d = p256ScalarFromSeed(seed);
        const devKey = p256PublicKeyOf(p256ScalarFromSeed(Uint8Array.from(seed).reverse()));
        const pt = new Uint8Array(16 * blocks).fill(blocks);
        for (const [host, dev] of [[PIN_UV_AUTH_PROTOCOL_ONE, PIN_PROTOCOL_ONE], [PIN_UV_AUTH_PROTOCOL_TWO, PIN_PROTOCOL_TWO]] as const) {
          const s = host.ecdh(d, devKey);
          expect(host.encrypt(s, pt, iv)).toEqual(dev.encrypt(s, pt, iv));
          expect(dev.decrypt(s, host.encrypt(s, pt, iv))).toEqual(pt);
          expect(host.authenticate(s, pt)).toEqual(dev.authenticate(s, pt));
        }
      }),
      { numRuns: 20 },
    );
  });

  it('ClientPin agrees on node:crypto and gets the bytes the shared core’s encapsulate gives for the same seed', async () => {
    for (const protocol of [PIN_UV_AUTH_PROTOCOL_ONE, PIN_UV_AUTH_PROTOCOL_TWO]) {
      for (const fill of [1, 0x7f, 0xff]) {
        const answer = (key: { x: Uint8Array; y: Uint8Array }) => ({ clientPin: async () => new Map([[1, encodeEc2CoseKey({ ...key, alg: COSE_ALG.ECDH_ES_HKDF_256 })]]) }) as unknown as Ctap2;
        const pin = new ClientPin(answer(authKey), { protocol: protocol.version, randomBytes: (n) => bytes(n, fill) });
        const ours = await pin.keyAgreement();
        const core = protocol.encapsulate(authKey, bytes(32, fill));
        expect(decodeEc2CoseKey(ours.keyAgreement)).toEqual(core.platformKey);
        expect(ours.sharedSecret).toEqual(core.sharedSecret);
        // A key agreement key off the curve is the authenticator's fault: a PROTOCOL error.
        const off = new ClientPin(answer({ x: bytes(32, 1), y: bytes(32, 1) }), { protocol: protocol.version });
        await expect(off.keyAgreement()).rejects.toMatchObject({ code: ErrorCode.PROTOCOL, message: expect.stringMatching(/not a point on P-256/) });
      }
    }
  });

  it('rejects bad inputs with named errors', () => {
    expect(() => pinUvAuthProtocol(3)).toThrow(RangeError);
    expect(() => PIN_UV_AUTH_PROTOCOL_TWO.encrypt(bytes(64, 1), bytes(16, 0))).toThrow(/iv is required/);
    expect(() => PIN_UV_AUTH_PROTOCOL_ONE.decrypt(bytes(32, 1), bytes(15, 0))).toThrow(RangeError);
    expect(() => PIN_UV_AUTH_PROTOCOL_ONE.ecdh(bytes(32, 1), { x: bytes(32, 1), y: bytes(32, 1) })).toThrow(/not a point/);
  });
});

describe('COSE_Key', () => {
  it('round-trips through canonical CBOR with labels 1,3,-1,-2,-3', () => {
    const key = { x: bytes(32, 1), y: bytes(32, 2), alg: COSE_ALG.ES256 };
    const enc = encodeCbor(encodeEc2CoseKey(key));
    expect(Buffer.from(enc.subarray(0, 7)).toString('hex')).toBe('a5010203262001');
    expect(decodeEc2CoseKey(decodeCbor(enc), COSE_ALG.ES256)).toEqual(key);
    expect(() => decodeEc2CoseKey(decodeCbor(enc), COSE_ALG.ECDH_ES_HKDF_256)).toThrow(/alg must be -25/);
    expect(() => decodeEc2CoseKey(new Map([[1, 1]]))).toThrow(/kty/);
  });
});

describe('APDU', () => {
  it('encodes U2F VERSION in extended form as the U2F spec shows', () => {
    expect(Buffer.from(encodeApdu({ cla: 0, ins: U2F_INS.VERSION, p1: 0, p2: 0, data: new Uint8Array(0), le: 65536 }, true)).toString('hex')).toBe('00030000000000');
  });
  it('parse(encode(x)) = x for short and extended forms', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 0, max: 65536 }), fc.boolean(), (data, le, ext) => {
        const apdu = { cla: 0, ins: 2, p1: 3, p2: 0, data, le };
        expect(parseCommandApdu(encodeApdu(apdu, ext))).toEqual(apdu);
      }),
    );
  });
  it('splits status words and names them', () => {
    expect(parseResponseApdu(encodeResponseApdu(Uint8Array.of(1, 2), SW.CONDITIONS_NOT_SATISFIED))).toEqual({ data: Uint8Array.of(1, 2), sw: 0x6985 });
    expect(swName(0x6985)).toBe('SW_CONDITIONS_NOT_SATISFIED');
    expect(swName(0x6f00)).toBe('0x6f00');
    expect(() => parseCommandApdu(Uint8Array.of(0, 1, 2, 3, 5, 1))).toThrow(RangeError);
  });
});

describe('authenticator data (WebAuthn §6.1)', async () => {
  const { AuthenticatorDataError, parseAuthenticatorData } = await import('../../src/protocol/authenticator-data.js');
  const { encodeCbor: encode } = await import('../../src/protocol/cbor.js');
  const head = (flags: number) => new Uint8Array([...new Uint8Array(32).fill(7), flags, 0, 0, 1, 2]);
  // An Ed25519 COSE_Key: kty OKP (1), alg EdDSA (-8), crv Ed25519 (6), x.
  const x = new Uint8Array(32).fill(5);
  const cose = encode(new Map<number, unknown>([[1, 1], [3, -8], [-1, 6], [-2, x]]));
  const attested = (id: number[]) => [...new Uint8Array(16).fill(9), 0, id.length, ...id, ...cose];

  it('reads the header, the attested credential and the extensions', () => {
    const ext = encode(new Map([['credProtect', 2]]));
    const a = parseAuthenticatorData(new Uint8Array([...head(0xc5), ...attested([1, 2, 3]), ...ext]));
    expect(a).toMatchObject({ flags: 0xc5, signCount: 258 });
    expect(a.attested!.credentialId).toEqual(Uint8Array.of(1, 2, 3));
    expect(a.attested!.publicKey).toEqual({ kty: 'OKP', alg: -8, crv: 6, x });
    expect(a.attested!.publicKeyBytes).toEqual(cose);
    expect(a.extensions).toEqual(new Map([['credProtect', 2]]));
    expect(parseAuthenticatorData(new Uint8Array([...head(0x81), ...ext])).extensions).toEqual(new Map([['credProtect', 2]]));
  });

  it('refuses what is cut short, left over, or not canonical', () => {
    expect(() => parseAuthenticatorData(new Uint8Array(36))).toThrow(AuthenticatorDataError);
    expect(() => parseAuthenticatorData(new Uint8Array([...head(0x41), ...attested([1, 2, 3]).slice(0, 20)]))).toThrow(/cut short/);
    expect(() => parseAuthenticatorData(new Uint8Array([...head(0x41), ...attested([1]), 0]))).toThrow(/1 bytes follow the credential public key/);
    expect(() => parseAuthenticatorData(new Uint8Array([...head(0x81)]))).toThrow(/no extensions follow/);
    // A COSE key whose map keys are out of canonical order ({3: -8, 1: 1, ...}).
    const bad = [...new Uint8Array(16), 0, 1, 1, 0xa2, 0x03, 0x27, 0x01, 0x01];
    expect(() => parseAuthenticatorData(new Uint8Array([...head(0x41), ...bad]))).toThrow(/canonical/);
    // A non-minimal integer is refused by the decoder itself.
    expect(() => parseAuthenticatorData(new Uint8Array([...head(0x41), ...new Uint8Array(16), 0, 1, 1, 0xa1, 0x18, 0x01, 0x02]))).toThrow(AuthenticatorDataError);
  });
});
