/**
 * Struct layouts as a C compiler sees them in a system header: offsetof and sizeof of named
 * fields, by compiling and running a tiny program with gcc. The layout tests compare our
 * struct tables with the kernel's own headers this way (linux-libc-dev), byte for byte.
 *
 * @example
 * ```ts
 * const layout = cLayouts(['linux/uhid.h'], [{ struct: 'struct uhid_create2_req', fields: ['name', 'rd_size'] }]);
 * layout['struct uhid_create2_req'].fields.rd_size; // { offset: 256, size: 2 }
 * ```
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandWorks, peer } from './peer.js';

export const gcc = peer('gcc + linux-libc-dev', 'apt-get install gcc linux-libc-dev', () => commandWorks('gcc', ['--version']) && commandWorks('sh', ['-c', 'test -f /usr/include/linux/usb/ch9.h']));

export interface CStructQuery {
  /** `struct usb_device_descriptor` */
  struct: string;
  /** C field expressions (`desc[0].bDescriptorType` works too). */
  fields: string[];
}

export interface CStructLayout {
  size: number;
  fields: Record<string, { offset: number; size: number }>;
}

/** Compile and run `lines` (a C program) and return what it prints. */
function runC(lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'tokenrig-clayout-'));
  try {
    writeFileSync(join(dir, 'layout.c'), lines.join('\n'));
    const cc = spawnSync('gcc', ['-o', join(dir, 'layout'), join(dir, 'layout.c')], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`gcc failed: ${cc.stderr}`);
    return spawnSync(join(dir, 'layout'), { encoding: 'utf8' }).stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The values of C constants (enum members, macros) as the headers define them. */
export function cEnum(headers: string[], names: string[]): number[] {
  const lines = [...headers.map((h) => `#include <${h}>`), '#include <stdio.h>', 'int main(void) {'];
  for (const n of names) lines.push(`  printf("%lld\\n", (long long)(${n}));`);
  lines.push('  return 0;', '}');
  return runC(lines).trim().split('\n').map(Number);
}

/** Compile and run a program that prints each struct's size and each field's offset and size. */
export function cLayouts(headers: string[], queries: CStructQuery[]): Record<string, CStructLayout> {
  const lines = [...headers.map((h) => `#include <${h}>`), '#include <stddef.h>', '#include <stdio.h>', 'int main(void) {'];
  for (const q of queries) {
    lines.push(`  printf("S\\t%s\\t%zu\\n", "${q.struct}", sizeof(${q.struct}));`);
    for (const f of q.fields) lines.push(`  printf("F\\t%s\\t%s\\t%zu\\t%zu\\n", "${q.struct}", "${f}", offsetof(${q.struct}, ${f}), sizeof(((${q.struct} *)0)->${f}));`);
  }
  lines.push('  return 0;', '}');
  const out: Record<string, CStructLayout> = {};
  for (const line of runC(lines).trim().split('\n')) {
    const [kind, struct, a, b, c] = line.split('\t');
    if (kind === 'S') out[struct!] = { size: Number(a), fields: {} };
    else out[struct!]!.fields[a!] = { offset: Number(b), size: Number(c) };
  }
  return out;
}
