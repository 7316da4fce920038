/**
 * `tokenrig sim key` as a user runs it: one process, one composite device (FIDO, the OTP vendor
 * interface, the keyboard, a serial port), read with `tokenrig code` over the OTP interfaces
 * and `tokenrig fido info` over FIDO, stopped with Ctrl-C.
 */
import { execFile, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const BIN = resolve(import.meta.dirname, '../../bin/tokenrig.js');
const run = promisify(execFile);

describe('tokenrig sim key --profile composite-key', { timeout: 60_000 }, () => {
  it('serves FIDO, the OTP vendor interface, the keyboard and the serial port from one process', async () => {
    const child = spawn(process.execPath, [BIN, 'sim', 'key', '--profile', 'composite-key', '--hid', 'udp:0', '--serial-port', 'tcp:0', '--json'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    try {
      const ready = JSON.parse((await lines.next()).value as string) as { event: string; serial: string; endpoints: Record<string, string>; product: string };
      expect(ready).toMatchObject({ event: 'ready', profile: 'composite-key', product: 'Simulated Key 5 OTP+FIDO' });
      expect(Object.keys(ready.endpoints).sort()).toEqual(['hid', 'keyboard', 'otp', 'serial']);
      const viaOtp = JSON.parse((await run(process.execPath, [BIN, 'code', '--device', ready.endpoints.otp!, '--json'])).stdout) as { code: string; serial: string };
      const viaSerial = JSON.parse((await run(process.execPath, [BIN, 'code', '--device', ready.endpoints.serial!, '--json'])).stdout) as { code: string; serial: string };
      expect(viaOtp.serial).toBe(ready.serial);
      expect(viaSerial.serial).toBe(ready.serial);
      expect(viaSerial.code).toMatch(/^\d{6}$/);
      const info = JSON.parse((await run(process.execPath, [BIN, 'fido', 'info', '--device', ready.endpoints.hid!, '--json'])).stdout) as { versions: string[] };
      expect(info.versions).toContain('FIDO_2_1');
      // The wrong interface of the device is named as such, not a bare protocol error.
      const wrongOtp = await run(process.execPath, [BIN, 'code', '--device', ready.endpoints.hid!]).catch((e: { code: number; stderr: string }) => e);
      expect(wrongOtp).toMatchObject({ code: 10, stderr: expect.stringMatching(/not an OTP token's interface/) });
      const wrongFido = await run(process.execPath, [BIN, 'fido', 'info', '--device', ready.endpoints.otp!]).catch((e: { code: number; stderr: string }) => e);
      expect(wrongFido).toMatchObject({ code: 10, stderr: expect.stringMatching(/is --device its FIDO interface/) });
      const presses: Record<string, unknown>[] = [];
      child.kill('SIGINT');
      for (;;) {
        const next = await lines.next();
        if (next.done === true) break;
        const e = JSON.parse(next.value) as Record<string, unknown>;
        presses.push(e);
      }
      expect(presses.filter((e) => e.event === 'press')).toHaveLength(2);
      expect(presses.at(-1)).toMatchObject({ event: 'stopped', reason: 'SIGINT' });
      expect(await new Promise((r) => (child.exitCode !== null ? r(child.exitCode) : child.on('exit', (code) => r(code))))).toBe(130);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
