/**
 * The dispatch table: every CTAP2 command family the simulated authenticator has, by command
 * byte (CTAP 2.1 §6), one module each. A profile answers the ones `available` for it; the
 * rest are CTAP1_ERR_INVALID_COMMAND. Adding a family is a new module and one line here
 * (a CTAP 2.1-PRE prototype number is a second line: `{ ...family, code: 0x41 }`).
 *
 * U2F (CTAP1) arrives on CTAPHID_MSG, not CBOR: ./u2f.ts.
 */
import type { Ctap2Command } from './command.js';
import { authenticatorBioEnrollment, authenticatorBioEnrollmentPreview } from './bio-enrollment.js';
import { authenticatorConfig } from './authenticator-config.js';
import { authenticatorClientPIN } from './client-pin.js';
import { authenticatorCredentialManagement, authenticatorCredentialManagementPreview } from './credential-management.js';
import { authenticatorGetAssertion, authenticatorGetNextAssertion } from './get-assertion.js';
import { authenticatorGetInfo } from './get-info.js';
import { authenticatorLargeBlobs } from './large-blobs.js';
import { authenticatorMakeCredential } from './make-credential.js';
import { authenticatorReset } from './reset.js';
import { authenticatorSelection } from './selection.js';

export type { Ctap2Command, Ctap2Response } from './command.js';

export const CTAP2_COMMANDS: readonly Ctap2Command[] = [
  authenticatorMakeCredential, //   0x01 §6.1
  authenticatorGetAssertion, //     0x02 §6.2
  authenticatorGetInfo, //          0x04 §6.4
  authenticatorClientPIN, //        0x06 §6.5
  authenticatorReset, //            0x07 §6.6
  authenticatorGetNextAssertion, // 0x08 §6.3
  authenticatorBioEnrollment, //    0x09 §6.7
  authenticatorCredentialManagement, // 0x0A §6.8
  authenticatorSelection, //        0x0B §6.9
  authenticatorLargeBlobs, //       0x0C §6.10
  authenticatorConfig, //           0x0D §6.11
  authenticatorBioEnrollmentPreview, // 0x40 (CTAP 2.1-PRE)
  authenticatorCredentialManagementPreview, // 0x41 (CTAP 2.1-PRE)
];
