/**
 * The IAM/STS endpoint in this process, on a real socket (127.0.0.1, port 0), driven by the
 * real AWS SDK clients, unmodified (only `maxAttempts: 1`, so a refusal is not retried). The
 * codes and sessions run on a ManualClock; request signatures on the wall clock, as the SDK
 * signs with it.
 */
import { CreateAccessKeyCommand, CreateUserCommand, CreateVirtualMFADeviceCommand, IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { ManualClock } from '../../src/clock/index.js';
import { IamHttpEndpoint, IamService, IamStore, importHardwareTokens } from '../../src/iam/index.js';
import { Totp, base32Decode } from '../../src/otp/index.js';
import type { TokenSeed } from '../../src/seeds/index.js';

// The SDK warns once per process that its releases after January 2027 need Node 22: noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface IamHarness {
  clock: ManualClock;
  store: IamStore;
  service: IamService;
  endpoint: IamHttpEndpoint;
  url: string;
  account: string;
  root: AwsCredentials;
  iam(credentials?: AwsCredentials): IAMClient;
  sts(credentials?: AwsCredentials, region?: string): STSClient;
  close(): Promise<void>;
}

export async function startIamHarness(options: { dir?: string; seeds?: TokenSeed[] } = {}): Promise<IamHarness> {
  // Mid-step, so "now" and "one step ago" are never a boundary apart by accident.
  const start = Math.floor(Date.now() / 30_000) * 30_000 + 15_000;
  const clock = new ManualClock(start);
  const store = IamStore.open(options.dir ?? ':memory:');
  const service = IamService.open({ store, clock });
  if (options.seeds !== undefined) importHardwareTokens(store, options.seeds, clock.now());
  const endpoint = await IamHttpEndpoint.listen(service, { port: 0 });
  const root = { ...service.rootCredentials };
  const clients: { destroy(): void }[] = [];
  return {
    clock,
    store,
    service,
    endpoint,
    url: endpoint.url,
    account: service.account,
    root,
    iam(credentials = root) {
      const c = new IAMClient({ endpoint: endpoint.url, region: 'us-east-1', credentials, maxAttempts: 1 });
      clients.push(c);
      return c;
    },
    sts(credentials = root, region = 'us-east-1') {
      const c = new STSClient({ endpoint: endpoint.url, region, credentials, maxAttempts: 1 });
      clients.push(c);
      return c;
    },
    async close() {
      for (const c of clients) c.destroy();
      await endpoint.close();
      await store.close();
    },
  };
}

export interface Refusal {
  /** AWS's error code as the SDK read it from the error document. */
  code: string;
  message: string;
  status: number | undefined;
}

/** What an SDK call was refused with: AWS's code, the message, the HTTP status. */
export async function refusal(p: Promise<unknown>): Promise<Refusal> {
  return (await refusalWithException(p)).refusal;
}

/** Also the SDK's exception class name: a modeled error (NoSuchEntity) becomes its shape (NoSuchEntityException). */
export async function refusalWithException(p: Promise<unknown>): Promise<{ refusal: Refusal; exception: string }> {
  try {
    await p;
  } catch (e) {
    const x = e as { name: string; Code?: string; message: string; $metadata?: { httpStatusCode?: number } };
    if (x.Code === undefined) throw e;
    return { refusal: { code: x.Code, message: x.message, status: x.$metadata?.httpStatusCode }, exception: x.name };
  }
  throw new Error('expected the call to be refused');
}

/** The TOTP code of `secret` at the clock's time plus `steps` steps (30 s each). */
export function codeAt(secret: Uint8Array, clock: { now(): number }, steps = 0, period = 30): string {
  const t = new Totp(secret, { period });
  try {
    return t.generate(Math.floor(clock.now() / 1000) + steps * period);
  } finally {
    t.destroy();
  }
}

/** CreateUser, then CreateAccessKey for it: the user's credentials. */
export async function createUserWithKey(iam: IAMClient, name: string): Promise<AwsCredentials> {
  await iam.send(new CreateUserCommand({ UserName: name }));
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
  return { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
}

/** CreateVirtualMFADevice: its serial, its seed (decoded from Base32StringSeed) and QR code. */
export async function createVirtualDevice(iam: IAMClient, name: string, path?: string): Promise<{ serial: string; secret: Uint8Array; base32: string; png: Uint8Array }> {
  const d = (await iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: name, ...(path === undefined ? {} : { Path: path }) }))).VirtualMFADevice!;
  const base32 = new TextDecoder().decode(d.Base32StringSeed);
  return { serial: d.SerialNumber!, secret: base32Decode(base32), base32, png: d.QRCodePNG! };
}
