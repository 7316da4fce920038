"""python-fido2 (0.9, Debian's python3-fido2) managing fingerprints and using built-in UV
on a simulated key with a fingerprint sensor, over UDP HID.

Usage: fido2_bio_peer.py PORT PROTOCOL
With PIN/UV auth protocol PROTOCOL (1 or 2): sets a PIN, takes a token with the bio enrollment
permission, reads the sensor info, enrolls a finger with FPEnrollmentContext, names, lists and
(at the end) removes it; reads uvRetries; gets a token with getPinUvAuthTokenUsingUvWithPermissions
(the simulator's script makes the first finger a wrong one), makes a credential with it and an
assertion with uv=True, verifying both signatures and the UV flag; prints one JSON document.
"""
import json
import sys
from hashlib import sha256

from fido2.attestation import PackedAttestation
from fido2.ctap import CtapError
from fido2.ctap2 import Ctap2
from fido2.ctap2.bio import CaptureError, FPBioEnrollment
from fido2.ctap2.pin import ClientPin, PinProtocolV1, PinProtocolV2
from fido2.hid import CtapHidDevice
from fido2.hid.base import HidDescriptor

from fido2_udp_peer import UdpCtapHidConnection


def code(e):
    return e.code.name if hasattr(e.code, "name") else hex(e.code)


def main():
    port, version = int(sys.argv[1]), int(sys.argv[2])
    dev = CtapHidDevice(HidDescriptor("udp:127.0.0.1:%d" % port, 0x1050, 0x0402, 64, 64), UdpCtapHidConnection(port))
    ctap2 = Ctap2(dev)
    proto = PinProtocolV2() if version == 2 else PinProtocolV1()
    cp = ClientPin(ctap2, proto)
    out = {"options": dict(ctap2.info.options), "uvModality": ctap2.info.uv_modality if hasattr(ctap2.info, "uv_modality") else None}
    cp.set_pin("13579")
    token = cp.get_pin_token("13579", ClientPin.PERMISSION.BIO_ENROLL)
    bio = FPBioEnrollment(ctap2, proto, token)
    out["sensor"] = {str(k): v for k, v in bio.get_fingerprint_sensor_info().items()}
    out["before"] = bio.enumerate_enrollments()

    context = bio.enroll(timeout=5000)
    samples, template_id = [], None
    while template_id is None:
        try:
            template_id = context.capture()
            samples.append(context.remaining)
        except CaptureError as e:
            samples.append("error %s" % e.code)
    out["samples"] = samples
    bio.set_name(template_id, "right index")
    out["enrolled"] = {k.hex(): v for k, v in bio.enumerate_enrollments().items()}
    out["templateId"] = template_id.hex()
    out["optionsAfter"] = {k: ctap2.get_info().options.get(k) for k in ("uv", "bioEnroll", "userVerificationMgmtPreview")}

    ctap2 = Ctap2(dev)
    cp = ClientPin(ctap2, proto)
    out["uvRetries"] = cp.get_uv_retries()[0]
    perms = ClientPin.PERMISSION.MAKE_CREDENTIAL | ClientPin.PERMISSION.GET_ASSERTION
    try:
        cp.get_uv_token(perms, "bio.example")
        out["wrongFinger"] = "ok"
    except CtapError as e:
        out["wrongFinger"] = code(e)
    out["uvRetriesAfterWrong"] = cp.get_uv_retries()[0]
    uv_token = cp.get_uv_token(perms, "bio.example")
    out["uvRetriesAfterMatch"] = cp.get_uv_retries()[0]

    cdh = sha256(b"bio client data").digest()
    rp = {"id": "bio.example", "name": "Bio"}
    att = ctap2.make_credential(cdh, rp, {"id": b"bio-user", "name": "bio"}, [{"type": "public-key", "alg": -7}],
                                options={"rk": True}, pin_uv_param=proto.authenticate(uv_token, cdh), pin_uv_protocol=proto.VERSION)
    PackedAttestation().verify(att.att_statement, att.auth_data, cdh)
    cred = att.auth_data.credential_data
    assertion = ctap2.get_assertion("bio.example", cdh, options={"uv": True})
    assertion.verify(cdh, cred.public_key)
    out["makeCredentialFlags"] = att.auth_data.flags
    out["assertionFlags"] = assertion.auth_data.flags
    out["assertionUser"] = assertion.user.get("name")

    token = ClientPin(ctap2, proto).get_pin_token("13579", ClientPin.PERMISSION.BIO_ENROLL)
    bio = FPBioEnrollment(ctap2, proto, token)
    bio.remove_enrollment(template_id)
    out["after"] = bio.enumerate_enrollments()
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
