/**
 * A client that sends a flood of commands and never reads the answers must not grow the
 * simulator without bound: `tokenrig sim otp` in a child process, over TCP and over a real
 * pty, flooded with 1,000,000 commands; its resident memory (VmRSS) must grow by less than
 * RSS_GROWTH_BOUND. Without backpressure it grew about 1.8 KB per unread answer (about 400 MB here)
 * and never gave it back (1.8 GB in one measurement). Then the client reads, and the answers
 * resume. (Over the pty, socat's own blocking writes already held the flood back here; the
 * test keeps the bound for the pipe between socat and the simulator.)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { TcpSerialEndpoint } from '../../firmware-sim/endpoints/tcp-serial-endpoint.js';
import { MemoryLogger } from '../../firmware-sim/env/index.js';
import { peers } from '../support/peer.js';

const BIN = join(import.meta.dirname, '../../bin/tokenrig.js');
const COMMANDS = 1_000_000;
/** The stated bound: the simulator may grow by at most this much, flooded or not. */
const RSS_GROWTH_BOUND = 64 * 1024 * 1024;
/** Answers read back once the client reads. */
const READ_BACK = 100_000;
const FLOOD = Buffer.from('*IDN?\n'.repeat(COMMANDS));

let sim: ChildProcess | undefined;
afterEach(() => {
  sim?.kill('SIGKILL');
  sim = undefined;
});

async function startSim(serialPort: string): Promise<{ pid: number; serial: string }> {
  sim = spawn(process.execPath, [BIN, 'sim', 'otp', '--serial-port', serialPort, '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = await new Promise<{ endpoints: { serial: string }; pid: number }>((resolve, reject) => {
    createInterface({ input: sim!.stdout! }).once('line', (l) => resolve(JSON.parse(l)));
    sim!.once('exit', (c) => reject(new Error(`simulator exited with ${c}`)));
  });
  return { pid: ready.pid, serial: ready.endpoints.serial };
}

function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Count answer lines until `n` arrived or `ms` passed. */
function countLines(stream: NodeJS.ReadableStream, n: number, ms: number): Promise<number> {
  return new Promise((resolve) => {
    let lines = 0;
    const timer = setTimeout(() => resolve(lines), ms);
    stream.on('data', (chunk: Buffer) => {
      for (const b of chunk) if (b === 0x0a) lines++;
      if (lines >= n) {
        clearTimeout(timer);
        resolve(lines);
      }
    });
  });
}

describe('backpressure on the serial endpoints', () => {
  it(`TCP: ${COMMANDS} unread commands keep the simulator within ${RSS_GROWTH_BOUND >> 20} MB, and answers resume once it reads`, async () => {
    const { pid, serial } = await startSim('tcp:0');
    const port = Number(serial.split(':').pop());
    await settle(300);
    const before = rss(pid);
    const client = connect({ host: '127.0.0.1', port });
    client.pause(); // never read
    await new Promise<void>((r) => client.once('connect', () => r()));
    client.write(FLOOD);
    // Give the simulator time to read what it will (without backpressure: all of it).
    await settle(3000);
    const growth = rss(pid) - before;
    expect(growth).toBeLessThan(RSS_GROWTH_BOUND);
    // Now read: the simulator resumes answering (the first READ_BACK answers are counted).
    const got = countLines(client, READ_BACK, 30_000);
    client.resume();
    expect(await got).toBeGreaterThanOrEqual(READ_BACK);
    client.destroy();
  }, 90_000);

  it(`pty: ${COMMANDS} unread commands keep the simulator within ${RSS_GROWTH_BOUND >> 20} MB`, async (ctx) => {
    peers.socat.require(ctx);
    const { pid, serial } = await startSim('pty');
    const path = serial.replace(/^serial:/, '');
    await settle(300);
    const before = rss(pid);
    // A client process that writes the flood to the pty (non-blocking, for up to 3 s) and never reads.
    const writer = spawn(process.execPath, [
      '-e',
      `const fs = require('fs');
       const fd = fs.openSync(${JSON.stringify(path)}, fs.constants.O_RDWR | fs.constants.O_NOCTTY | fs.constants.O_NONBLOCK);
       const data = Buffer.from('*IDN?\\n'.repeat(${COMMANDS}));
       let off = 0; const end = Date.now() + 3000;
       while (off < data.length && Date.now() < end) {
         try { off += fs.writeSync(fd, data, off, Math.min(4096, data.length - off)); } catch (e) { if (e.code !== 'EAGAIN') throw e; }
       }
       process.stdout.write(String(off));
       setTimeout(() => {}, 10000);`,
    ]);
    const written = await new Promise<number>((r) => writer.stdout!.once('data', (d: Buffer) => r(Number(d.toString()))));
    await settle(1000);
    const growth = rss(pid) - before;
    writer.kill();
    expect(written).toBeGreaterThan(0);
    expect(growth).toBeLessThan(RSS_GROWTH_BOUND);
  }, 60_000);

  it('closes a connection whose unread answers pass the cap, with a logged reason', async () => {
    const log = new MemoryLogger();
    // A device that answers every byte with 1 KB: one burst of input outgrows any queue.
    let send: ((b: Uint8Array) => void) | undefined;
    const device = { attach: (s: (b: Uint8Array) => void) => void (send = s), receive: (b: Uint8Array) => b.forEach(() => send?.(new Uint8Array(1024))) };
    const tcp = await TcpSerialEndpoint.listen(device, { maxPendingOutput: 64 * 1024, log });
    const client = connect({ host: '127.0.0.1', port: tcp.port });
    client.pause();
    const closed = new Promise<void>((r) => client.once('close', () => r()));
    client.on('error', () => {});
    client.write(Buffer.alloc(4096, 0x41));
    for (let i = 0; i < 200 && log.events.length === 0; i++) await settle(10);
    client.resume(); // read the rest, and see the end
    await closed;
    expect(log.events).toContainEqual(expect.objectContaining({ event: 'serial.client_closed', fields: expect.objectContaining({ reason: expect.stringMatching(/unread/) }) }));
    await tcp.close();
  });
});
