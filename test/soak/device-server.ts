/**
 * The soak test's device process: one simulated FIDO key on UDP and eight simulated OTP tokens
 * on TCP serial ports, all with state directories, the tokens imported from a seed file. The
 * soak kills it with SIGKILL and starts it again on the same ports and state.
 * Prints one line `{"ready":true,"udp":PORT,"tcp":[PORT,...]}` once everything listens.
 *
 * Run: node --import tsx device-server.ts STATE_DIR SEED_FILE PASSWORD UDP_PORT TCP_PORTS(comma-separated, 0 = any)
 */
import { join } from 'node:path';
import { AWS_TOTP_PROFILE } from '../../devices/index.js';
import { TcpSerialEndpoint } from '../../firmware-sim/endpoints/tcp-serial-endpoint.js';
import { createNodeEnvironment } from '../../firmware-sim/env/index.js';
import { OtpSerialInterface, OtpTokenFirmware } from '../../firmware-sim/otp/index.js';
import { startFidoSimulator } from '../../src/cli/commands/sim-fido.js';
import { readSeedFile } from '../../src/seeds/index.js';

const [stateDir, seedFile, password, udpText, tcpText] = process.argv.slice(2) as [string, string, string, string, string];
const tcpPorts = tcpText.split(',').map(Number);

const fido = await startFidoSimulator({ port: Number(udpText), touch: 'auto', stateDir: join(stateDir, 'fido') });
const { seeds } = await readSeedFile(seedFile, { password });
const listening: number[] = [];
for (const [i, seed] of seeds.entries()) {
  const env = createNodeEnvironment({ stateDir: join(stateDir, `otp-${i}`) });
  const token = OtpTokenFirmware.open(env, AWS_TOTP_PROFILE, { secret: seed.secret, serial: seed.serial });
  const tcp = await TcpSerialEndpoint.listen(new OtpSerialInterface(token), { port: tcpPorts[i] ?? 0 });
  listening.push(tcp.port);
}
process.stdout.write(`${JSON.stringify({ ready: true, udp: fido.endpoint.address.port, tcp: listening })}\n`);
