/**
 * The uhid endpoint's errors on a machine without uhid (the device itself is proven in a real
 * kernel by test/vm/uhid.vm.test.ts): one clear line saying how to enable it.
 */
import { describe, expect, it } from 'vitest';
import { UhidEndpoint, uhidUnavailable } from '../../firmware-sim/endpoints/uhid-endpoint.js';
import { EchoHidDevice } from '../support/hid-transport-contract.js';
import { TokenrigError } from '../../src/errors.js';

describe('uhid unavailable', () => {
  it('a missing /dev/uhid: NOT_FOUND, saying to load the module', async () => {
    const e = await UhidEndpoint.open(new EchoHidDevice(), { name: 'x', vendor: 1, product: 2 }, { path: '/nonexistent/uhid' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TokenrigError);
    expect((e as TokenrigError).code).toBe('NOT_FOUND');
    expect((e as TokenrigError).message).toBe(
      'uhid unavailable: /nonexistent/uhid does not exist: load the uhid module (sudo modprobe uhid; to keep it, add "uhid" to /etc/modules-load.d/uhid.conf)',
    );
  });

  it('no write access: saying how to get it', () => {
    const e = uhidUnavailable('/dev/uhid', Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }));
    expect(e.message).toBe(
      'uhid unavailable: /dev/uhid is not writable by this user: run as root, or give a group access with a udev rule (KERNEL=="uhid", GROUP="plugdev", MODE="0660") and join that group',
    );
    expect(e.message.split('\n')).toHaveLength(1);
  });
});
