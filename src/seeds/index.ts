/**
 * Seed files (host side): the token-set model, PSKC (RFC 6030), Entra and privacyIDEA CSV,
 * otpauth:// URIs and QR codes, and the one loader other commands use.
 */
export { type SeedProfile, type TokenSeed, BUILTIN_SEED_PROFILES, builtinSeedProfile, checkTokenSeed, describeSeed, generateSeeds } from './token-seed.js';
export { type PskcKeys, type PskcLimits, type PskcWriteOptions, PSKC_NS, PskcReader, formatPskc, parsePskc } from './pskc.js';
export { SEED_LIMITS } from './limits.js';
export { ENTRA_COLUMNS, formatEntraCsv, formatPrivacyIdeaCsv, parseEntraCsv, parsePrivacyIdeaCsv } from './csv.js';
export { formatUriList, parseUriList, seedFromUri, seedToUri } from './uri.js';
export { MAX_QR_PIXELS, checkQrPngHeader, decodeQrPng, renderQrPng, renderQrTerminal } from './qr.js';
export {
  type SeedFormat,
  SEED_FORMATS,
  formatSeedFile,
  loadSeedFile,
  parseSeedFile,
  pickSeed,
  readSeedFile,
  type SeedReadOptions,
  type SeedReadProgress,
  sniffSeedFormat,
  writeFileAtomic,
  writeSeedFile,
} from './seed-file.js';
