/**
 * Seed files within stated limits (src/seeds/limits.ts, docs/limits.md): the file size is
 * checked before reading, keys are counted as they are read, PBKDF2 iterations are capped,
 * and PSKC, CSV and URI files are streamed, so memory holds the keys, not the text. Each
 * import runs in a child process that reports its peak memory (maxRSS).
 */
import { execFile } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SEED_LIMITS, builtinSeedProfile, formatPskc, generateSeeds, readSeedFile } from '../../src/seeds/index.js';

const READER = join(import.meta.dirname, 'fixtures/read-seed-file.ts');
const dir = mkdtempSync(join(tmpdir(), 'tokenrig-seed-limits-'));

interface Cost {
  ok: boolean;
  keys?: number;
  code?: string;
  message?: string;
  maxRssMb: number;
  ms: number;
}

async function readInChild(file: string, password?: string): Promise<Cost> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', READER, file, ...(password === undefined ? [] : [password])], { timeout: 120_000, maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as Cost;
}

/** Peak memory of the reader with an empty-ish file: what Node and the code cost alone. */
let baselineMb = 0;
async function baseline(): Promise<number> {
  if (baselineMb === 0) {
    const f = join(dir, 'one.csv');
    writeFileSync(f, 'S1,3132333435363738393031323334353637383930,totp,6,30\n');
    baselineMb = (await readInChild(f)).maxRssMb;
  }
  return baselineMb;
}

function pskcWithIterations(iterations: number): string {
  return `<?xml version="1.0"?>
<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc" xmlns:xenc11="http://www.w3.org/2009/xmlenc11#" xmlns:pkcs5="http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#">
  <EncryptionKey><xenc11:DerivedKey><xenc11:KeyDerivationMethod Algorithm="http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#pbkdf2"><pkcs5:PBKDF2-params>
    <Salt><Specified>Ej7/PEpyEpw=</Specified></Salt><IterationCount>${iterations}</IterationCount><KeyLength>16</KeyLength><PRF/>
  </pkcs5:PBKDF2-params></xenc11:KeyDerivationMethod></xenc11:DerivedKey></EncryptionKey>
  <KeyPackage><Key Id="1" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp"><Data><Secret><PlainValue>MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=</PlainValue></Secret></Data></Key></KeyPackage>
</KeyContainer>`;
}

describe('seed file limits', () => {
  it(`a file over ${SEED_LIMITS.maxFileBytes >> 20} MiB is refused before it is read, naming the limit`, async () => {
    const big = join(dir, 'huge.pskc');
    const fd = openSync(big, 'w');
    writeSync(fd, '<KeyContainer');
    ftruncateSync(fd, SEED_LIMITS.maxFileBytes + 1); // sparse: nothing to read anyway
    closeSync(fd);
    const started = Date.now();
    await expect(readSeedFile(big)).rejects.toMatchObject({ code: 'BAD_FILE', message: expect.stringMatching(/huge\.pskc: the file is 128 MiB, more than the 128 MiB a seed file may be/) });
    expect(Date.now() - started).toBeLessThan(1000);
    const png = join(dir, 'huge.png');
    const pfd = openSync(png, 'w');
    writeSync(pfd, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    ftruncateSync(pfd, SEED_LIMITS.maxPngBytes + 1);
    closeSync(pfd);
    await expect(readSeedFile(png)).rejects.toMatchObject({ code: 'BAD_FILE', message: expect.stringMatching(/a QR image may be/) });
  });

  it(`a 1,000,000-row CSV is refused at key ${SEED_LIMITS.maxKeysPerFile + 1}, in bounded memory`, async () => {
    const file = join(dir, 'million.csv');
    const row = 'S%,3132333435363738393031323334353637383930,totp,6,30\n';
    const fd = openSync(file, 'w');
    for (let block = 0; block < 100; block++) writeSync(fd, Array.from({ length: 10_000 }, (_, i) => row.replace('%', String(block * 10_000 + i))).join(''));
    closeSync(fd);
    const cost = await readInChild(file);
    expect(cost).toMatchObject({ ok: false, code: 'BAD_FILE', message: expect.stringMatching(/csv: more than 100000 keys in one file/) });
    // Before: the whole file split into lines, 1.25 GB for 1M rows.
    expect(cost.maxRssMb - (await baseline())).toBeLessThan(150);
  }, 120_000);

  it('a PSKC IterationCount of 10,000,000 is refused at once, naming the limit', async () => {
    const file = join(dir, 'slow.pskc');
    writeFileSync(file, pskcWithIterations(10_000_000));
    const started = Date.now();
    await expect(readSeedFile(file, { password: 'qwerty' })).rejects.toMatchObject({ code: 'BAD_FILE', message: expect.stringMatching(/IterationCount 10000000 is more than 1000000/) });
    expect(Date.now() - started).toBeLessThan(1000);
    writeFileSync(file, pskcWithIterations(1000));
    expect((await readSeedFile(file, { password: 'qwerty' })).seeds).toHaveLength(1);
  });

  it('a PSKC file with a 50 MB comment reads without overflowing the stack', async () => {
    const file = join(dir, 'comment.pskc');
    const seeds = generateSeeds(2, builtinSeedProfile('aws-hardware'));
    writeFileSync(file, formatPskc(seeds).replace('<KeyPackage>', `<!--${'x'.repeat(50_000_000)}--><KeyPackage>`));
    const cost = await readInChild(file);
    expect(cost).toMatchObject({ ok: true, keys: 2 });
  }, 60_000);

  it('20,000 PSKC keys stream in bounded memory (a DOM took ~27 bytes per byte of XML)', async () => {
    const file = join(dir, 'many.pskc');
    const xml = formatPskc(generateSeeds(20_000, builtinSeedProfile('aws-hardware')));
    writeFileSync(file, xml);
    const cost = await readInChild(file);
    expect(cost).toMatchObject({ ok: true, keys: 20_000 });
    expect(cost.maxRssMb - (await baseline())).toBeLessThan(Math.round((xml.length / 2 ** 20) * 6));
  }, 120_000);

  it('a URI list that opens with a comment longer than 4 KB is still a URI list', async () => {
    const file = join(dir, 'commented.txt');
    writeFileSync(file, `# ${'notes '.repeat(2000)}\notpauth://totp/alice?secret=JBSWY3DPEHPK3PXP\n`);
    expect((await readSeedFile(file)).format).toBe('uri');
  });

  it('reports progress as it reads', async () => {
    const file = join(dir, 'progress.csv');
    writeFileSync(file, Array.from({ length: 5000 }, (_, i) => `S${i},3132333435363738393031323334353637383930,totp,6,30\n`).join(''));
    const seen: { bytes: number; keys: number }[] = [];
    await readSeedFile(file, {}, { onProgress: (p) => seen.push(p) });
    expect(seen.length).toBeGreaterThan(2);
    expect(seen.at(-1)).toMatchObject({ bytes: seen.at(-1)!.bytes, keys: expect.any(Number) });
    expect(seen.at(-1)!.bytes).toBe((seen.at(-1) as unknown as { totalBytes: number }).totalBytes);
  });
});

describe('import progress', () => {
  it('shows on a terminal for an import over a second, and never on a pipe', async () => {
    const file = join(dir, 'slow-import.pskc');
    // 1,000,000 PBKDF2 iterations take over a second; the keys after that are read with progress.
    writeFileSync(file, formatPskc(generateSeeds(1000, builtinSeedProfile('aws-hardware')), { password: 'long pass', iterations: 1_000_000 }));
    const bin = join(import.meta.dirname, '../../bin/tokenrig.js');
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} seed import ${JSON.stringify(file)} --password 'long pass' --json`;
    // `script` gives the command a real terminal (a pty) and copies what it shows.
    const onTerminal = await promisify(execFile)('script', ['-qfec', command, '/dev/null'], { timeout: 60_000, maxBuffer: 64 << 20 });
    expect(onTerminal.stdout).toContain('\r\u001b[Kreading ');
    expect(onTerminal.stdout).toMatch(/reading .*slow-import\.pskc: \d+% \([\d,]+ keys\)/);
    const onPipe = await promisify(execFile)(process.execPath, [bin, 'seed', 'import', file, '--password', 'long pass', '--json'], { timeout: 60_000, maxBuffer: 64 << 20 });
    expect(onPipe.stderr).toBe('');
    expect(JSON.parse(onPipe.stdout).count).toBe(1000);
  }, 90_000);
});
