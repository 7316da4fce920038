/**
 * The batch attestation certificate a simulated authenticator generates for itself on first
 * start: self-signed, ES256, with the subject WebAuthn §8.2.1 requires of packed attestation
 * certificates (C, O, OU "Authenticator Attestation", CN), basic constraints CA=false and the
 * id-fido-gen-ce-aaguid extension (1.3.6.1.4.1.45724.1.1.4) carrying the AAGUID. Both
 * python-fido2's and SimpleWebAuthn's packed verifiers check these.
 */
import { bitString, booleanTrue, certTime, explicit, octetString, oid, printableString, sequence, set, smallInteger, unsignedInteger, utf8String } from '../../src/protocol/der.js';
import { ec2ToUncompressed } from '../../src/protocol/cose.js';
import { type Es256Key, signEs256 } from './algorithms/es256.js';

const OID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const OID_P256 = '1.2.840.10045.3.1.7';
const OID_ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const OID_BASIC_CONSTRAINTS = '2.5.29.19';
const OID_FIDO_AAGUID = '1.3.6.1.4.1.45724.1.1.4';

export interface AttestationSubject {
  country: string;
  organization: string;
  commonName: string;
}

function name(s: AttestationSubject): Uint8Array {
  const rdn = (type: string, value: Uint8Array): Uint8Array => set(sequence(oid(type), value));
  return sequence(
    rdn('2.5.4.6', printableString(s.country)),
    rdn('2.5.4.10', utf8String(s.organization)),
    rdn('2.5.4.11', utf8String('Authenticator Attestation')),
    rdn('2.5.4.3', utf8String(s.commonName)),
  );
}

/** Build and self-sign the certificate. `serial` is a positive 1..20-byte number. */
export async function buildAttestationCertificate(options: {
  key: Es256Key;
  subject: AttestationSubject;
  aaguid: Uint8Array;
  serial: Uint8Array;
  notBefore: Date;
  notAfter: Date;
}): Promise<Uint8Array> {
  const algorithm = sequence(oid(OID_ECDSA_SHA256));
  const spki = sequence(sequence(oid(OID_EC_PUBLIC_KEY), oid(OID_P256)), bitString(ec2ToUncompressed(options.key)));
  const subject = name(options.subject);
  const extensions = explicit(
    3,
    sequence(
      sequence(oid(OID_BASIC_CONSTRAINTS), booleanTrue(), octetString(sequence())),
      sequence(oid(OID_FIDO_AAGUID), octetString(octetString(options.aaguid))),
    ),
  );
  const serial = options.serial.slice();
  serial[0] = serial[0]! & 0x7f;
  const tbs = sequence(explicit(0, smallInteger(2)), unsignedInteger(serial), algorithm, subject, sequence(certTime(options.notBefore), certTime(options.notAfter)), subject, spki, extensions);
  const signature = await signEs256(options.key, tbs);
  return sequence(tbs, algorithm, bitString(signature));
}
