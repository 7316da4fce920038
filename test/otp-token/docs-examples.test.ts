/**
 * The examples in docs/serial-protocol.md and docs/hid-otp-protocol.md are replayed against
 * the simulator: every `serial-session` and `hid-session` code block, line by line.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AWS_TOTP_PROFILE } from '../../devices/index.js';
import { createTestEnvironment } from '../../firmware-sim/env/index.js';
import { OtpSerialInterface, OtpTokenFirmware, createOtpVendorHid } from '../../firmware-sim/otp/index.js';
import { base32Decode } from '../../src/otp/base32.js';

const SECRET = base32Decode('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');

function blocks(doc: string, info: string): string[][] {
  const text = readFileSync(resolve(import.meta.dirname, '../../docs', doc), 'utf8');
  const out: string[][] = [];
  for (const m of text.matchAll(new RegExp('^```' + info + '\\n([\\s\\S]*?)^```', 'gm'))) out.push(m[1]!.split('\n').filter((l) => l.trim() !== ''));
  return out;
}

function token(startMs: number): { env: ReturnType<typeof createTestEnvironment>['env']; token: OtpTokenFirmware } {
  const { env } = createTestEnvironment({ startMs });
  return { env, token: OtpTokenFirmware.open(env, AWS_TOTP_PROFILE, { secret: SECRET, serial: 'GAKT00000001' }) };
}

describe('docs/serial-protocol.md examples', () => {
  const sessions = blocks('serial-protocol.md', 'serial-session');
  it('has examples', () => expect(sessions.length).toBeGreaterThanOrEqual(4));
  for (const [i, lines] of sessions.entries()) {
    it(`session ${i + 1} replays exactly`, () => {
      const serial = new OtpSerialInterface(token(0).token);
      let out = '';
      serial.attach((b) => (out += Buffer.from(b).toString('latin1')));
      const sent: string[] = [];
      const expected: string[] = [];
      for (const line of lines) {
        if (line.startsWith('> ')) {
          sent.push(line.slice(2));
          serial.receive(new TextEncoder().encode(`${line.slice(2)}\n`));
        } else if (line.startsWith('< ')) expected.push(line.slice(2));
        else throw new Error(`bad example line ${JSON.stringify(line)}`);
      }
      expect(sent.length).toBe(expected.length);
      expect(out.split('\r\n').slice(0, -1)).toEqual(expected);
    });
  }
});

/** One report of a doc line: hex groups, "text", CID, `..`; null marks a wildcard byte. */
function parseReport(spec: string, cid: number[] | undefined): { bytes: (number | null)[]; cidAt: number | undefined } {
  const bytes: (number | null)[] = [];
  let cidAt: number | undefined;
  for (const tok of spec.match(/"[^"]*"|\S+/g) ?? []) {
    if (tok.startsWith('"')) for (const ch of tok.slice(1, -1)) bytes.push(ch.charCodeAt(0));
    else if (tok === 'CID') {
      cidAt = bytes.length;
      bytes.push(...(cid ?? [null, null, null, null]));
    } else if (tok === '..') bytes.push(null);
    else {
      if (!/^([0-9a-f]{2})+$/.test(tok)) throw new Error(`bad token ${tok}`);
      for (let i = 0; i < tok.length; i += 2) bytes.push(parseInt(tok.slice(i, i + 2), 16));
    }
  }
  while (bytes.length < 64) bytes.push(0);
  return { bytes, cidAt };
}

describe('docs/hid-otp-protocol.md examples', () => {
  const sessions = blocks('hid-otp-protocol.md', 'hid-session');
  it('has examples', () => expect(sessions.length).toBeGreaterThanOrEqual(2));
  for (const [i, lines] of sessions.entries()) {
    it(`session ${i + 1} replays exactly`, async () => {
      const { env, token: t } = token(59_000);
      const hid = createOtpVendorHid(env, t);
      const replies: Uint8Array[] = [];
      hid.attach((r) => replies.push(r));
      let cid: number[] | undefined;
      for (const line of lines) {
        if (line.startsWith('> ')) {
          const { bytes } = parseReport(line.slice(2), cid);
          hid.receive(Uint8Array.from(bytes.map((b) => b ?? 0)));
          for (let k = 0; k < 20 && replies.length === 0; k++) await new Promise((r) => setImmediate(r));
        } else if (line.startsWith('< ')) {
          const got = replies.shift();
          expect(got, `no report for ${line}`).toBeDefined();
          const { cidAt } = parseReport(line.slice(2), cid);
          // The first CID in an answer is the channel the device allocated: capture it.
          if (cid === undefined && cidAt !== undefined) cid = [...got!.subarray(cidAt, cidAt + 4)];
          const want = parseReport(line.slice(2), cid).bytes.map((b, j) => b ?? got![j]!);
          expect([...got!]).toEqual(want);
        } else throw new Error(`bad example line ${JSON.stringify(line)}`);
      }
      expect(replies).toEqual([]);
    });
  }
});
