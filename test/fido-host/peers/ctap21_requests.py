"""Records the CTAP 2.1 requests python-fido2 sends for credential management,
authenticatorConfig, largeBlobs and bioEnrollment, so tokenrig's encoders can be held
byte-equal to an independent implementation.

stdin: {"protocol": 1|2, "token": hex}
stdout: a JSON list of {"name": str, "request": hex (command byte + CBOR)}
"""
import json
import sys

from fido2 import cbor
from fido2.ctap2.base import Ctap2
from fido2.ctap2.bio import FPBioEnrollment
from fido2.ctap2.blob import LargeBlobs
from fido2.ctap2.config import Config
from fido2.ctap2.credman import CredentialManagement
from fido2.ctap2.pin import PinProtocolV1, PinProtocolV2
from fido2.hid import CAPABILITY, CTAPHID

INFO = {
    1: ["U2F_V2", "FIDO_2_0", "FIDO_2_1"],
    3: b"\x00" * 16,
    4: {"rk": True, "up": True, "clientPin": True, "pinUvAuthToken": True, "credMgmt": True,
        "authnrCfg": True, "largeBlobs": True, "bioEnroll": True},
    5: 1200,
    6: [2, 1],
}


class RecordingDevice(object):
    capabilities = CAPABILITY.CBOR

    def __init__(self):
        self.requests = []
        self.name = None

    def call(self, cmd, data, event=None, on_keepalive=None):
        assert cmd == CTAPHID.CBOR
        data = bytes(data)
        if data[0] == 0x04:
            return b"\x00" + cbor.encode(INFO)
        self.requests.append({"name": self.name, "request": data.hex()})
        params = cbor.decode(data[1:]) if len(data) > 1 else {}
        if data[0] == 0x09 and params.get(6):
            return b"\x00" + cbor.encode({1: 1})
        if data[0] == 0x09 and params.get(2) == 4:
            return b"\x00" + cbor.encode({7: []})
        return b"\x00"


def main():
    args = json.load(sys.stdin)
    protocol = PinProtocolV1() if args["protocol"] == 1 else PinProtocolV2()
    token = bytes.fromhex(args["token"])
    device = RecordingDevice()
    ctap = Ctap2(device)

    def step(name, fn):
        device.name = name
        fn()

    cm = CredentialManagement(ctap, protocol, token)
    cred = {"id": bytes(range(16)), "type": "public-key"}
    step("getCredsMetadata", cm.get_metadata)
    step("enumerateRPsBegin", cm.enumerate_rps_begin)
    step("enumerateRPsGetNextRP", cm.enumerate_rps_next)
    step("enumerateCredentialsBegin", lambda: cm.enumerate_creds_begin(b"\x11" * 32))
    step("enumerateCredentialsGetNextCredential", cm.enumerate_creds_next)
    step("deleteCredential", lambda: cm.delete_cred(cred))
    step("updateUserInformation", lambda: cm.update_user_info(cred, {"id": b"\x01\x02", "name": "alice", "displayName": "Alice"}))

    config = Config(ctap, protocol, token)
    step("toggleAlwaysUv", config.toggle_always_uv)
    step("setMinPINLength", lambda: config.set_min_pin_length(min_pin_length=6, rp_ids=["example.com"], force_change_pin=True))

    blobs = LargeBlobs(ctap, protocol, token)
    step("largeBlobsSet", lambda: blobs.write_blob_array([{1: b"\x01" * 20, 2: 7}]))

    device.name = "getModality"
    bio = FPBioEnrollment(ctap, protocol, token)
    step("getFingerprintSensorInfo", bio.get_fingerprint_sensor_info)
    step("enumerateEnrollments", bio.enumerate_enrollments)
    step("setFriendlyName", lambda: bio.set_name(b"\x05\x06", "thumb"))
    step("removeEnrollment", lambda: bio.remove_enrollment(b"\x05\x06"))
    json.dump(device.requests, sys.stdout)


if __name__ == "__main__":
    main()
