/**
 * The soak test's device process: one simulated FIDO key on UDP and eight simulated OTP tokens
 * on TCP serial ports, all with state directories, the tokens imported from a seed file. The
 * soak kills it with SIGKILL and starts it again on the same ports and state.
 * Prints one line `{"ready":true,"udp":PORT,"tcp":[PORT,...]}` once everything listens.
 *
 * Run: node --import tsx device-server.ts STATE_DIR SEED_FILE PASSWORD UDP_PORT TCP_PORTS(comma-separated, 0 = any)
 */
import { join } from 'node:path';
import { readSeedFile } from '../../src/seeds/index.js';
import { startFidoKey, startOtpToken } from '../../src/sim/index.js';

const [stateDir, seedFile, password, udpText, tcpText] = process.argv.slice(2) as [string, string, string, string, string];
const tcpPorts = tcpText.split(',').map(Number);

const port = (spec: string): number => Number(spec.split(':').pop());
const fido = await startFidoKey({ hid: `udp:${Number(udpText)}`, touch: 'auto', stateDir: join(stateDir, 'fido') });
const { seeds } = await readSeedFile(seedFile, { password });
const listening: number[] = [];
for (const [i, seed] of seeds.entries()) {
  const token = await startOtpToken({ profile: 'aws-totp', secret: seed.secret, serial: seed.serial, stateDir: join(stateDir, `otp-${i}`), serialPort: `tcp:${tcpPorts[i] ?? 0}` });
  listening.push(port(token.endpoints.serial!));
}
process.stdout.write(`${JSON.stringify({ ready: true, udp: port(fido.endpoints.hid!), tcp: listening })}\n`);
