/**
 * The test-process side of the WebAuthn bridge: a page's `navigator.credentials.create/get`
 * (forwarded by page-script.ts through the bridge's DevTools binding on Chromium,
 * cdp-channel.ts, or else a Playwright binding) runs on the tokenrig WebAuthn client over a
 * CTAPHID connection to a key: a simulated key of a rig, or a real key named by a device spec
 * on a lab machine.
 *
 * The origin is the calling frame's as the browser knows it, never a value the page claims;
 * it and the RP ID are checked as a browser does (WebAuthn L3 §5.1.3 steps 7-8, §5.1.4.1
 * steps 6-7) before the key is asked anything. Ceremonies run one at a time, as on one USB key.
 */
import { ErrorCode, TokenrigError } from '../errors.js';
import { CTAP2_STATUS } from '../protocol/ctap-status.js';
import { CtapHidDevice } from '../drivers/ctaphid-device.js';
import { openHidTransport } from '../transports/device-spec.js';
import { WebAuthnClient, type WebAuthnClientOptions } from '../webauthn/client.js';
import { checkRpId, parseOrigin } from '../webauthn/origin.js';
import type { AuthenticationResponseJSON, PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON, RegistrationResponseJSON } from '../webauthn/types.js';
import { type CdpCapableContext, openCdpChannel } from './cdp-channel.js';
import { pageScript } from './page-script.js';

/**
 * What a page is to the bridge: Playwright's `Page` (playwright, playwright-core or
 * @playwright/test) or a `BrowserContext` (every page of it), by the two methods used.
 */
export interface BridgeTarget {
  exposeBinding(name: string, callback: (source: { frame: { url(): string } }, request: unknown) => unknown): Promise<unknown>;
  addInitScript(script: { content: string }): Promise<unknown>;
  /** A `Page`'s context: on Chromium it opens the DevTools session of the fast channel. */
  context?(): unknown;
  /** A `BrowserContext`'s pages, each given the fast channel on Chromium. */
  pages?(): unknown[];
  /** A `BrowserContext` tells of each new page (`on('page')`). */
  on?: unknown;
}

/**
 * The key behind the bridge: a rig device (anything with `openCtapHid()`, as `RigDevice` and
 * `RigClient`'s devices have), an open `CtapHidDevice`, or a device spec naming a key
 * (`hid:/dev/hidraw3`, `hid:1050:0407`, `udp:127.0.0.1:8111`).
 */
export type BridgeKey = { openCtapHid(): Promise<CtapHidDevice> } | CtapHidDevice | string;

export interface AttachOptions extends WebAuthnClientOptions {
  /** The key's PIN, entered whenever a ceremony needs user verification (a browser would prompt). */
  pin?: string;
  /** The transports `getTransports()` reports (default: the key's getInfo transports with usb, as Chromium reports them). */
  transports?: string[];
  /** The binding's name in the page (default `__tokenrigWebAuthn`); change it to attach two keys to two pages of one context. */
  bindingName?: string;
}

/** One ceremony the page asked for, as the bridge saw it. */
export interface BridgeCeremony {
  readonly op: 'create' | 'get';
  readonly origin: string;
  readonly rpId: string | undefined;
  /** The DOMException name the page got, or undefined on success. */
  readonly error: string | undefined;
  /**
   * How the page reached the bridge: `devtools`, the bridge's own DevTools binding (Chromium,
   * the fast one), or `playwright`, Playwright's `exposeBinding` (every other case).
   */
  readonly channel: BridgeChannel;
}

/** The two ways a page reaches the bridge (see `BridgeCeremony.channel`). */
export type BridgeChannel = 'devtools' | 'playwright';

/** An authenticator attached to a page. */
export interface AttachedAuthenticator extends AsyncDisposable {
  /** Every ceremony so far, oldest first (the last 1,000). */
  readonly ceremonies: readonly BridgeCeremony[];
  /** Close the connection to the key; later ceremonies fail with NotAllowedError. */
  detach(): Promise<void>;
}

type Request =
  | { op: 'create'; id: number; options: PublicKeyCredentialCreationOptionsJSON }
  | { op: 'get'; id: number; options: PublicKeyCredentialRequestOptionsJSON }
  | { op: 'abort'; id: number };

type Answer = { credential: RegistrationResponseJSON | AuthenticationResponseJSON } | { error: { name: string; message: string } };

/** Browsers cap a ceremony's timeout; so does the bridge (WebAuthn L3 §15.1 recommends ≤ 10 minutes). */
const MAX_TIMEOUT_MS = 600_000;
const DEFAULT_TIMEOUT_MS = 300_000;
const KEPT_CEREMONIES = 1000;

/** A DOMException-shaped error for the page. */
class PageError extends Error {
  constructor(
    readonly domName: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The name a browser gives a failed ceremony (WebAuthn L3 §6.3.2 / §6.3.3 steps that return an
 * error, and CTAP 2.1 §8 status codes): an excluded credential is InvalidStateError, no
 * supported algorithm NotSupportedError, everything else the user or the key refused,
 * timed out or could not do is NotAllowedError, which says nothing more to the page.
 */
function domErrorName(e: unknown): string {
  if (e instanceof PageError) return e.domName;
  if (e instanceof TokenrigError && e.code === ErrorCode.DEVICE) {
    if (e.wireCode === CTAP2_STATUS.CTAP2_ERR_CREDENTIAL_EXCLUDED) return 'InvalidStateError';
    if (e.wireCode === CTAP2_STATUS.CTAP2_ERR_UNSUPPORTED_ALGORITHM) return 'NotSupportedError';
  }
  if (e instanceof TokenrigError && e.code === ErrorCode.REJECTED && /excludeCredentials/.test(e.message)) return 'InvalidStateError';
  return 'NotAllowedError';
}

function isDevice(key: BridgeKey): key is CtapHidDevice {
  return key instanceof CtapHidDevice;
}

async function openKey(key: BridgeKey): Promise<CtapHidDevice> {
  if (typeof key === 'string') return CtapHidDevice.open(await openHidTransport(key));
  if (isDevice(key)) return key;
  return key.openCtapHid();
}

/**
 * Attach a key to a page: from now on (and on every navigation) the page's WebAuthn calls run
 * on that key. Call it before `page.goto()`.
 *
 * @example
 * ```ts
 * import { chromium } from 'playwright-core';
 * import { startRig } from 'tokenrig/rig';
 * import { attachAuthenticator } from 'tokenrig/playwright';
 *
 * await using rig = await startRig({ devices: [{ kind: 'fido', name: 'key', pin: '123456' }] });
 * const page = await (await chromium.launch()).newPage();
 * await attachAuthenticator(page, rig.device('key'), { pin: '123456' });
 * await page.goto('http://localhost:3000/register'); // the page's create() now reaches the key
 * ```
 */
export async function attachAuthenticator(target: BridgeTarget, key: BridgeKey, options: AttachOptions = {}): Promise<AttachedAuthenticator> {
  const device = await openKey(key);
  const client = new WebAuthnClient(device, options);
  const transports = options.transports;
  const name = options.bindingName ?? '__tokenrigWebAuthn';
  if (!/^[A-Za-z_$][\w$]*$/.test(name)) throw new TokenrigError(ErrorCode.BAD_INPUT, `bindingName ${JSON.stringify(name)} is not a JavaScript identifier`);
  const ceremonies: BridgeCeremony[] = [];
  const running = new Map<string, AbortController>();
  let queue: Promise<unknown> = Promise.resolve();
  let detached = false;

  const run = async (channel: BridgeChannel, origin: string, request: Exclude<Request, { op: 'abort' }>, signal: AbortSignal): Promise<Answer> => {
    const rpId = request.op === 'create' ? request.options.rp?.id : request.options.rpId;
    try {
      if (detached) throw new PageError('NotAllowedError', 'the authenticator was detached');
      // §5.1.3 step 7-8 / §5.1.4.1 step 6-7: an opaque or insecure origin, or an RP ID that is not
      // the origin's host or a registrable suffix of it, is a SecurityError before any key is asked.
      let host: string;
      try {
        host = parseOrigin(origin).host;
        checkRpId(rpId, host);
      } catch (e) {
        throw new PageError('SecurityError', (e as Error).message);
      }
      const pin = options.pin === undefined ? {} : { pin: options.pin };
      const credential =
        request.op === 'create'
          ? await client.create(request.options, origin, { ...pin, signal })
          : await client.get(request.options, origin, { ...pin, signal });
      if (request.op === 'create' && transports !== undefined) (credential as RegistrationResponseJSON).response.transports = [...transports];
      ceremonies.push({ op: request.op, origin, rpId, error: undefined, channel });
      return { credential };
    } catch (e) {
      const domName = signal.aborted && !(e instanceof PageError) ? 'NotAllowedError' : domErrorName(e);
      ceremonies.push({ op: request.op, origin, rpId, error: domName, channel });
      return { error: { name: domName, message: domName === 'NotAllowedError' && !(e instanceof PageError) ? `The operation either timed out or was not allowed. (${(e as Error).message})` : (e as Error).message } };
    } finally {
      if (ceremonies.length > KEPT_CEREMONIES) ceremonies.splice(0, ceremonies.length - KEPT_CEREMONIES);
    }
  };

  /** One call from a page; `caller` tells its frame apart from others, whose ids repeat its own. */
  const handle = async (channel: BridgeChannel, caller: string, origin: string, request: Request): Promise<Answer | null> => {
    const key = `${caller}/${request.id}`;
    if (request.op === 'abort') {
      running.get(key)?.abort();
      return null;
    }
    if (typeof request.options !== 'object' || request.options === null) return { error: { name: 'TypeError', message: 'the ceremony has no publicKey options' } };
    const controller = new AbortController();
    running.set(key, controller);
    const timeout = Math.min(Math.max(Number(request.options.timeout ?? DEFAULT_TIMEOUT_MS) || DEFAULT_TIMEOUT_MS, 1), MAX_TIMEOUT_MS);
    const timer = setTimeout(() => controller.abort(), timeout);
    timer.unref();
    const answer = queue.then(() => run(channel, origin, request, controller.signal));
    queue = answer.catch(() => undefined);
    try {
      return await answer;
    } finally {
      clearTimeout(timer);
      running.delete(key);
    }
  };

  const frames = new WeakMap<object, number>();
  let nextFrame = 0;
  await target.exposeBinding(name, async (source, raw: unknown) => {
    let frame = frames.get(source.frame);
    if (frame === undefined) frames.set(source.frame, (frame = nextFrame++));
    let origin: string;
    try {
      origin = new URL(source.frame.url()).origin;
    } catch {
      origin = 'null';
    }
    return handle('playwright', `frame:${frame}`, origin, raw as Request);
  });

  // The fast channel (cdp-channel.ts) on Chromium; the binding above answers wherever it is absent.
  let channels = 0;
  const onCdpCall = async (caller: string, origin: string, payload: string): Promise<string | undefined> => {
    let request: Request;
    try {
      request = JSON.parse(payload) as Request;
    } catch {
      return undefined;
    }
    if (typeof request !== 'object' || request === null || typeof request.id !== 'number') return undefined;
    const answer = await handle('devtools', caller, origin, request);
    return answer === null ? undefined : JSON.stringify({ id: request.id, ...answer });
  };
  const addChannel = async (context: unknown, page: unknown): Promise<void> => {
    if (typeof (context as Partial<CdpCapableContext> | undefined)?.newCDPSession !== 'function') return;
    const n = channels++; // execution context ids repeat from page to page
    await openCdpChannel(context as CdpCapableContext, page, `${name}_cdp`, `${name}_answer`, (caller, origin, payload) => onCdpCall(`${n}:${caller}`, origin, payload));
  };
  if (typeof target.context === 'function') await addChannel(target.context(), target);
  else if (typeof target.pages === 'function') {
    await Promise.all(target.pages().map((page) => addChannel(target, page)));
    const on = target.on as ((event: 'page', listener: (page: unknown) => void) => unknown) | undefined;
    on?.call(target, 'page', (page) => void addChannel(target, page));
  }
  await target.addInitScript({ content: pageScript(name) });

  const detach = async (): Promise<void> => {
    if (detached) return;
    detached = true;
    for (const c of running.values()) c.abort();
    await queue;
    // The channels stay open: a page that still calls them gets NotAllowedError, as on the
    // Playwright binding, rather than no answer (a page keeps a binding once it has it).
    if (!isDevice(key)) await device.close();
  };
  return { ceremonies, detach, [Symbol.asyncDispose]: detach };
}
