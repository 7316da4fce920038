"""python-fido2 (0.9, Debian's python3-fido2) driving a FIDO device over UDP HID.

Usage: fido2_udp_peer.py PORT
Connects to 127.0.0.1:PORT (one 64-byte report per datagram, the SoloKeys simulation
contract), runs getInfo, makeCredential/getAssertion with packed attestation verified by
python-fido2 itself, U2F register/authenticate, and clientPin with PIN protocols 1 and 2,
and prints one JSON document with what it saw.
"""
import json
import os
import socket
import sys
from hashlib import sha256

from fido2.attestation import PackedAttestation
from fido2.ctap import CtapError
from fido2.ctap1 import Ctap1, ApduError
from fido2.ctap2 import Ctap2
from fido2.ctap2.pin import ClientPin, PinProtocolV1, PinProtocolV2
from fido2.hid import CtapHidDevice
from fido2.hid.base import CtapHidConnection, HidDescriptor


class UdpCtapHidConnection(CtapHidConnection):
    def __init__(self, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(10)
        self.dest = ("127.0.0.1", port)

    def write_packet(self, packet):
        # python-fido2 0.9 passes the report without the report-ID byte: 64 bytes.
        assert len(packet) == 64, len(packet)
        self.sock.sendto(bytes(packet), self.dest)

    def read_packet(self):
        data, _ = self.sock.recvfrom(64)
        return data

    def close(self):
        self.sock.close()


def main():
    port = int(sys.argv[1])
    desc = HidDescriptor("udp:127.0.0.1:%d" % port, 0x1209, 0x7172, 64, 64)
    dev = CtapHidDevice(desc, UdpCtapHidConnection(port))
    out = {"capabilities": dev.capabilities, "deviceVersion": list(dev.device_version)}
    out["ping"] = dev.ping(b"tokenrig" * 20) == b"tokenrig" * 20

    ctap2 = Ctap2(dev)  # strict_cbor=True: the library rejects non-canonical CBOR
    info = ctap2.info
    out["info"] = {
        "versions": info.versions,
        "aaguid": info.aaguid.hex() if isinstance(info.aaguid, bytes) else str(info.aaguid),
        "options": info.options,
        "pinUvProtocols": info.pin_uv_protocols,
        "maxMsgSize": info.max_msg_size,
    }

    rp = {"id": "example.com", "name": "Example"}
    user = {"id": b"user-1", "name": "alice", "displayName": "Alice"}
    params = [{"type": "public-key", "alg": -7}]
    cdh = sha256(b"client data").digest()

    # makeCredential, non-resident, packed attestation verified by python-fido2.
    att = ctap2.make_credential(cdh, rp, user, params)
    PackedAttestation().verify(att.att_statement, att.auth_data, cdh)
    cred = att.auth_data.credential_data
    out["makeCredential"] = {"fmt": att.fmt, "attestationVerified": True, "flags": att.auth_data.flags, "credentialIdLength": len(cred.credential_id)}

    counters = []
    for _ in range(2):
        a = ctap2.get_assertion(rp["id"], cdh, [{"type": "public-key", "id": cred.credential_id}])
        a.verify(cdh, cred.public_key)
        counters.append(a.auth_data.counter)
    out["getAssertion"] = {"verified": True, "counters": counters}

    # Resident credentials: two users, then getAssertion without allowList + getNextAssertion.
    for uid in (b"rk-1", b"rk-2"):
        ctap2.make_credential(cdh, {"id": "rk.example"}, {"id": uid, "name": uid.decode()}, params, options={"rk": True})
    assertions = ctap2.get_assertions("rk.example", cdh)
    out["residentAssertions"] = {"count": len(assertions), "users": sorted(a.user["id"].decode() for a in assertions)}

    # U2F over CTAPHID_MSG.
    ctap1 = Ctap1(dev)
    app = sha256(b"https://u2f.example").digest()
    chal = sha256(b"challenge").digest()
    reg = ctap1.register(chal, app)
    reg.verify(app, chal)
    try:
        ctap1.authenticate(chal, app, reg.key_handle, check_only=True)
        check_only = "accepted"
    except ApduError as e:
        check_only = hex(e.code)
    sig = ctap1.authenticate(chal, app, reg.key_handle)
    sig.verify(app, chal, reg.public_key)
    out["u2f"] = {"version": ctap1.get_version(), "registered": True, "checkOnly": check_only, "authenticated": True, "counter": sig.counter}

    # clientPin: protocol 2 sets the PIN; both protocols get tokens and make credentials.
    pin_results = {}
    for proto in (PinProtocolV2(), PinProtocolV1()):
        ctap2 = Ctap2(dev)
        cp = ClientPin(ctap2, proto)
        if not ctap2.info.options.get("clientPin"):
            cp.set_pin("4321")
        token = cp.get_pin_token("4321", ClientPin.PERMISSION.MAKE_CREDENTIAL | ClientPin.PERMISSION.GET_ASSERTION, rp["id"])
        mc = ctap2.make_credential(cdh, rp, {"id": b"pin-user", "name": "pin"}, params,
                                   pin_uv_param=proto.authenticate(token, cdh), pin_uv_protocol=proto.VERSION)
        PackedAttestation().verify(mc.att_statement, mc.auth_data, cdh)
        try:
            ctap2.make_credential(cdh, rp, user, params)
            without = "ok"
        except CtapError as e:
            without = e.code.name if hasattr(e.code, "name") else hex(e.code)
        try:
            cp.get_pin_token("0000", ClientPin.PERMISSION.GET_ASSERTION, rp["id"])
            wrong = "ok"
        except CtapError as e:
            wrong = e.code.name if hasattr(e.code, "name") else hex(e.code)
        retries = cp.get_pin_retries()
        pin_results[str(proto.VERSION)] = {
            "uvFlag": bool(mc.auth_data.flags & 0x04),
            "withoutPin": without,
            "wrongPin": wrong,
            "retries": retries[0] if isinstance(retries, tuple) else retries,
        }
    out["clientPin"] = pin_results
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
