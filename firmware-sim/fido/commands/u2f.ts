/**
 * U2F (CTAP1) over CTAPHID_MSG: VERSION, REGISTER and AUTHENTICATE (FIDO U2F Raw Message
 * Formats v1.2). Key handles are the same self-contained credential IDs CTAP2 uses, so a
 * U2F registration also answers CTAP2 getAssertion for the same application parameter.
 * APDUs in short or extended length encoding (ISO 7816-4 §5.1) are accepted.
 */
import { ec2ToUncompressed } from '../../../src/protocol/cose.js';
import { type CommandApdu, SW, U2F_AUTH_P1, U2F_INS, encodeResponseApdu, parseCommandApdu } from '../../../src/protocol/u2f-apdu.js';
import { CTAPHID_ERR } from '../../../src/protocol/ctaphid/index.js';
import { CtapHidCommandError, type CtapHidContext } from '../../ctaphid/index.js';
import { generateEs256, importEs256, signEs256 } from '../algorithms/es256.js';
import { unwrapCredential, wrapCredential } from '../credential-id.js';
import type { FidoDevice } from '../device.js';
import { alwaysUv } from '../settings.js';

/** How long a U2F request waits for a touch: U2F hosts poll, so a missing touch answers CONDITIONS_NOT_SATISFIED and they retry. */
const U2F_TOUCH_WAIT_MS = 2_000;

async function touch(device: FidoDevice, ctx: CtapHidContext): Promise<boolean> {
  device.emit({ event: 'touch_requested', reason: 'u2f' });
  return device.env.presence.waitForTouch({ timeoutMs: U2F_TOUCH_WAIT_MS, signal: ctx.signal });
}

/** Whether a key with this profile speaks U2F (getInfo versions U2F_V2). */
export function speaksU2f(profile: FidoDevice['profile']): boolean {
  return profile.versions.includes('U2F_V2');
}

function sw(code: number, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  return encodeResponseApdu(body, code);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Serve one U2F request APDU; returns response data ‖ SW1 SW2. */
export async function handleU2fApdu(device: FidoDevice, message: Uint8Array, ctx: CtapHidContext): Promise<Uint8Array> {
  // alwaysUv turns U2F off (U2F has no user verification): the key answers as one without
  // CTAPHID_MSG, and getInfo drops U2F_V2 (authenticator-config.ts), as OpenSK does.
  if (alwaysUv(device)) throw new CtapHidCommandError(CTAPHID_ERR.ERR_INVALID_CMD, 'U2F is off while alwaysUv is on');
  let apdu: CommandApdu;
  try {
    apdu = parseCommandApdu(message);
  } catch {
    // python-fido2 and other U2F hosts send commands without data as extended Lc = 0
    // (`00 03 00 00 00 00 00 [00 00]`), which ISO 7816 forbids but U2F devices accept.
    const lcZero = (message.length === 7 || message.length === 9) && message.subarray(4).every((b) => b === 0);
    if (!lcZero) return sw(SW.WRONG_LENGTH);
    apdu = { cla: message[0]!, ins: message[1]!, p1: message[2]!, p2: message[3]!, data: new Uint8Array(0), le: 65536 };
  }
  if (apdu.cla !== 0) return sw(SW.CLA_NOT_SUPPORTED);
  switch (apdu.ins) {
    case U2F_INS.VERSION:
      if (apdu.data.length !== 0) return sw(SW.WRONG_LENGTH);
      return sw(SW.NO_ERROR, new TextEncoder().encode('U2F_V2'));
    case U2F_INS.REGISTER:
      return register(device, apdu, ctx);
    case U2F_INS.AUTHENTICATE:
      return authenticate(device, apdu, ctx);
    default:
      return sw(SW.INS_NOT_SUPPORTED);
  }
}

async function register(device: FidoDevice, apdu: CommandApdu, ctx: CtapHidContext): Promise<Uint8Array> {
  if (apdu.data.length !== 64) return sw(SW.WRONG_LENGTH);
  const challenge = apdu.data.subarray(0, 32);
  const application = apdu.data.subarray(32, 64);
  if (!(await touch(device, ctx))) return sw(SW.CONDITIONS_NOT_SATISFIED);
  const key = await generateEs256(device.env.random);
  const handle = wrapCredential(device.masterKey, application, key.d, device.env.random.bytes(12));
  const publicKey = ec2ToUncompressed(key);
  // U2F raw formats §4.3: sign 0x00 ‖ application ‖ challenge ‖ key handle ‖ public key.
  const signature = await signEs256(device.attestationKey, concat(Uint8Array.of(0), application, challenge, handle, publicKey));
  device.emit({ event: 'u2f_registered' });
  return sw(SW.NO_ERROR, concat(Uint8Array.of(0x05), publicKey, Uint8Array.of(handle.length), handle, device.identity.attestationCert, signature));
}

async function authenticate(device: FidoDevice, apdu: CommandApdu, ctx: CtapHidContext): Promise<Uint8Array> {
  const d = apdu.data;
  if (d.length < 65 || d.length !== 65 + d[64]!) return sw(SW.WRONG_LENGTH);
  const challenge = d.subarray(0, 32);
  const application = d.subarray(32, 64);
  const handle = d.subarray(65);
  const privateKey = unwrapCredential(device.masterKey, application, handle);
  if (privateKey === undefined) return sw(SW.WRONG_DATA);
  if (apdu.p1 === U2F_AUTH_P1.CHECK_ONLY) return sw(SW.CONDITIONS_NOT_SATISFIED); // "the key handle is ours"
  if (apdu.p1 !== U2F_AUTH_P1.ENFORCE_USER_PRESENCE_AND_SIGN && apdu.p1 !== U2F_AUTH_P1.DONT_ENFORCE_USER_PRESENCE_AND_SIGN) return sw(SW.WRONG_DATA);
  let flags = 0;
  if (apdu.p1 === U2F_AUTH_P1.ENFORCE_USER_PRESENCE_AND_SIGN) {
    if (!(await touch(device, ctx))) return sw(SW.CONDITIONS_NOT_SATISFIED);
    flags = 0x01;
  }
  const counter = device.store.nextCounter(handle);
  const counterBytes = Uint8Array.of(counter >>> 24, (counter >>> 16) & 0xff, (counter >>> 8) & 0xff, counter & 0xff);
  const key = await importEs256(privateKey);
  const signature = await signEs256(key, concat(application, Uint8Array.of(flags), counterBytes, challenge));
  device.emit({ event: 'u2f_authenticated', counter });
  return sw(SW.NO_ERROR, concat(Uint8Array.of(flags), counterBytes, signature));
}
