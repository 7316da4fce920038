/**
 * A verified FIDO workload for contention and soak tests: each host makes credentials and
 * asserts them, and every answer is checked against its own request, so an answer meant for
 * another request (another host's, or an earlier retry's) is caught, never passed off.
 *
 * - makeCredential: the RP ID hash is the request's, and the packed attestation signature
 *   verifies over authData || the request's own clientDataHash.
 * - getAssertion: the credential is the one asked for, the RP ID hash is the request's, the
 *   signature verifies with that credential's key over authData || the request's own
 *   clientDataHash, and the signature counter went up.
 */
import { X509Certificate, createHash, createPublicKey, randomBytes, verify, type KeyObject } from 'node:crypto';
import type { Ctap2 } from '../../src/ctap/ctap2.js';
import { TokenrigError } from '../../src/errors.js';
import { decodeCbor } from '../../src/protocol/cbor.js';
import { decodeEc2CoseKey } from '../../src/protocol/cose.js';

const sha256 = (data: string | Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(data).digest());
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

export interface HeldCredential {
  rpId: string;
  id: Uint8Array;
  key: KeyObject;
  counter: number;
}

export interface WorkloadTally {
  ok: number;
  /** Answers that do not belong to their request: the defect these tests exist for. */
  wrong: number;
  /** Calls that failed with a typed error (CHANNEL_BUSY after every retry, a timeout). */
  failed: number;
  /** The first few wrong answers. */
  notes: string[];
  /** The first few failed calls. */
  failures: string[];
}

export function newTally(): WorkloadTally {
  return { ok: 0, wrong: 0, failed: 0, notes: [], failures: [] };
}

function note(list: string[], text: string): void {
  if (list.length < 10) list.push(text);
}

/** The attested credential in makeCredential's authData (WebAuthn §6.5.1). */
function attestedCredential(authData: Uint8Array): { id: Uint8Array; key: KeyObject } {
  const idLength = (authData[53]! << 8) | authData[54]!;
  const id = authData.slice(55, 55 + idLength);
  const cose = decodeEc2CoseKey(decodeCbor(authData.subarray(55 + idLength)));
  const b64u = (b: Uint8Array): string => Buffer.from(b).toString('base64url');
  return { id, key: createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64u(cose.x), y: b64u(cose.y) }, format: 'jwk' }) };
}

/** One host's share of the workload: `rounds` mixed makeCredential/getAssertion calls. */
export async function runHostWorkload(ctap2: Ctap2, host: string, rounds: number, tally: WorkloadTally, held: HeldCredential[] = []): Promise<HeldCredential[]> {
  for (let r = 0; r < rounds; r++) {
    const clientDataHash = sha256(`${host} ${r} ${randomBytes(8).toString('hex')}`);
    const make = held.length === 0 || r % 3 === 0;
    try {
      if (make) {
        const rpId = `${host}-${r % 5}.example`;
        const made = await ctap2.makeCredential({
          clientDataHash,
          rp: { id: rpId, name: rpId },
          user: { id: Uint8Array.of(r >> 8, r & 0xff), name: `user${r}` },
          pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
        });
        const problem = checkMade(made.authData, made.attStmt, rpId, clientDataHash);
        if (problem !== undefined) {
          tally.wrong++;
          note(tally.notes, `${host} round ${r} makeCredential: ${problem}`);
          continue;
        }
        const { id, key } = attestedCredential(made.authData);
        held.push({ rpId, id, key, counter: counterOf(made.authData) });
      } else {
        const problem = await assertHeld(ctap2, held[r % held.length]!, clientDataHash);
        if (problem !== undefined) {
          tally.wrong++;
          note(tally.notes, `${host} round ${r} getAssertion: ${problem}`);
          continue;
        }
      }
      tally.ok++;
    } catch (e) {
      if (!(e instanceof TokenrigError)) throw e;
      tally.failed++;
      note(tally.failures, `${host} round ${r} ${make ? 'makeCredential' : 'getAssertion'}: ${e.code} ${e.message}`);
    }
  }
  return held;
}

/**
 * One verified assertion of a credential held: undefined when the answer is right (and the
 * credential's counter moves on), else what is wrong with it. Typed errors are thrown.
 */
export async function assertHeld(ctap2: Ctap2, cred: HeldCredential, clientDataHash: Uint8Array = sha256(randomBytes(16))): Promise<string | undefined> {
  const got = await ctap2.getAssertion({ rpId: cred.rpId, clientDataHash, allowList: [{ type: 'public-key', id: cred.id }] });
  const problem = checkAssertion(got, cred, clientDataHash);
  if (problem === undefined) cred.counter = counterOf(got.authData);
  return problem;
}

function counterOf(authData: Uint8Array): number {
  return new DataView(authData.buffer, authData.byteOffset + 33, 4).getUint32(0);
}

function checkMade(authData: Uint8Array, attStmt: Map<unknown, unknown>, rpId: string, clientDataHash: Uint8Array): string | undefined {
  if (authData.length < 55 || !same(authData.subarray(0, 32), sha256(rpId))) return 'RP ID hash of another request';
  if ((authData[32]! & 0x40) === 0) return 'no attested credential data';
  const sig = attStmt.get('sig');
  const x5c = attStmt.get('x5c');
  if (!(sig instanceof Uint8Array) || !Array.isArray(x5c) || !(x5c[0] instanceof Uint8Array)) return 'not a packed attestation with a certificate';
  const certKey = new X509Certificate(x5c[0]).publicKey;
  const signed = Buffer.concat([authData, clientDataHash]);
  if (!verify('sha256', signed, { key: certKey, dsaEncoding: 'der' }, sig)) return 'attestation signature over another clientDataHash';
  return undefined;
}

function checkAssertion(got: { credential: { id: Uint8Array } | undefined; authData: Uint8Array; signature: Uint8Array }, cred: HeldCredential, clientDataHash: Uint8Array): string | undefined {
  if (got.credential !== undefined && !same(got.credential.id, cred.id)) return 'another credential';
  if (!same(got.authData.subarray(0, 32), sha256(cred.rpId))) return 'RP ID hash of another request';
  const signed = Buffer.concat([got.authData, clientDataHash]);
  if (!verify('sha256', signed, { key: cred.key, dsaEncoding: 'der' }, got.signature)) return 'signature over another clientDataHash or by another key';
  const counter = counterOf(got.authData);
  if (counter <= cred.counter) return `signature counter ${counter} after ${cred.counter}`;
  return undefined;
}
