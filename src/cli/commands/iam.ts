/**
 * `tokenrig iam serve|enroll-token|resync-token|import-seeds`: the strict local IAM/STS
 * endpoint and the helpers of the QA flow around it (docs/iam-endpoint.md).
 *
 * - `serve` runs the endpoint on loopback; with --json the first line is the `ready` event
 *   (endpoint URL, the test account's keys), then one `request` event per call (not with
 *   --quiet), then `stopped`.
 * - `enroll-token` reads two consecutive codes from a token through the host driver (moving a
 *   simulator's clock, waiting for a real token's next code) and calls EnableMFADevice on any
 *   endpoint, AWS included.
 * - `resync-token` does the same with ResyncMFADevice.
 * - `import-seeds` teaches a state directory hardware tokens from seed files.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { readConsecutiveCodes } from '../../drivers/consecutive-codes.js';
import { openOtpTokenDriver } from '../../drivers/otp-token-driver.js';
import { ErrorCode, TokenrigError, badFile, badInput } from '../../errors.js';
import type { TokenSeed } from '../../seeds/index.js';
import { type ParsedArgs, flag, intOpt, requireOpt, stringOpt } from '../args.js';
import { type CliIo, printEvent, printJson, printLine } from '../cli-io.js';
import type { CommandSpec, CommandTable, FlagTable } from '../command.js';
import { withImportProgress } from '../progress.js';
import { SEED_FILE_SECRETS, pskcKeysFromOptions } from '../seed-options.js';
import { secretInput } from '../secret-input.js';
import { SIGNAL_EXIT_STATUS, untilStopped } from '../signals.js';

export const DEFAULT_IAM_PORT = 8135;

/** The root secret key of `serve --access-key` (a secret: stdin, a file or the environment too). */
const SECRET_KEY = secretInput('secret-key', { value: 'SECRET', env: 'TOKENRIG_IAM_SECRET_KEY', help: 'the secret access key that goes with --access-key' });

const STATE_FLAG: FlagTable = {
  state: { type: 'string', value: 'DIR', help: 'the endpoint\'s SQLite store (default $XDG_STATE_HOME/tokenrig/iam): the account,\nits root access key, users, MFA devices, sessions; mode 0700/0600' },
};

/** `$XDG_STATE_HOME/tokenrig/iam`, or `~/.local/state/tokenrig/iam`. */
function defaultStateDir(io: CliIo): string {
  const base = io.env.XDG_STATE_HOME ?? join(io.env.HOME ?? homedir(), '.local', 'state');
  return join(base, 'tokenrig', 'iam');
}

async function loadSeeds(files: string[], args: ParsedArgs, io: CliIo): Promise<TokenSeed[]> {
  const keys = pskcKeysFromOptions(args);
  const { loadSeedFile } = await import('../../seeds/index.js');
  const seeds: TokenSeed[] = [];
  for (const f of files) seeds.push(...(await withImportProgress(io, f, (onProgress) => loadSeedFile(f, keys, { onProgress }))));
  return seeds;
}

function stringList(args: ParsedArgs, name: string): string[] {
  const v = args.values[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

async function serve(args: ParsedArgs, io: CliIo): Promise<number> {
  const json = flag(args, 'json');
  const quiet = flag(args, 'quiet');
  const port = intOpt(args, 'port', 0, 65535) ?? DEFAULT_IAM_PORT;
  const stateDir = stringOpt(args, 'state') ?? defaultStateDir(io);
  const accessKeyId = stringOpt(args, 'access-key');
  const secretAccessKey = stringOpt(args, 'secret-key');
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) throw badInput('give --access-key and --secret-key together');
  if (accessKeyId !== undefined && !/^\w{16,128}$/.test(accessKeyId)) throw badInput('--access-key must be 16 to 128 letters, digits or _ (an access key ID such as AKIA...)');
  if (secretAccessKey !== undefined && secretAccessKey.length < 1) throw badInput('--secret-key must not be empty');
  const accountId = stringOpt(args, 'account-id');
  if (accountId !== undefined && !/^\d{12}$/.test(accountId)) throw badInput('--account-id must be 12 digits');
  const seeds = await loadSeeds(stringList(args, 'seed-file'), args, io);

  const { IamStore, IamService, IamHttpEndpoint, importHardwareTokens } = await import('../../iam/index.js');
  const store = IamStore.open(stateDir);
  let service: ReturnType<typeof IamService.open>;
  let hardwareTokens: { imported: number; known: number };
  let endpoint: Awaited<ReturnType<typeof IamHttpEndpoint.listen>> | undefined;
  try {
    service = IamService.open({
      store,
      ...(accessKeyId === undefined ? {} : { accessKey: { accessKeyId, secretAccessKey: secretAccessKey! } }),
      ...(accountId === undefined ? {} : { accountId }),
    });
    if (accountId !== undefined && service.account !== accountId) throw badInput(`--account-id: ${stateDir} already holds account ${service.account}`);
    hardwareTokens = importHardwareTokens(store, seeds, Date.now());
    store.purgeSessions(Date.now() - 86_400_000);
    await store.durable();
    endpoint = await IamHttpEndpoint.listen(service, {
      port,
      onResponse: (r) => {
        if (r.fault !== undefined) {
          const message = r.fault instanceof Error ? r.fault.message : String(r.fault);
          if (json) printEvent(io, { event: 'fault', requestId: r.requestId, action: r.action ?? null, message });
          io.stderr.write(`tokenrig: internal error in ${r.action ?? 'a request'}: ${message}\n`);
        }
        if (quiet) return;
        if (json) printEvent(io, { event: 'request', action: r.action ?? null, status: r.status, ...(r.errorCode === undefined ? {} : { code: r.errorCode }), requestId: r.requestId, ms: Math.round(r.ms * 100) / 100 });
        else printLine(io, `${r.status} ${r.action ?? '-'}${r.errorCode === undefined ? '' : ` ${r.errorCode}`} ${r.ms.toFixed(1)} ms`);
      },
    });
  } catch (e) {
    await endpoint?.close();
    await store.close();
    if (e instanceof Error && (e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new TokenrigError(ErrorCode.BUSY, `port ${port} is in use on 127.0.0.1: choose another with --port (0 = any free port)`, { cause: e });
    }
    throw e;
  }
  // Listen for Ctrl-C before announcing readiness: a controller may signal as soon as it reads it.
  const signals = untilStopped();
  // Expired sessions are kept a day (so their use answers ExpiredToken), then forgotten.
  const purge = setInterval(() => store.purgeSessions(Date.now() - 86_400_000), 3_600_000);
  purge.unref();
  const creds = service.rootCredentials;
  if (json) {
    printEvent(io, {
      event: 'ready',
      endpoint: endpoint.url,
      accountId: service.account,
      accessKeyId: creds.accessKeyId,
      secretAccessKey: creds.secretAccessKey,
      region: 'us-east-1',
      state: stateDir,
      hardwareTokens,
      pid: process.pid,
    });
  } else {
    printLine(io, `IAM/STS endpoint on ${endpoint.url} (account ${service.account}, state ${stateDir})`);
    if (seeds.length > 0) printLine(io, `  hardware tokens: ${hardwareTokens.imported} imported, ${hardwareTokens.known} already known`);
    printLine(io, `  export AWS_ACCESS_KEY_ID=${creds.accessKeyId}`);
    printLine(io, flag(args, 'reveal') ? `  export AWS_SECRET_ACCESS_KEY=${creds.secretAccessKey}` : '  (the secret key is shown with --reveal or --json)');
    printLine(io, `  aws --endpoint-url ${endpoint.url} iam list-users`);
  }
  const reason = await signals.stopped;
  clearInterval(purge);
  await endpoint.close();
  await store.close();
  signals.dispose();
  if (json) printEvent(io, { event: 'stopped', reason });
  else printLine(io, `stopped (${reason})`);
  return SIGNAL_EXIT_STATUS[reason];
}

/** Credentials for enroll-token: the local state's root key, the environment, or a profile. */
async function resolveCredentials(args: ParsedArgs, io: CliIo): Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }> {
  const state = stringOpt(args, 'state');
  const profile = stringOpt(args, 'profile');
  if (state !== undefined && profile !== undefined) throw badInput('give --state or --profile, not both');
  if (state !== undefined) {
    const { IamStore, IamService } = await import('../../iam/index.js');
    const store = IamStore.open(state);
    try {
      return IamService.open({ store }).rootCredentials;
    } finally {
      await store.close();
    }
  }
  const env = io.env;
  if (profile === undefined && env.AWS_ACCESS_KEY_ID !== undefined && env.AWS_SECRET_ACCESS_KEY !== undefined) {
    return { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN === undefined ? {} : { sessionToken: env.AWS_SESSION_TOKEN }) };
  }
  const name = profile ?? env.AWS_PROFILE ?? 'default';
  const file = env.AWS_SHARED_CREDENTIALS_FILE ?? join(env.HOME ?? homedir(), '.aws', 'credentials');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw badInput(`no credentials: give --state DIR, set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add profile ${name} to ${file}`);
  }
  const section = parseIni(text)[name];
  if (section?.aws_access_key_id === undefined || section.aws_secret_access_key === undefined) throw badFile(`${file}: profile ${name} has no aws_access_key_id and aws_secret_access_key`);
  return { accessKeyId: section.aws_access_key_id, secretAccessKey: section.aws_secret_access_key, ...(section.aws_session_token === undefined ? {} : { sessionToken: section.aws_session_token }) };
}

/** The AWS shared credentials file's INI: `[name]` sections of `key = value` lines. */
export function parseIni(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let current: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[\s*(?:profile\s+)?([^\]]+?)\s*\]$/.exec(line);
    if (section !== null) {
      current = out[section[1]!] ??= {};
      continue;
    }
    const eq = line.indexOf('=');
    if (eq > 0 && current !== undefined) current[line.slice(0, eq).trim().toLowerCase()] = line.slice(eq + 1).trim();
  }
  return out;
}

/** enroll-token (EnableMFADevice) and resync-token (ResyncMFADevice): two codes from a token, one call. */
async function tokenCodesCall(action: 'EnableMFADevice' | 'ResyncMFADevice', args: ParsedArgs, io: CliIo): Promise<number> {
  const json = flag(args, 'json');
  const user = requireOpt(args, 'user');
  const serial = requireOpt(args, 'serial');
  const spec = requireOpt(args, 'device');
  const endpointUrl = stringOpt(args, 'endpoint-url') ?? io.env.AWS_ENDPOINT_URL_IAM ?? io.env.AWS_ENDPOINT_URL ?? 'https://iam.amazonaws.com';
  try {
    new URL(endpointUrl);
  } catch {
    throw badInput(`--endpoint-url must be a URL, got ${JSON.stringify(endpointUrl)}`);
  }
  const region = stringOpt(args, 'region') ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  // Progress goes to stderr: a countdown in place when stderr is a terminal, a line every 10 s otherwise.
  const stderrTty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  const emit = (e: { event: string; [field: string]: unknown }, line: string): void => {
    if (json) printEvent(io, e);
    else io.stderr.write(`${line}\n`);
  };

  const driver = await openOtpTokenDriver(spec, { timeoutMs: intOpt(args, 'timeout', 1, 600_000) ?? 2000 });
  let codes: [string, string];
  let simulator: boolean;
  let credentials: Awaited<ReturnType<typeof resolveCredentials>>;
  try {
    const id = await driver.identify();
    // A hardware serial is the token's own: enrolling another token's codes under it cannot work.
    if (!serial.startsWith('arn:') && id.serial !== serial) throw badInput(`the token on ${spec} has serial ${id.serial}, not ${serial}`);
    emit({ event: 'token', device: spec, serial: id.serial, model: id.model }, `token ${id.serial} (${id.model}) on ${spec}`);
    // Credentials after the token answered (a missing token fails at once) and before the codes
    // (which take up to a minute on a real token).
    credentials = await resolveCredentials(args, io);
    ({ codes, simulator } = await readConsecutiveCodes(driver, {
      onProgress: (p) => {
        if (p.stage === 'code') emit({ event: 'code', index: p.index }, `read code ${p.index} of 2`);
        else if (json) printEvent(io, { event: 'waiting', elapsedSeconds: p.elapsedSeconds, maxSeconds: p.maxSeconds });
        else if (stderrTty) io.stderr.write(`\rwaiting for the token's next code: ${p.elapsedSeconds} s`);
        else if (p.elapsedSeconds % 10 === 0) io.stderr.write(`waiting for the token's next code: ${p.elapsedSeconds} s\n`);
      },
    }));
    if (!json && stderrTty && !simulator) io.stderr.write('\n');
  } finally {
    await driver.close();
  }
  const { IamQueryClient } = await import('../../iam/index.js');
  const iam = new IamQueryClient({ endpoint: endpointUrl, service: 'iam', region, credentials });
  emit({ event: 'calling', action, endpoint: endpointUrl }, `${action} on ${endpointUrl}`);
  const { requestId } = await iam.call(action, { UserName: user, SerialNumber: serial, AuthenticationCode1: codes[0], AuthenticationCode2: codes[1] });
  const done = action === 'EnableMFADevice' ? 'enabled' : 'resynced';
  if (json) printEvent(io, { event: done, user, serial, endpoint: endpointUrl, simulator, requestId });
  else printLine(io, `${done} ${serial} for ${user}${simulator ? ' (simulator: clock moved and moved back)' : ''}`);
  return 0;
}

async function importSeeds(args: ParsedArgs, io: CliIo): Promise<number> {
  const stateDir = requireOpt(args, 'state');
  const seeds = await loadSeeds(args.positionals, args, io);
  const { IamStore, IamService, importHardwareTokens } = await import('../../iam/index.js');
  const store = IamStore.open(stateDir);
  try {
    IamService.open({ store });
    const r = importHardwareTokens(store, seeds, Date.now());
    await store.durable();
    if (flag(args, 'json')) printJson(io, { ...r, serials: seeds.map((s) => s.serial) });
    else printLine(io, `${r.imported} hardware token${r.imported === 1 ? '' : 's'} imported, ${r.known} already known (${stateDir})`);
    return 0;
  } finally {
    await store.close();
  }
}

/** What enroll-token and resync-token share: the token, the call, the credentials. */
const TOKEN_CALL_FLAGS: FlagTable = {
  user: { type: 'string', value: 'USER', help: 'the IAM user whose MFA device it is' },
  serial: { type: 'string', value: 'SN', help: "the token's serial number (a hardware token: it must be the token's own), or\na virtual MFA device's ARN" },
  device: { type: 'string', value: 'SPEC', help: 'the token: serial:/dev/ttyX, tcp:HOST:PORT, udp:PORT, hid:PATH or usb:VID:PID\n(tokenrig devices lists them; sim otp prints its own)' },
  'endpoint-url': { type: 'string', value: 'URL', help: 'the IAM endpoint (default $AWS_ENDPOINT_URL_IAM, $AWS_ENDPOINT_URL, else\nhttps://iam.amazonaws.com)' },
  ...STATE_FLAG,
  profile: { type: 'string', value: 'NAME', help: 'the credentials of this profile in $AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials)' },
  region: { type: 'string', value: 'REGION', help: 'the SigV4 signing region (default $AWS_REGION, $AWS_DEFAULT_REGION, else us-east-1)' },
  timeout: { type: 'string', value: 'MS', help: "how long to wait for the token's answer to one request (default 2000)" },
};

const TOKEN_CALL_NOTES = [
  'Credentials: --state DIR (the local endpoint\'s root key), else $AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY\n($AWS_SESSION_TOKEN), else --profile or $AWS_PROFILE. A simulator\'s clock is moved to its next step and moved\nback (SIM:ADV); a real token is pressed until its code changes (up to 65 s), with progress on stderr\n(or "waiting" events with --json). A code the endpoint refuses exits 9 with its AWS error code.',
];

/** Invocations that fail before any endpoint is called: a missing token, a silent one. */
const TOKEN_CALL_EXITS: CommandSpec['exits'] = {
  BAD_INPUT: ['--user', 'alice', '--device', 'udp:1'],
  NOT_FOUND: ['--user', 'alice', '--serial', 'GAKT00000001', '--device', 'serial:{tmp}/no-such-tty'],
  TIMEOUT: ['--user', 'alice', '--serial', 'GAKT00000001', '--device', 'udp:{silent-udp}', '--timeout', '300'],
};

/** `tokenrig iam ...`. */
export const commands: CommandTable = {
  serve: {
    summary: 'run the strict IAM/STS endpoint (AWS Query protocol, SigV4, MFA codes checked) on loopback',
    flags: {
      port: { type: 'string', value: 'PORT', help: `the TCP port on 127.0.0.1 (default ${DEFAULT_IAM_PORT}; 0: any free port)` },
      ...STATE_FLAG,
      'seed-file': { type: 'string', value: 'FILE', multiple: true, help: 'hardware tokens EnableMFADevice knows by serial (PSKC, CSV, otpauth URIs; may\nbe repeated): AWS knows the seeds of the tokens it sells' },
      'access-key': { type: 'string', value: 'AKID', help: 'use this root access key ID (with --secret-key) instead of the generated one' },
      'account-id': { type: 'string', value: 'ID', help: 'the 12-digit account ID of a new state (default: random)' },
      quiet: { type: 'boolean', help: 'no line (or request event) per call' },
      reveal: { type: 'boolean', help: 'print the secret access key without --json too (--json always has it)' },
    },
    secrets: [...SEED_FILE_SECRETS, SECRET_KEY],
    notes: [
      'IAM 2010-05-08 and STS 2011-06-15 at http://127.0.0.1:PORT; the AWS CLI, the SDKs and Terraform use it\nwith an endpoint URL. With --json the first line is the "ready" event (endpoint, account_id, access_key_id,\nsecret_access_key, state), then one "request" event per call, then "stopped". The account and its\nroot key are made on first start and kept in --state. docs/iam-endpoint.md has every action and error.',
    ],
    examples: ['tokenrig iam serve --json', 'tokenrig iam serve --port 0 --state ./iam --seed-file tokens.pskc --password-file pw.txt'],
    exits: {
      BAD_INPUT: ['--port', '70000'],
      NOT_FOUND: ['--state', '{tmp}/iam-serve', '--seed-file', '{tmp}/missing.pskc'],
      BAD_FILE: ['--state', '{tmp}/iam-serve', '--seed-file', '{file}'],
      REJECTED: ['--state', '{tmp}/iam-serve', '--seed-file', '{pskc-pw}', '--password', 'wrong'],
      BUSY: ['--state', '{tmp}/iam-serve', '--port', '{busy-tcp}'],
    },
    run: serve,
  },
  'enroll-token': {
    summary: 'read two consecutive codes from a token and call EnableMFADevice (here or on AWS)',
    flags: TOKEN_CALL_FLAGS,
    notes: TOKEN_CALL_NOTES,
    examples: ['tokenrig iam enroll-token --user bob --serial GAKT12345678 --device serial:/dev/pts/7 --endpoint-url http://127.0.0.1:8135 --state ./iam'],
    exits: TOKEN_CALL_EXITS,
    run: (args, io) => tokenCodesCall('EnableMFADevice', args, io),
  },
  'resync-token': {
    summary: 'read two consecutive codes from a drifted token and call ResyncMFADevice',
    flags: TOKEN_CALL_FLAGS,
    notes: TOKEN_CALL_NOTES,
    examples: ['tokenrig iam resync-token --user bob --serial GAKT12345678 --device serial:/dev/pts/7 --endpoint-url http://127.0.0.1:8135 --state ./iam'],
    exits: TOKEN_CALL_EXITS,
    run: (args, io) => tokenCodesCall('ResyncMFADevice', args, io),
  },
  'import-seeds': {
    summary: "add hardware tokens from seed files to an endpoint's state (running or not)",
    args: 'FILE...',
    positionals: { min: 1, max: 1000 },
    flags: { ...STATE_FLAG, state: { type: 'string', value: 'DIR', help: "the endpoint's state directory (as given to iam serve --state); required" } },
    secrets: SEED_FILE_SECRETS,
    notes: ['Tokens must be TOTP with 6 digits, as IAM takes them; a serial already known with the same seed is\nskipped, with another seed refused.'],
    examples: ['tokenrig iam import-seeds --state ./iam more-tokens.csv'],
    exits: {
      BAD_INPUT: ['{file}'],
      NOT_FOUND: ['--state', '{tmp}/iam-import', '{tmp}/missing.csv'],
      BAD_FILE: ['--state', '{tmp}/iam-import', '{file}'],
      REJECTED: ['--state', '{tmp}/iam-import', '{pskc-pw}', '--password', 'wrong'],
    },
    run: importSeeds,
  },
};
