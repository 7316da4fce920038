/**
 * Random bytes for the simulated devices, always injected. `CryptoRandom` is the real source;
 * `SeededRandom` is a deterministic stream for tests and reproducible fleets.
 */
import { sha256 } from '@noble/hashes/sha2.js';

export interface RandomSource {
  /** `n` fresh random bytes. */
  bytes(n: number): Uint8Array;
}

/**
 * Random bytes from the platform CSPRNG (WebCrypto `getRandomValues`). Small requests are
 * served from a 4 KiB block drawn at once and wiped as it is handed out: a device asks for
 * 12 or 32 bytes at a time, and each call into the CSPRNG costs more than those bytes.
 */
export class CryptoRandom implements RandomSource {
  readonly #block = new Uint8Array(4096);
  #used = this.#block.length;

  bytes(n: number): Uint8Array {
    checkLength(n);
    const out = new Uint8Array(n);
    if (n > 256) {
      // getRandomValues fills at most 65536 bytes per call.
      for (let i = 0; i < n; i += 65536) globalThis.crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
      return out;
    }
    if (this.#used + n > this.#block.length) {
      globalThis.crypto.getRandomValues(this.#block);
      this.#used = 0;
    }
    const taken = this.#block.subarray(this.#used, this.#used + n);
    out.set(taken);
    taken.fill(0); // never handed out twice, and not left lying in memory
    this.#used += n;
    return out;
  }
}

/**
 * A deterministic stream: SHA-256(seed ‖ counter) blocks. Not for real secrets; for tests,
 * demos and fleets that must be the same on every run.
 *
 * @example
 * ```ts
 * new SeededRandom('test').bytes(4); // same four bytes on every run
 * ```
 */
export class SeededRandom implements RandomSource {
  readonly #seed: Uint8Array;
  #counter = 0;
  #buffer = new Uint8Array(0);

  constructor(seed: string | Uint8Array) {
    this.#seed = typeof seed === 'string' ? new TextEncoder().encode(seed) : seed.slice();
  }

  bytes(n: number): Uint8Array {
    checkLength(n);
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      if (this.#buffer.length === 0) this.#refill();
      const take = Math.min(n - filled, this.#buffer.length);
      out.set(this.#buffer.subarray(0, take), filled);
      this.#buffer = this.#buffer.subarray(take);
      filled += take;
    }
    return out;
  }

  #refill(): void {
    const block = new Uint8Array(this.#seed.length + 8);
    block.set(this.#seed);
    new DataView(block.buffer).setBigUint64(this.#seed.length, BigInt(this.#counter++));
    this.#buffer = sha256(block);
  }
}

function checkLength(n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('n must be a non-negative integer');
}
