/**
 * `otp verify --state` from several processes at once, as several service workers share one
 * verifier state: 8 processes verify the same 50 codes, round by round, and each code is
 * accepted exactly once (single use, RFC 6238 §5.2), never twice and never lost.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { Totp, base32Decode } from '../../src/otp/index.js';
import { quietIo } from '../support/cli-io.js';

const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const WORKER = join(import.meta.dirname, 'fixtures/verify-worker.ts');
const WORKERS = 8;
const CODES = 50;

interface Worker {
  child: ChildProcess;
  next(): Promise<{ line: number; accepted: boolean; exit: number }>;
}

function startWorker(stateFile: string): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, SECRET, stateFile], { stdio: ['pipe', 'pipe', 'inherit'] });
  const answers: string[] = [];
  const waiting: ((l: string) => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    const w = waiting.shift();
    if (w === undefined) answers.push(l);
    else w(l);
  });
  return {
    child,
    next: async () => JSON.parse(answers.shift() ?? (await new Promise<string>((r) => waiting.push(r)))) as { line: number; accepted: boolean; exit: number },
  };
}

describe('otp verify --state under concurrency', () => {
  it(`${WORKERS} processes × ${CODES} codes: each code accepted exactly once`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokenrig-verify-race-'));
    const state = join(dir, 'svc.json');
    const totp = new Totp(base32Decode(SECRET));
    const t0 = 1_800_000_000;
    // Enroll first, with two consecutive codes.
    expect(await main(['otp', 'verify', '--secret', SECRET, totp.generate(t0 - 30), totp.generate(t0), '--state', state, '--time', String(t0), '--window', '2'], quietIo())).toBe(0);
    const workers = Array.from({ length: WORKERS }, () => startWorker(state));
    try {
      const acceptedPerCode: number[] = [];
      for (let i = 1; i <= CODES; i++) {
        const time = t0 + 30 * i;
        const request = `${time} ${totp.generate(time)}\n`;
        for (const w of workers) w.child.stdin!.write(request);
        const answers = await Promise.all(workers.map((w) => w.next()));
        // Every refusal is a replay (exit 9), never an error of the state file.
        expect(answers.filter((a) => !a.accepted).map((a) => a.exit)).toEqual(Array(answers.filter((a) => !a.accepted).length).fill(9));
        acceptedPerCode.push(answers.filter((a) => a.accepted).length);
      }
      expect(acceptedPerCode).toEqual(Array(CODES).fill(1));
      // Nothing left behind: no lock, no temporary file.
      expect(readdirSync(dir)).toEqual(['svc.json']);
    } finally {
      for (const w of workers) w.child.kill();
    }
  }, 120_000);
});
