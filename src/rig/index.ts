/**
 * `tokenrig/rig`: many simulated devices in one process from a rig file, a control API on
 * loopback and a live dashboard, for QA rigs and browser tests.
 *
 * @example
 * ```ts
 * import { startRig } from 'tokenrig/rig';
 *
 * await using rig = await startRig({ devices: [{ kind: 'otp', count: 100 }, { kind: 'fido', touch: 'manual' }] }, { api: true });
 * rig.apiUrl; // 'http://127.0.0.1:41234/api' (bearer: rig.token)
 * rig.device('fido-1').answerTouch(true);
 * ```
 */
import { Rig, type RigOptions } from './rig.js';
import { type RigFile, readRigFile } from './rig-file.js';
import { RigServer, type RigServerOptions } from './api/server.js';
import { dirname } from 'node:path';

export { Rig, type RigEvent, type RigOptions, MAX_RIG_DEVICES } from './rig.js';
export { RigDevice } from './rig-device.js';
export type { DeviceState, DeviceClockState, DeviceKind, BatteryState, OtpFault, RigInfo, RigStreamEvent } from './rig-state.js';
export { RigClock } from './rig-clock.js';
export { type RigFile, type DeviceEntry, type OtpEntry, type FidoEntry, type KeyEntry, type TouchMode, type UvMode, readRigFile, validateRigFile, validateDeviceEntry, parseRigText } from './rig-file.js';
export { RIG_FILE_SCHEMA, DEVICE_ENTRY_SCHEMA } from './rig-schema.js';
export { RigServer, type RigServerOptions } from './api/server.js';
export { openApiDocument } from './api/openapi.js';
export { rigTemplate } from './rig-template.js';
export { RigClient, RemoteRigDevice } from './rig-client.js';

/** A running rig with its server (when asked for). */
export interface RunningRig extends AsyncDisposable {
  readonly rig: Rig;
  readonly server: RigServer | undefined;
  /** The API's base URL, when the server runs. */
  readonly apiUrl: string | undefined;
  /** The dashboard's URL (with the token in its fragment), with `ui`. */
  readonly uiUrl: string | undefined;
  readonly token: string | undefined;
  device: Rig['device'];
  close(): Promise<void>;
}

/**
 * Start a rig from a rig file's path or its content, and with `api` (or `ui`) its server on
 * loopback.
 *
 * @example
 * ```ts
 * await using running = await startRig('rig.json', { ui: true });
 * console.log(running.uiUrl);
 * ```
 */
export async function startRig(file: string | RigFile, options: RigOptions & RigServerOptions & { api?: boolean; uiPort?: number } = {}): Promise<RunningRig> {
  const content = typeof file === 'string' ? await readRigFile(file) : file;
  const rig = await Rig.start(content, { ...options, ...(typeof file === 'string' && options.baseDir === undefined ? { baseDir: dirname(file) } : {}) });
  let server: RigServer | undefined;
  if (options.api === true || options.ui === true || options.uiPort !== undefined) {
    try {
      server = await RigServer.listen(rig, { ...options, ...(content.host === undefined || options.host !== undefined ? {} : { host: content.host }) });
    } catch (e) {
      await rig.close();
      throw e;
    }
  }
  const close = async (): Promise<void> => {
    await server?.close();
    await rig.close();
  };
  return {
    rig,
    server,
    apiUrl: server?.apiUrl,
    uiUrl: server?.uiUrl,
    token: server?.token,
    device: (id) => rig.device(id),
    close,
    [Symbol.asyncDispose]: close,
  };
}
