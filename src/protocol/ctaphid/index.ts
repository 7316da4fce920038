/** CTAPHID: constants, splitter and assembler (CTAP 2.1 §11.2). */
export * from './constants.js';
export * from './framing.js';
