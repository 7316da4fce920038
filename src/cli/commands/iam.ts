/**
 * `tokenrig iam serve|enroll-token|import-seeds`: the strict local IAM/STS endpoint and the
 * helpers of the QA flow around it (docs/iam-endpoint.md).
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
import { type OptionSpec, type ParsedArgs, flag, intOpt, parseCommandArgs, requireOpt, stringOpt } from '../args.js';
import { type CliIo, printJson, printLine } from '../cli-io.js';
import { pskcKeysFromOptions } from '../seed-options.js';

export const DEFAULT_IAM_PORT = 8135;

const SERVE_USAGE = `usage: tokenrig iam serve [--port P] [--state DIR] [--seed-file F]... [--password P | --key HEX]
                         [--access-key AKID --secret-key SECRET] [--account-id ID] [--json] [--quiet] [--reveal]
  The AWS Query protocol for IAM (2010-05-08) and STS (2011-06-15) on http://127.0.0.1:P
  (default port ${DEFAULT_IAM_PORT}; 0 = any free port), SigV4 checked, every MFA code checked.
  --state DIR        the SQLite store (default $XDG_STATE_HOME/tokenrig/iam); the account and its
                     root access key are made on first start and kept
  --seed-file F      hardware tokens (PSKC, CSV, otpauth URIs) EnableMFADevice will know by serial;
                     --password/--key decrypt an encrypted PSKC file
  --access-key, --secret-key  use this root access key instead of the generated one
  --json             JSON lines: ready (endpoint, accessKeyId, secretAccessKey), request, stopped
  --quiet            no line per request; --reveal prints the secret key without --json too`;

const ENROLL_USAGE = `usage: tokenrig iam enroll-token --user U --serial SN --device SPEC [--endpoint-url URL]
                                [--state DIR | --profile NAME] [--region R] [--json]
  Reads two consecutive codes from the token on SPEC (serial:, tcp:, udp:, hid:, usb:) and calls
  EnableMFADevice(U, SN, code1, code2). A simulator's clock is moved with SIM:ADV (and moved back);
  a real token is pressed until its code changes (up to 65 s).
  --endpoint-url URL  default $AWS_ENDPOINT_URL_IAM, $AWS_ENDPOINT_URL, else https://iam.amazonaws.com
  credentials: --state DIR (the local endpoint's root key), else $AWS_ACCESS_KEY_ID and
               $AWS_SECRET_ACCESS_KEY ($AWS_SESSION_TOKEN), else --profile / $AWS_PROFILE in
               $AWS_SHARED_CREDENTIALS_FILE (default ~/.aws/credentials)`;

const RESYNC_USAGE = `usage: tokenrig iam resync-token --user U --serial SN --device SPEC [--endpoint-url URL]
                                [--state DIR | --profile NAME] [--region R] [--json]
  The same as enroll-token, calling ResyncMFADevice: brings a drifted token back in sync.`;

const IMPORT_USAGE = `usage: tokenrig iam import-seeds --state DIR FILE... [--password P | --key HEX] [--json]
  Adds the hardware tokens of seed files (PSKC, CSV, otpauth URIs) to the endpoint's store
  (running or not). Tokens must be TOTP with 6 digits; a serial already known with the same
  seed is skipped, with another seed refused.`;

const USAGE = `usage: tokenrig iam serve|enroll-token|resync-token|import-seeds [options]   (tokenrig iam SUBCOMMAND --help)\n\n${SERVE_USAGE}\n\n${ENROLL_USAGE}\n\n${RESYNC_USAGE}\n\n${IMPORT_USAGE}`;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'serve') return serve(rest, io);
  if (sub === 'enroll-token') return tokenCodesCall('EnableMFADevice', rest, io);
  if (sub === 'resync-token') return tokenCodesCall('ResyncMFADevice', rest, io);
  if (sub === 'import-seeds') return importSeeds(rest, io);
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    printLine(io, USAGE);
    return sub === undefined ? 2 : 0;
  }
  throw badInput(`unknown iam command ${JSON.stringify(sub)}: use serve, enroll-token, resync-token or import-seeds`);
}

/** `$XDG_STATE_HOME/tokenrig/iam`, or `~/.local/state/tokenrig/iam`. */
function defaultStateDir(io: CliIo): string {
  const base = io.env.XDG_STATE_HOME ?? join(io.env.HOME ?? homedir(), '.local', 'state');
  return join(base, 'tokenrig', 'iam');
}

const KEY_OPTIONS = { password: { type: 'string' }, key: { type: 'string' } } as const satisfies OptionSpec;

async function loadSeeds(files: string[], args: ParsedArgs): Promise<TokenSeed[]> {
  const keys = pskcKeysFromOptions(args);
  const { loadSeedFile } = await import('../../seeds/index.js');
  const seeds: TokenSeed[] = [];
  for (const f of files) seeds.push(...(await loadSeedFile(f, keys)));
  return seeds;
}

function stringList(args: ParsedArgs, name: string): string[] {
  const v = args.values[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

async function serve(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, {
    ...KEY_OPTIONS,
    port: { type: 'string' },
    state: { type: 'string' },
    'seed-file': { type: 'string', multiple: true },
    'access-key': { type: 'string' },
    'secret-key': { type: 'string' },
    'account-id': { type: 'string' },
    quiet: { type: 'boolean' },
    reveal: { type: 'boolean' },
  });
  if (flag(args, 'help')) return printLine(io, SERVE_USAGE), 0;
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
  const seeds = await loadSeeds(stringList(args, 'seed-file'), args);

  const { IamStore, IamService, IamHttpEndpoint, importHardwareTokens } = await import('../../iam/index.js');
  const store = IamStore.open(stateDir);
  let endpoint: Awaited<ReturnType<typeof IamHttpEndpoint.listen>> | undefined;
  try {
    const service = IamService.open({
      store,
      ...(accessKeyId === undefined ? {} : { accessKey: { accessKeyId, secretAccessKey: secretAccessKey! } }),
      ...(accountId === undefined ? {} : { accountId }),
    });
    if (accountId !== undefined && service.account !== accountId) throw badInput(`--account-id: ${stateDir} already holds account ${service.account}`);
    const { imported, known } = importHardwareTokens(store, seeds, Date.now());
    store.purgeSessions(Date.now() - 86_400_000);
    await store.durable();
    endpoint = await IamHttpEndpoint.listen(service, {
      port,
      onResponse: (r) => {
        if (r.fault !== undefined) {
          const message = r.fault instanceof Error ? r.fault.message : String(r.fault);
          if (json) printJson(io, { event: 'fault', requestId: r.requestId, action: r.action, message });
          io.stderr.write(`tokenrig: internal error in ${r.action ?? 'a request'}: ${message}\n`);
        }
        if (quiet) return;
        if (json) printJson(io, { event: 'request', action: r.action ?? null, status: r.status, ...(r.errorCode === undefined ? {} : { code: r.errorCode }), requestId: r.requestId, ms: Math.round(r.ms * 100) / 100 });
        else printLine(io, `${r.status} ${r.action ?? '-'}${r.errorCode === undefined ? '' : ` ${r.errorCode}`} ${r.ms.toFixed(1)} ms`);
      },
    });
    // Expired sessions are kept a day (so their use answers ExpiredToken), then forgotten.
    const purge = setInterval(() => store.purgeSessions(Date.now() - 86_400_000), 3_600_000);
    purge.unref();
    const creds = service.rootCredentials;
    if (json) {
      printJson(io, {
        event: 'ready',
        endpoint: endpoint.url,
        accountId: service.account,
        accessKeyId: creds.accessKeyId,
        secretAccessKey: creds.secretAccessKey,
        region: 'us-east-1',
        state: stateDir,
        hardwareTokens: { imported, known },
        pid: process.pid,
      });
    } else {
      printLine(io, `IAM/STS endpoint on ${endpoint.url} (account ${service.account}, state ${stateDir})`);
      if (seeds.length > 0) printLine(io, `  hardware tokens: ${imported} imported, ${known} already known`);
      printLine(io, `  export AWS_ACCESS_KEY_ID=${creds.accessKeyId}`);
      printLine(io, flag(args, 'reveal') ? `  export AWS_SECRET_ACCESS_KEY=${creds.secretAccessKey}` : '  (the secret key is shown with --reveal or --json)');
      printLine(io, `  aws --endpoint-url ${endpoint.url} iam list-users`);
    }
    const reason = await new Promise<string>((resolve) => {
      const stop = (why: string): void => {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
        resolve(why);
      };
      const onInt = (): void => stop('SIGINT');
      const onTerm = (): void => stop('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
    });
    clearInterval(purge);
    await endpoint.close();
    await store.close();
    if (json) printJson(io, { event: 'stopped', reason });
    else printLine(io, 'stopped');
    return 0;
  } catch (e) {
    await endpoint?.close();
    await store.close();
    if (e instanceof Error && 'code' in e && (e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new TokenrigError(ErrorCode.BAD_INPUT, `port ${port} is in use on 127.0.0.1: choose another with --port (0 = any free port)`);
    }
    throw e;
  }
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
async function tokenCodesCall(action: 'EnableMFADevice' | 'ResyncMFADevice', argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, {
    user: { type: 'string' },
    serial: { type: 'string' },
    device: { type: 'string' },
    'endpoint-url': { type: 'string' },
    state: { type: 'string' },
    profile: { type: 'string' },
    region: { type: 'string' },
    timeout: { type: 'string' },
  });
  if (flag(args, 'help')) return printLine(io, action === 'EnableMFADevice' ? ENROLL_USAGE : RESYNC_USAGE), 0;
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
  const credentials = await resolveCredentials(args, io);
  const emit = (e: Record<string, unknown>, line: string): void => {
    if (json) printJson(io, e);
    else io.stderr.write(`${line}\n`);
  };

  const driver = await openOtpTokenDriver(spec, { timeoutMs: intOpt(args, 'timeout', 1, 600_000) ?? 2000 });
  let codes: [string, string];
  let simulator: boolean;
  try {
    const id = await driver.identify();
    // A hardware serial is the token's own: enrolling another token's codes under it cannot work.
    if (!serial.startsWith('arn:') && id.serial !== serial) throw badInput(`the token on ${spec} has serial ${id.serial}, not ${serial}`);
    emit({ event: 'token', device: spec, serial: id.serial, model: id.model }, `token ${id.serial} (${id.model}) on ${spec}`);
    ({ codes, simulator } = await readConsecutiveCodes(driver, {
      onProgress: (p) => {
        if (p.stage === 'code') emit({ event: 'code', index: p.index }, `read code ${p.index} of 2`);
        else if (json) printJson(io, { event: 'waiting', elapsedSeconds: p.elapsedSeconds, maxSeconds: p.maxSeconds });
        else if (io.isTTY) io.stderr.write(`\rwaiting for the token's next code: ${p.elapsedSeconds} s`);
        else if (p.elapsedSeconds % 10 === 0) io.stderr.write(`waiting for the token's next code: ${p.elapsedSeconds} s\n`);
      },
    }));
    if (!json && io.isTTY && !simulator) io.stderr.write('\n');
  } finally {
    await driver.close();
  }
  const { IamQueryClient } = await import('../../iam/index.js');
  const iam = new IamQueryClient({ endpoint: endpointUrl, service: 'iam', region, credentials });
  emit({ event: 'calling', action, endpoint: endpointUrl }, `${action} on ${endpointUrl}`);
  const doc = await iam.call(action, { UserName: user, SerialNumber: serial, AuthenticationCode1: codes[0], AuthenticationCode2: codes[1] });
  const requestId = doc.getElementsByTagName('RequestId')[0]?.textContent ?? undefined;
  const done = action === 'EnableMFADevice' ? 'enabled' : 'resynced';
  if (json) printJson(io, { event: done, user, serial, endpoint: endpointUrl, simulator, requestId });
  else printLine(io, `${done} ${serial} for ${user}${simulator ? ' (simulator: clock moved and moved back)' : ''}`);
  return 0;
}

async function importSeeds(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, { ...KEY_OPTIONS, state: { type: 'string' } }, true);
  if (flag(args, 'help')) return printLine(io, IMPORT_USAGE), 0;
  const stateDir = requireOpt(args, 'state');
  if (args.positionals.length === 0) throw badInput('name at least one seed file');
  const seeds = await loadSeeds(args.positionals, args);
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
