/** A CliIo for running commands in process: output kept in memory, stdin empty. */
import { PassThrough, Writable } from 'node:stream';
import type { CliIo } from '../../src/cli/cli-io.js';

export interface CapturedIo extends CliIo {
  out(): string;
  err(): string;
}

function collector(chunks: string[]): Writable {
  return new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
}

/** An io whose stdout and stderr are kept; `out()` and `err()` read them back. */
export function quietIo(env: NodeJS.ProcessEnv = {}): CapturedIo {
  const out: string[] = [];
  const err: string[] = [];
  const stdin = new PassThrough();
  stdin.end();
  return { stdout: collector(out), stderr: collector(err), stdin, isTTY: false, env, out: () => out.join(''), err: () => err.join('') };
}
