/**
 * Independent peers (oathtool, pskctool, python3-fido2, socat, ...). A peer test skips with a
 * printed reason when its tool is absent locally, and fails when CI=true, so CI always runs it.
 *
 * @example
 * ```ts
 * const oathtool = peer('oathtool', 'apt-get install oathtool', () => commandWorks('oathtool', ['--version']));
 * it('agrees with oathtool', (ctx) => { oathtool.require(ctx); ... });
 * ```
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface Peer {
  readonly name: string;
  readonly available: boolean;
  /** Skip the running test (printing why) when the peer is absent; throw on CI. */
  require(ctx: { skip: (note?: string) => void }): void;
}

/** True when `cmd args` runs and exits 0 (within `timeoutMs`). */
export function commandWorks(cmd: string, args: string[] = ['--version'], timeoutMs = 10_000): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: timeoutMs });
  return r.status === 0;
}

/** Debian's own python, which sees python3-fido2 and python3-serial. */
export const DEBIAN_PYTHON = '/usr/bin/python3';

/** True when Debian's python can import `module`. */
export function pythonModuleWorks(module: string): boolean {
  return commandWorks(DEBIAN_PYTHON, ['-c', `import ${module}`]);
}

/** Run a python script with Debian's python, without blocking the event loop (the script may talk to a simulator in this process). */
export function runPython(script: string, args: string[], timeoutMs = 90_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(DEBIAN_PYTHON, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Debian's AWS CLI (package awscli, v2) when installed, else whichever `aws` is on PATH;
 * `$TOKENRIG_AWS_CLI` names another.
 */
export const AWS_CLI = process.env.TOKENRIG_AWS_CLI ?? (existsSync('/usr/bin/aws') ? '/usr/bin/aws' : 'aws');

export function peer(name: string, howToInstall: string, probe: () => boolean): Peer {
  let cached: boolean | undefined;
  const available = (): boolean => (cached ??= probe());
  return {
    name,
    get available() {
      return available();
    },
    require(ctx) {
      if (available()) return;
      const why = `peer ${name} is not installed (${howToInstall})`;
      if (process.env.CI === 'true') throw new Error(`${why}: CI must run every peer test`);
      console.warn(`skipped: ${why}`);
      ctx.skip(why);
    },
  };
}

export const peers = {
  oathtool: peer('oathtool', 'apt-get install oathtool', () => commandWorks('oathtool', ['--version'])),
  pskctool: peer('pskctool', 'apt-get install pskctool', () => commandWorks('pskctool', ['--version'])),
  socat: peer('socat', 'apt-get install socat', () => commandWorks('socat', ['-V'])),
  qrencode: peer('qrencode', 'apt-get install qrencode', () => commandWorks('qrencode', ['--version'])),
  pythonFido2: peer('python3-fido2', 'apt-get install python3-fido2', () => pythonModuleWorks('fido2')),
  pythonSerial: peer('python3-serial', 'apt-get install python3-serial', () => pythonModuleWorks('serial')),
  // The AWS CLI is a large Python program: on a busy machine its start alone can take seconds.
  awscli: peer('awscli', 'apt-get install awscli', () => commandWorks(AWS_CLI, ['--version'], 60_000)),
};
