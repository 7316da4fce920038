/**
 * `tokenrig/playwright`: browser tests with simulated or real keys. `attachAuthenticator`
 * installs, before the page's scripts run, a `navigator.credentials.create/get` bridge to a
 * key of a rig (or a real key named by a device spec); unlike a browser's built-in virtual
 * authenticator the key carries its PIN, fingerprint, personality and attestation. A token's
 * `code()` reads a code to fill in a form.
 *
 * @example
 * ```ts
 * import { startRig } from 'tokenrig/rig';
 * import { attachAuthenticator } from 'tokenrig/playwright';
 *
 * await using rig = await startRig('rig.yaml');
 * await attachAuthenticator(page, rig.device('yubikey'), { pin: '123456' });
 * await page.goto('http://localhost:3000/');
 * await page.click('text=Register a security key');
 * await page.fill('#totp', await rig.device('GAKT00000001').code());
 * ```
 */
export { attachAuthenticator, type AttachOptions, type AttachedAuthenticator, type BridgeCeremony, type BridgeChannel, type BridgeKey, type BridgeTarget } from './bridge.js';
export { RigClient, RemoteRigDevice } from '../rig/rig-client.js';
