/**
 * Runs inside the VM (test/vm/contention.vm.test.ts starts it): many host processes share one
 * simulated key through one hidraw node, as test workers of a QA rig share a real key. The key
 * (`sim fido`, the strict default personality) is attached once with uhid and once over USB/IP
 * (vhci-hcd, its server in the guest too); each time HOSTS processes
 * (test/vm/guest/contention-worker.ts) open the same /dev/hidrawN with node-hid, each on its own
 * CTAPHID channel, and run ROUNDS mixed makeCredential/getAssertion calls at once. The kernel
 * hands every input report to every open file, so each host sees every other host's answers
 * (and CHANNEL_BUSY refusals): every answer must still be its own request's, verified by
 * signature over its own clientDataHash with its own credential.
 *
 *   node contention-guest.mjs RESULTS.json CLI.mjs WORKER.mjs HOSTS ROUNDS
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Checks, expectThat, log, must, runGuestMain, startSim, stopProcess, waitFor } from './harness.js';

const [resultsFile, cli, worker, hostsArg, roundsArg] = process.argv.slice(2) as [string, string, string, string, string];
const checks = new Checks(resultsFile);
const HOSTS = Number(hostsArg);
const ROUNDS = Number(roundsArg);

interface WorkerLine {
  event: 'ready' | 'done';
  host: string;
  cid: number;
  ms?: number;
  ok?: number;
  wrong?: number;
  failed?: number;
  notes?: string[];
  failures?: string[];
}

/** Every FIDO hidraw node (usage page 0xF1D0: report descriptor starting 06 d0 f1). */
function fidoNodes(): string[] {
  const out: string[] = [];
  for (const name of existsSync('/sys/class/hidraw') ? readdirSync('/sys/class/hidraw') : []) {
    try {
      const rd = readFileSync(`/sys/class/hidraw/${name}/device/report_descriptor`);
      if (rd.subarray(0, 3).equals(Buffer.from([0x06, 0xd0, 0xf1])) && existsSync(`/dev/${name}`)) out.push(`/dev/${name}`);
    } catch {
      // Gone while we looked.
    }
  }
  return out;
}

/** HOSTS worker processes on `hidraw`, started together; their final tallies. */
async function contend(hidraw: string): Promise<{ lines: WorkerLine[]; ms: number }> {
  const workers = Array.from({ length: HOSTS }, (_, i) => {
    const child = spawn(process.execPath, [worker, `hid:${hidraw}`, `host${i}`, String(ROUNDS)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const events: WorkerLine[] = [];
    const waiters: (() => void)[] = [];
    createInterface({ input: child.stdout }).on('line', (l) => {
      events.push(JSON.parse(l) as WorkerLine);
      for (const w of waiters.splice(0)) w();
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    // Bounded: a host that hangs is killed, and the check fails naming it.
    const timer = setTimeout(() => child.kill('SIGKILL'), 1_200_000);
    void exited.then(() => {
      clearTimeout(timer);
      for (const w of waiters.splice(0)) w();
    });
    const next = async (event: WorkerLine['event']): Promise<WorkerLine> => {
      for (;;) {
        const found = events.find((e) => e.event === event);
        if (found !== undefined) return found;
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`host${i} exited ${child.exitCode ?? child.signalCode} before "${event}": ${stderr.trim().slice(-1500)}`);
        await new Promise<void>((r) => waiters.push(r));
      }
    };
    return { child, next, exited, stderr: () => stderr };
  });
  const ready = await Promise.all(workers.map((w) => w.next('ready')));
  const cids = ready.map((r) => r.cid);
  expectThat(new Set(cids).size === HOSTS, `channel IDs not distinct: ${cids.map((c) => c.toString(16)).join(', ')}`);
  log(`${HOSTS} hosts ready on ${hidraw}, channels ${cids.map((c) => c.toString(16).padStart(8, '0')).join(', ')}: go`);
  const t = Date.now();
  for (const w of workers) w.child.stdin!.end('go\n');
  const done = await Promise.all(workers.map((w) => w.next('done')));
  const ms = Date.now() - t;
  const codes = await Promise.all(workers.map((w) => w.exited));
  expectThat(codes.every((c) => c === 0), `host exit codes ${codes.join(', ')}: ${workers.map((w) => w.stderr()).join('\n').slice(-1500)}`);
  // A done line under another host's channel would be an answer crossed between processes.
  for (const [i, d] of done.entries()) expectThat(d.cid === cids[i], `host${i} finished on channel ${d.cid.toString(16)}, allocated ${cids[i]!.toString(16)}`);
  return { lines: done, ms };
}

async function contentionCheck(via: string, hidraw: () => Promise<string>): Promise<void> {
  await checks.run(`${via}: ${HOSTS} host processes share one hidraw node, ${ROUNDS} mixed makeCredential/getAssertion calls each, every answer verified, zero wrong`, async () => {
    const node = await hidraw();
    const { lines, ms } = await contend(node);
    const sum = (k: 'ok' | 'wrong' | 'failed'): number => lines.reduce((n, l) => n + (l[k] ?? 0), 0);
    const totals = { ok: sum('ok'), wrong: sum('wrong'), failed: sum('failed') };
    const problems = lines.flatMap((l) => [...(l.notes ?? []), ...(l.failures ?? [])]);
    log(`${via}: ${JSON.stringify(totals)} in ${ms} ms; per host ${lines.map((l) => `${l.host} ${l.ok}/${l.wrong}/${l.failed} ${l.ms} ms`).join(', ')}`);
    expectThat(totals.wrong === 0 && totals.failed === 0 && totals.ok === HOSTS * ROUNDS && problems.length === 0, `${JSON.stringify(totals)}: ${problems.join('; ')}`);
    const perSecond = Math.round((totals.ok / ms) * 1000 * 10) / 10;
    return { detail: `${node}: ${totals.ok} answers verified, ${totals.wrong} wrong, ${totals.failed} failed, ${HOSTS} distinct channels, ${ms} ms (${perSecond} calls/s emulated)`, data: { hosts: HOSTS, rounds: ROUNDS, ...totals, ms, perSecond } };
  });
}

async function main(): Promise<void> {
  await must('modprobe', ['uhid']);
  await must('modprobe', ['vhci-hcd']);

  const uhid = await startSim(cli, ['fido', '--json', '--quiet', '--uhid']);
  await contentionCheck('uhid', async () => {
    const specs = Object.values(uhid.ready.endpoints as Record<string, string>).filter((s) => s.startsWith('hid:/dev/hidraw'));
    expectThat(specs.length === 1, `ready names ${JSON.stringify(uhid.ready.endpoints)}`);
    return specs[0]!.slice('hid:'.length);
  });
  await stopProcess(uhid.child);
  await waitFor('the uhid key gone', () => (fidoNodes().length === 0 ? true : undefined), 10_000);

  const usbip = await startSim(cli, ['fido', '--json', '--quiet', '--usbip=0']);
  await contentionCheck('usbip', async () => {
    const spec = (usbip.ready.endpoints as { usbip: string }).usbip;
    const port = /:(\d+)\//.exec(spec)![1]!;
    await must('usbip', ['--tcp-port', port, 'attach', '-r', '127.0.0.1', '-b', '1-1']);
    return waitFor('the attached key’s FIDO hidraw node', () => fidoNodes()[0], 60_000);
  });
  await stopProcess(usbip.child);
  log('done');
}

runGuestMain(main);
