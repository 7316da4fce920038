/** The public-key vectors of test/vectors/cose-keys.json (each entry names its source). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CoseVectors {
  ec2: { source: string; alg: number; crv: number; x: string; y: string; d: string }[];
  ecdsa: { source: string; alg: number; crv: number; d: string; x: string; y: string; message: string; r: string; s: string }[];
  ed25519: { source: string; secret: string; public: string; message: string; signature: string }[];
  rsa: { source: string; alg: number; n_b64url: string; e_b64url: string; message_ascii: string; signature_b64url: string }[];
}

export const COSE_VECTORS = JSON.parse(readFileSync(join(import.meta.dirname, '../vectors/cose-keys.json'), 'utf8')) as CoseVectors;
