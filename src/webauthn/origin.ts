/**
 * Origin and RP ID checks (WebAuthn L3 §5.1.3 step 8, §5.1.4.1 step 7; HTML "is a registrable
 * domain suffix of or is equal to"). Without the Public Suffix List, tokenrig refuses RP IDs
 * of a single label (other than `localhost`) and requires an exact match for IP addresses.
 */
import { isIP } from 'node:net';
import { badInput } from '../errors.js';

/** Parse an origin: https, or http on localhost; BAD_INPUT in one line otherwise. */
export function parseOrigin(origin: string): { origin: string; host: string } {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw badInput(`origin ${JSON.stringify(origin)} is not a URL (e.g. https://rp.example)`);
  }
  if (url.origin === 'null' || (url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    throw badInput(`origin ${JSON.stringify(origin)} must be scheme://host[:port] only`);
  }
  const host = url.hostname;
  const localhost = host === 'localhost' || host.endsWith('.localhost');
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && localhost)) {
    throw badInput(`origin ${JSON.stringify(origin)} must be https (http only for localhost)`);
  }
  return { origin: url.origin, host };
}

/** The RP ID to use: `rpId` when it is the host or a registrable suffix of it, else BAD_INPUT. */
export function checkRpId(rpId: string | undefined, host: string): string {
  const id = (rpId ?? host).toLowerCase();
  if (id === host) return id;
  if (isIP(host) !== 0 || isIP(id) !== 0) throw badInput(`rp id ${JSON.stringify(id)} must equal the origin's IP address ${host}`);
  if (!host.endsWith(`.${id}`)) throw badInput(`rp id ${JSON.stringify(id)} is not a registrable suffix of the origin's host ${host}`);
  if (!id.includes('.') && id !== 'localhost') throw badInput(`rp id ${JSON.stringify(id)} is a top-level domain, not a registrable domain`);
  return id;
}
