/** The injected environment of simulated devices. */
export * from './environment.js';
export * from './fingerprint.js';
export * from './logger.js';
export * from './presence.js';
export * from './random.js';
export * from './storage.js';
