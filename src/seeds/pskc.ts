/**
 * PSKC, RFC 6030 (Portable Symmetric Key Container): read and write, plain or with the
 * secrets encrypted under a pre-shared AES key (§6.1) or a password-derived key (§6.2, PBKDF2).
 *
 * Encrypted values are xmlenc `aes128-cbc` (IV || ciphertext, PKCS#7 padding); each carries a
 * `ValueMAC`, HMAC-SHA1 over IV || ciphertext under the `MACKey`, which is itself encrypted under
 * the same key. On import every MAC is checked before a secret is used: a wrong key, a wrong
 * password and a tampered file all end in one `REJECTED` error.
 *
 * @example
 * ```ts
 * const xml = formatPskc(seeds, { password: 'qwerty' });
 * parsePskc(xml, { password: 'qwerty' }); // the same seeds
 * ```
 */
import { cbc } from '@noble/ciphers/aes.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { pbkdf2 } from '@noble/hashes/pbkdf2.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { ErrorCode, TokenrigError, badFile, badInput } from '../errors.js';
import { type RandomBytes, cryptoRandomBytes, parseHashAlgorithm } from '../otp/index.js';
import { SEED_LIMITS } from './limits.js';
import { type TokenSeed, checkTokenSeed } from './token-seed.js';
import { XmlChildStream, type XmlElement, XmlStreamError } from './xml-stream.js';

export const PSKC_NS = 'urn:ietf:params:xml:ns:keyprov:pskc';
const DS_NS = 'http://www.w3.org/2000/09/xmldsig#';
const XENC_NS = 'http://www.w3.org/2001/04/xmlenc#';
const XENC11_NS = 'http://www.w3.org/2009/xmlenc11#';
const PKCS5_NS = 'http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#';
const PBKDF2_URI = `${PKCS5_NS}pbkdf2`;
const AES_CBC: Readonly<Record<string, number>> = { [`${XENC_NS}aes128-cbc`]: 16, [`${XENC_NS}aes192-cbc`]: 24, [`${XENC_NS}aes256-cbc`]: 32 };
const MAC_HASHES = {
  [`${DS_NS}hmac-sha1`]: sha1,
  'http://www.w3.org/2001/04/xmldsig-more#hmac-sha256': sha256,
  'http://www.w3.org/2001/04/xmldsig-more#hmac-sha512': sha512,
} as const;
/** RFC 6030 §10.2: the algorithm URIs of HOTP and TOTP (the draft-era URIs are accepted too). */
const ALGORITHM_URI = { hotp: 'urn:ietf:params:xml:ns:keyprov:pskc:hotp', totp: 'urn:ietf:params:xml:ns:keyprov:pskc:totp' } as const;

/** The key material for an encrypted file: a pre-shared AES key, or a password. */
export interface PskcKeys {
  password?: string;
  /** A pre-shared AES-128 (or 192/256) key. */
  key?: Uint8Array;
}

export interface PskcWriteOptions extends PskcKeys {
  /** `ds:KeyName` of a pre-shared key (default `Pre-shared-key`, as in RFC 6030 Figure 6). */
  keyName?: string;
  /** PBKDF2 iterations for a password (default 100 000). */
  iterations?: number;
  random?: RandomBytes;
}

/** What a PSKC import may cost: keys per file and PBKDF2 iterations (docs/limits.md). */
export interface PskcLimits {
  /** Default SEED_LIMITS.maxKeysPerFile. */
  maxKeys?: number;
}

/**
 * Read every key of a PSKC document. Malformed or truncated XML and unsupported content are
 * `BAD_FILE`; a missing password/key is `BAD_INPUT`; a wrong one or a bad MAC is `REJECTED`.
 * For a file, `readSeedFile` streams it through a `PskcReader` instead of reading it whole.
 *
 * @example
 * ```ts
 * const seeds = parsePskc(readFileSync('batch.pskc', 'utf8'), { password: 'long pass' });
 * ```
 */
export function parsePskc(xml: string, keys: PskcKeys = {}, limits: PskcLimits = {}): TokenSeed[] {
  const reader = new PskcReader(keys, limits);
  reader.write(xml);
  return reader.close();
}

/**
 * A PSKC document read in chunks, one KeyPackage at a time: memory holds the seeds read so
 * far and the package being read, whatever the size of the file.
 *
 * @example
 * ```ts
 * const reader = new PskcReader({ password });
 * for await (const chunk of createReadStream(path, 'utf8')) reader.write(chunk);
 * const seeds = reader.close();
 * ```
 */
export class PskcReader {
  readonly #keys: PskcKeys;
  readonly #maxKeys: number;
  readonly #stream: XmlChildStream;
  readonly #seeds: TokenSeed[] = [];
  readonly #header: { encryptionKey?: XmlElement; macMethod?: XmlElement; macAlgorithm?: XmlElement } = {};
  #secrets: { encKey: Uint8Array | undefined; macKey: MacKey | undefined } | undefined;
  #packages = 0;

  constructor(keys: PskcKeys = {}, limits: PskcLimits = {}) {
    this.#keys = keys;
    this.#maxKeys = limits.maxKeys ?? SEED_LIMITS.maxKeysPerFile;
    this.#stream = new XmlChildStream(
      (root) => checkRoot(root),
      (el) => this.#child(el),
    );
  }

  /** Keys read so far. */
  get count(): number {
    return this.#seeds.length;
  }

  write(chunk: string): void {
    wrapXmlErrors(() => this.#stream.write(chunk));
  }

  /** The end of the document: every key, or BAD_FILE when it is truncated or holds none. */
  close(): TokenSeed[] {
    wrapXmlErrors(() => this.#stream.close());
    if (this.#seeds.length === 0) throw badFile('PSKC: the file holds no keys');
    return this.#seeds;
  }

  #child(el: XmlElement): void {
    switch (el.localName) {
      case 'EncryptionKey':
      case 'MACMethod':
      case 'MACAlgorithm': {
        // RFC 6030 §4: the container's keys come before its packages.
        if (this.#packages > 0) throw badFile(`PSKC: ${el.localName} after a KeyPackage`);
        const slot = el.localName === 'EncryptionKey' ? 'encryptionKey' : el.localName === 'MACMethod' ? 'macMethod' : 'macAlgorithm';
        this.#header[slot] = el;
        return;
      }
      case 'KeyPackage': {
        const index = ++this.#packages;
        if (this.#secrets === undefined) {
          const encKey = encryptionKey(this.#header.encryptionKey, this.#keys);
          this.#secrets = { encKey, macKey: encKey === undefined ? undefined : readMacKey(this.#header, encKey) };
        }
        const key = child(el, 'Key');
        if (key === undefined) return;
        if (this.#seeds.length >= this.#maxKeys) throw badFile(`PSKC: more than ${this.#maxKeys} keys in one file (the limit; split the file)`);
        this.#seeds.push(readKey(el, key, index, this.#secrets.encKey, this.#secrets.macKey));
        return;
      }
    }
  }
}

function checkRoot(root: XmlElement): void {
  if (root.localName !== 'KeyContainer' || root.namespaceURI !== PSKC_NS) throw badFile(`PSKC: the root element is not a ${PSKC_NS} KeyContainer`);
  const version = root.getAttribute('Version');
  if (version !== '1.0') throw badFile(`PSKC: unsupported Version ${JSON.stringify(version)} (only 1.0)`);
}

function wrapXmlErrors(run: () => void): void {
  try {
    run();
  } catch (e) {
    if (e instanceof XmlStreamError) throw badFile(`PSKC: not well-formed XML (${e.message})`, e);
    throw e;
  }
}

function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return el === undefined ? undefined : el.children.find((c) => c.localName === name);
}

function path(el: XmlElement | undefined, ...names: string[]): XmlElement | undefined {
  let cur = el;
  for (const n of names) cur = child(cur, n);
  return cur;
}

function text(el: XmlElement | undefined): string | undefined {
  const t = el?.textContent.trim();
  return t === undefined || t === '' ? undefined : t;
}

function base64(textValue: string, what: string): Uint8Array {
  const clean = textValue.replace(/\s/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0) throw badFile(`PSKC: ${what} is not base64`);
  return new Uint8Array(Buffer.from(clean, 'base64'));
}

function rejected(message: string, cause?: unknown): TokenrigError {
  return new TokenrigError(ErrorCode.REJECTED, message, { cause });
}

/** §6: the key that protects the file's secrets, or undefined for a plain file. */
function encryptionKey(ek: XmlElement | undefined, keys: PskcKeys): Uint8Array | undefined {
  if (ek === undefined) return keys.key;
  const derived = child(ek, 'DerivedKey');
  if (derived !== undefined) {
    if (keys.password === undefined) throw badInput('this PSKC file is encrypted with a password: give --password');
    return deriveKey(derived, keys.password);
  }
  if (child(ek, 'KeyName') !== undefined) {
    if (keys.key === undefined) throw badInput(`this PSKC file is encrypted with a pre-shared key (${text(child(ek, 'KeyName'))}): give --key HEX`);
    return keys.key;
  }
  throw badFile('PSKC: EncryptionKey must hold a ds:KeyName or an xenc11:DerivedKey (certificates are not supported)');
}

/** §6.2: PBKDF2 as xenc11 describes it. */
function deriveKey(derived: XmlElement, password: string): Uint8Array {
  const method = child(derived, 'KeyDerivationMethod');
  if (method?.getAttribute('Algorithm') !== PBKDF2_URI) throw badFile('PSKC: only PBKDF2 key derivation is supported');
  const params = child(method, 'PBKDF2-params');
  const salt = text(path(params, 'Salt', 'Specified'));
  const iterations = Number(text(child(params, 'IterationCount')));
  const keyLength = Number(text(child(params, 'KeyLength')) ?? 16);
  if (salt === undefined || !Number.isInteger(iterations) || iterations < 1 || ![16, 24, 32].includes(keyLength)) throw badFile('PSKC: incomplete PBKDF2 parameters (Salt, IterationCount, KeyLength)');
  // Deriving is synchronous: 10,000,000 iterations held the process for 15 s.
  if (iterations > SEED_LIMITS.maxPbkdf2Iterations) throw badFile(`PSKC: IterationCount ${iterations} is more than ${SEED_LIMITS.maxPbkdf2Iterations} (the limit, docs/limits.md)`);
  const prf = child(params, 'PRF')?.getAttribute('Algorithm') ?? '';
  const hash = prf === '' || prf.endsWith('hmac-sha1') ? sha1 : prf.endsWith('hmac-sha256') ? sha256 : undefined;
  if (hash === undefined) throw badFile(`PSKC: unsupported PBKDF2 PRF ${prf}`);
  return pbkdf2(hash, new TextEncoder().encode(password), base64(salt, 'the PBKDF2 salt'), { c: iterations, dkLen: keyLength });
}

interface MacKey {
  key: Uint8Array;
  hash: (typeof MAC_HASHES)[keyof typeof MAC_HASHES];
}

function readMacKey(header: { macMethod?: XmlElement; macAlgorithm?: XmlElement }, encKey: Uint8Array): MacKey | undefined {
  const method = header.macMethod;
  if (method === undefined) {
    // draft-era files name the algorithm alone and MAC with the encryption key itself.
    const legacy = text(header.macAlgorithm);
    if (legacy === undefined) return undefined;
    const hash = MAC_HASHES[legacy as keyof typeof MAC_HASHES] as MacKey['hash'] | undefined;
    if (hash === undefined) throw badFile(`PSKC: unsupported MAC algorithm ${legacy}`);
    return { key: encKey, hash };
  }
  const alg = method.getAttribute('Algorithm') ?? '';
  const hash = MAC_HASHES[alg as keyof typeof MAC_HASHES] as MacKey['hash'] | undefined;
  if (hash === undefined) throw badFile(`PSKC: unsupported MAC algorithm ${JSON.stringify(alg)}`);
  const macKeyEl = child(method, 'MACKey');
  if (macKeyEl === undefined) return { key: encKey, hash };
  return { key: decryptValue(macKeyEl, encKey, 'the MAC key'), hash };
}

/** xmlenc EncryptedData-like element: EncryptionMethod + CipherData/CipherValue (IV || ct). */
function cipherValue(el: XmlElement, what: string): { algorithm: string; data: Uint8Array } {
  const algorithm = child(el, 'EncryptionMethod')?.getAttribute('Algorithm') ?? '';
  const value = text(path(el, 'CipherData', 'CipherValue'));
  if (value === undefined) throw badFile(`PSKC: ${what} has no CipherValue`);
  return { algorithm, data: base64(value, `the CipherValue of ${what}`) };
}

function decryptValue(el: XmlElement, encKey: Uint8Array, what: string, mac?: { key: MacKey; value: Uint8Array }): Uint8Array {
  const { algorithm, data } = cipherValue(el, what);
  const keyLength = AES_CBC[algorithm];
  if (keyLength === undefined) throw badFile(`PSKC: ${what} uses an unsupported cipher ${JSON.stringify(algorithm)} (AES-CBC only)`);
  if (encKey.length !== keyLength) throw badInput(`${what} is encrypted with ${algorithm.split('#')[1]}: the key must be ${keyLength} bytes, got ${encKey.length}`);
  if (data.length < 32 || data.length % 16 !== 0) throw badFile(`PSKC: the CipherValue of ${what} has a wrong length`);
  if (mac !== undefined) {
    // RFC 6030 §6.1.1: the MAC covers IV || ciphertext; check it before decrypting.
    const expected = hmac(mac.key.hash, mac.key.key, data);
    if (!constantTimeEqual(expected, mac.value)) throw rejected(`PSKC: the MAC of ${what} does not match: wrong key or password, or the file was tampered with`);
  }
  try {
    return cbc(encKey, data.subarray(0, 16)).decrypt(data.subarray(16));
  } catch (e) {
    throw rejected(`PSKC: cannot decrypt ${what}: wrong key or password, or the file was tampered with`, e);
  }
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

function readKey(pkg: XmlElement, key: XmlElement, index: number, encKey: Uint8Array | undefined, macKey: MacKey | undefined): TokenSeed {
  const id = key.getAttribute('Id') ?? '';
  const label = `key ${index}${id === '' ? '' : ` (Id ${id})`}`;
  const algUri = key.getAttribute('Algorithm') ?? '';
  const type = /[:#]hotp$/i.test(algUri) ? 'hotp' : /[:#]totp$/i.test(algUri) ? 'totp' : undefined;
  if (type === undefined) throw new TokenrigError(ErrorCode.UNSUPPORTED, `PSKC: ${label} uses ${JSON.stringify(algUri)}; only HOTP and TOTP are supported`);
  const device = child(pkg, 'DeviceInfo');
  const serial = text(child(device, 'SerialNo')) ?? (id === '' ? undefined : id);
  if (serial === undefined) throw badFile(`PSKC: ${label} has neither a DeviceInfo/SerialNo nor an Id`);
  const params = child(key, 'AlgorithmParameters');
  const suite = text(child(params, 'Suite'));
  const lengthAttr = child(params, 'ResponseFormat')?.getAttribute('Length');
  const digits = lengthAttr === undefined || lengthAttr === null || lengthAttr === '' ? 6 : Number(lengthAttr);
  const data = child(key, 'Data');
  const secret = readSecret(child(data, 'Secret'), label, encKey, macKey);
  const seed: TokenSeed = { serial, secret, type, algorithm: suite === undefined ? 'SHA1' : suiteHash(suite, label), digits };
  if (type === 'totp') seed.period = intValue(child(data, 'TimeInterval'), 30, `${label} TimeInterval`);
  else seed.counter = BigInt(intValue(child(data, 'Counter'), 0, `${label} Counter`));
  const issuer = text(child(key, 'Issuer'));
  const account = text(child(key, 'UserId')) ?? text(child(device, 'UserId'));
  const manufacturer = text(child(device, 'Manufacturer'));
  const model = text(child(device, 'Model'));
  if (issuer !== undefined) seed.issuer = issuer;
  if (account !== undefined) seed.account = account;
  if (manufacturer !== undefined) seed.manufacturer = manufacturer;
  if (model !== undefined) seed.model = model;
  try {
    return checkTokenSeed(seed);
  } catch (e) {
    throw badFile(`PSKC: ${label}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function suiteHash(suite: string, label: string): TokenSeed['algorithm'] {
  try {
    return parseHashAlgorithm(suite.replace(/^.*#/, ''));
  } catch {
    throw badFile(`PSKC: ${label} has an unsupported Suite ${JSON.stringify(suite)}`);
  }
}

function intValue(el: XmlElement | undefined, fallback: number, what: string): number {
  if (el === undefined) return fallback;
  const v = text(child(el, 'PlainValue'));
  if (v === undefined) {
    if (child(el, 'EncryptedValue') !== undefined) throw new TokenrigError(ErrorCode.UNSUPPORTED, `PSKC: ${what} is encrypted; only plain values are supported there`);
    return fallback;
  }
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw badFile(`PSKC: ${what} must be a non-negative integer, got ${JSON.stringify(v)}`);
  return Number(v);
}

function readSecret(secretEl: XmlElement | undefined, label: string, encKey: Uint8Array | undefined, macKey: MacKey | undefined): Uint8Array {
  if (secretEl === undefined) throw badFile(`PSKC: ${label} has no Data/Secret`);
  const plain = text(child(secretEl, 'PlainValue'));
  if (plain !== undefined) return base64(plain, `the secret of ${label}`);
  const encrypted = child(secretEl, 'EncryptedValue');
  if (encrypted === undefined) throw badFile(`PSKC: the secret of ${label} has neither a PlainValue nor an EncryptedValue`);
  if (encKey === undefined) throw badInput(`the secret of ${label} is encrypted: give --key HEX or --password`);
  const macText = text(child(secretEl, 'ValueMAC'));
  if (macKey !== undefined && macText === undefined) throw badFile(`PSKC: the secret of ${label} has no ValueMAC although the file has a MACMethod`);
  const mac = macKey === undefined || macText === undefined ? undefined : { key: macKey, value: base64(macText, `the ValueMAC of ${label}`) };
  return decryptValue(encrypted, encKey, `the secret of ${label}`, mac);
}

// ---------------------------------------------------------------------------------------------

/**
 * Write a PSKC document with one KeyPackage per seed. With `key` or `password` the secrets are
 * encrypted (AES-128-CBC) and MACed (HMAC-SHA1, random MAC key encrypted under the same key).
 *
 * @example
 * ```ts
 * writeFileSync('batch.pskc', formatPskc(generateSeeds(10, builtinSeedProfile('aws-hardware')), { password: 'long pass' }));
 * ```
 */
export function formatPskc(seeds: readonly TokenSeed[], options: PskcWriteOptions = {}): string {
  const random = options.random ?? cryptoRandomBytes;
  if (options.key !== undefined && options.password !== undefined) throw badInput('give either a key or a password, not both');
  let encKey: Uint8Array | undefined;
  const head: string[] = [];
  if (options.key !== undefined) {
    if (options.key.length !== 16) throw badInput(`the pre-shared key must be 16 bytes (AES-128), got ${options.key.length}`);
    encKey = options.key;
    head.push('  <EncryptionKey>', `    <ds:KeyName>${esc(options.keyName ?? 'Pre-shared-key')}</ds:KeyName>`, '  </EncryptionKey>');
  } else if (options.password !== undefined) {
    if (options.password === '') throw badInput('the password must not be empty');
    const iterations = options.iterations ?? 100_000;
    if (!Number.isInteger(iterations) || iterations < 1 || iterations > SEED_LIMITS.maxPbkdf2Iterations) throw badInput(`PBKDF2 iterations must be 1 to ${SEED_LIMITS.maxPbkdf2Iterations}, got ${iterations}`);
    const salt = random(16);
    encKey = pbkdf2(sha1, new TextEncoder().encode(options.password), salt, { c: iterations, dkLen: 16 });
    head.push(
      '  <EncryptionKey>',
      '    <xenc11:DerivedKey>',
      `      <xenc11:KeyDerivationMethod Algorithm="${PBKDF2_URI}">`,
      '        <pkcs5:PBKDF2-params>',
      `          <Salt><Specified>${b64(salt)}</Specified></Salt>`,
      `          <IterationCount>${iterations}</IterationCount>`,
      '          <KeyLength>16</KeyLength>',
      '          <PRF/>',
      '        </pkcs5:PBKDF2-params>',
      '      </xenc11:KeyDerivationMethod>',
      '      <xenc11:MasterKeyName>Password</xenc11:MasterKeyName>',
      '    </xenc11:DerivedKey>',
      '  </EncryptionKey>',
    );
  }
  let macKey: Uint8Array | undefined;
  if (encKey !== undefined) {
    macKey = random(20);
    head.push(
      `  <MACMethod Algorithm="${DS_NS}hmac-sha1">`,
      '    <MACKey>',
      `      <xenc:EncryptionMethod Algorithm="${XENC_NS}aes128-cbc"/>`,
      `      <xenc:CipherData><xenc:CipherValue>${b64(encrypt(encKey, macKey, random))}</xenc:CipherValue></xenc:CipherData>`,
      '    </MACKey>',
      '  </MACMethod>',
    );
  }
  const body = seeds.map((s) => keyPackage(checkTokenSeed(s), encKey, macKey, random));
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<KeyContainer Version="1.0" xmlns="${PSKC_NS}" xmlns:ds="${DS_NS}" xmlns:xenc="${XENC_NS}" xmlns:xenc11="${XENC11_NS}" xmlns:pkcs5="${PKCS5_NS}">`,
    ...head,
    ...body,
    '</KeyContainer>',
    '',
  ].join('\n');
}

function keyPackage(seed: TokenSeed, encKey: Uint8Array | undefined, macKey: Uint8Array | undefined, random: RandomBytes): string {
  const lines = ['  <KeyPackage>', '    <DeviceInfo>'];
  if (seed.manufacturer !== undefined) lines.push(`      <Manufacturer>${esc(seed.manufacturer)}</Manufacturer>`);
  lines.push(`      <SerialNo>${esc(seed.serial)}</SerialNo>`);
  if (seed.model !== undefined) lines.push(`      <Model>${esc(seed.model)}</Model>`);
  lines.push('    </DeviceInfo>', `    <Key Id="${esc(seed.serial)}" Algorithm="${ALGORITHM_URI[seed.type]}">`);
  if (seed.issuer !== undefined) lines.push(`      <Issuer>${esc(seed.issuer)}</Issuer>`);
  lines.push(
    '      <AlgorithmParameters>',
    `        <Suite>HMAC-${seed.algorithm.replace('SHA', 'SHA-').replace('SHA-1', 'SHA1')}</Suite>`,
    `        <ResponseFormat Length="${seed.digits}" Encoding="DECIMAL"/>`,
    '      </AlgorithmParameters>',
    '      <Data>',
    '        <Secret>',
  );
  if (encKey === undefined || macKey === undefined) {
    lines.push(`          <PlainValue>${b64(seed.secret)}</PlainValue>`);
  } else {
    const value = encrypt(encKey, seed.secret, random);
    lines.push(
      '          <EncryptedValue>',
      `            <xenc:EncryptionMethod Algorithm="${XENC_NS}aes128-cbc"/>`,
      `            <xenc:CipherData><xenc:CipherValue>${b64(value)}</xenc:CipherValue></xenc:CipherData>`,
      '          </EncryptedValue>',
      `          <ValueMAC>${b64(hmac(sha1, macKey, value))}</ValueMAC>`,
    );
  }
  lines.push('        </Secret>');
  if (seed.type === 'hotp') lines.push(`        <Counter><PlainValue>${(seed.counter ?? 0n).toString()}</PlainValue></Counter>`);
  else lines.push(`        <TimeInterval><PlainValue>${seed.period ?? 30}</PlainValue></TimeInterval>`);
  lines.push('      </Data>');
  if (seed.account !== undefined) lines.push(`      <UserId>${esc(seed.account)}</UserId>`);
  lines.push('    </Key>', '  </KeyPackage>');
  return lines.join('\n');
}

/** xmlenc aes-cbc: a random IV prepended to the PKCS#7-padded ciphertext. */
function encrypt(key: Uint8Array, plain: Uint8Array, random: RandomBytes): Uint8Array {
  const iv = random(16);
  const ct = cbc(key, iv).encrypt(plain);
  const out = new Uint8Array(16 + ct.length);
  out.set(iv);
  out.set(ct, 16);
  return out;
}

function b64(data: Uint8Array): string {
  return Buffer.from(data).toString('base64');
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
