"""python-fido2 (0.9, Debian's python3-fido2) driving the simulator's extensions over UDP HID.

Usage: fido2_ext_peer.py PORT PHASE [JSON]
  hmac     hmac-secret with PIN/UV auth protocols 1 and 2, one and two salts, on an EdDSA
           credential whose assertions python-fido2 verifies itself
  blobs    largeBlobKey and the large-blob array: put_blob / get_blob / read_blob_array
  check    JSON {"key": hex}: read the array again; open the entries of that key with
           python-fido2's own AES-GCM unpacking, then inflate them, saying whether they were
           raw DEFLATE (RFC 1951, what CTAP 2.1 names) or zlib-wrapped (what python-fido2 0.9
           itself writes)
  pin      JSON {"pin": "..."}: set the PIN; hmac-secret with a PIN token (UV) for both
           protocols; a large-blob write refused without a token and done with an lbw token
Prints one JSON document.
"""
import json
import os
import sys
import zlib
from hashlib import sha256

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fido2_udp_peer import UdpCtapHidConnection  # noqa: E402

from fido2.ctap import CtapError  # noqa: E402
from fido2.ctap2 import Ctap2  # noqa: E402
from fido2.ctap2.blob import LargeBlobs, _lb_unpack  # noqa: E402
from fido2.ctap2.extensions import HmacSecretExtension, LargeBlobKeyExtension  # noqa: E402
from fido2.ctap2.pin import ClientPin, PinProtocolV1, PinProtocolV2  # noqa: E402
from fido2.hid import CtapHidDevice  # noqa: E402
from fido2.hid.base import HidDescriptor  # noqa: E402

RP = {"id": "peer.example", "name": "Peer"}
CDH = sha256(b"python-fido2 client data").digest()
SALT1 = bytes(range(32))
SALT2 = bytes(range(32, 64))


def err(e):
    return e.code.name if hasattr(e.code, "name") else hex(e.code)


def hmac_round(ctap2, proto, cred, extra=None):
    """hmac-secret with one and with two salts; python-fido2 verifies each assertion.

    `extra` makes the pinUvAuthParam of one assertion: a token is spent by the assertion it
    authorizes (CTAP 2.1 section 6.2.2 step 9), so each gets a fresh one.
    """
    out = {}
    for name, salts in (("one", {"salt1": SALT1}), ("two", {"salt1": SALT1, "salt2": SALT2})):
        ext = HmacSecretExtension(ctap2, proto)
        inputs = ext.process_get_input({"hmacGetSecret": salts})
        a = ctap2.get_assertion(RP["id"], CDH, [{"type": "public-key", "id": cred.credential_id}], {"hmac-secret": inputs}, **(extra() if extra else {}))
        a.verify(CDH, cred.public_key)
        got = ext.process_get_output(a.auth_data)["hmacGetSecret"]
        out[name] = {k: v.hex() for k, v in got.items()}
        out["uv"] = bool(a.auth_data.flags & 0x04)
    return out


def phase_hmac(ctap2):
    info = ctap2.info
    out = {"extensions": info.extensions, "algorithms": [a["alg"] for a in info.algorithms]}
    create = HmacSecretExtension(ctap2)
    att = ctap2.make_credential(CDH, RP, {"id": b"hmac-user", "name": "hmac"}, [{"type": "public-key", "alg": -8}], extensions={"hmac-secret": create.process_create_input({"hmacCreateSecret": True})})
    cred = att.auth_data.credential_data
    out["credentialId"] = cred.credential_id.hex()
    out["alg"] = cred.public_key[3]
    out["created"] = create.process_create_output(att.auth_data)
    for proto in (PinProtocolV1, PinProtocolV2):
        out[str(proto.VERSION)] = hmac_round(ctap2, proto(), cred)
    return out


def phase_blobs(ctap2):
    info = ctap2.info
    out = {"largeBlobsOption": info.options.get("largeBlobs"), "maxLargeBlob": info.max_large_blob}
    ext = LargeBlobKeyExtension(ctap2)
    att = ctap2.make_credential(CDH, RP, {"id": b"blob-user", "name": "blob"}, [{"type": "public-key", "alg": -7}], extensions={"largeBlobKey": ext.process_create_input({"largeBlobKey": True})}, options={"rk": True})
    key = att.large_blob_key
    out["credentialId"] = att.auth_data.credential_data.credential_id.hex()
    out["key"] = key.hex()
    blobs = LargeBlobs(ctap2)
    out["initial"] = blobs.read_blob_array()
    blobs.put_blob(key, b"python-fido2 wrote this")
    out["readBack"] = blobs.get_blob(key).decode()
    # The same key comes back from getAssertion (0x07).
    a = ctap2.get_assertion(RP["id"], CDH, [{"type": "public-key", "id": att.auth_data.credential_data.credential_id}], {"largeBlobKey": True})
    out["keyFromAssertion"] = a.large_blob_key.hex()
    out["entries"] = len(blobs.read_blob_array())
    return out


def phase_check(ctap2, args):
    blobs = LargeBlobs(ctap2)
    entries = blobs.read_blob_array()
    key = bytes.fromhex(args["key"])
    opened = []
    for entry in entries:
        try:
            compressed, size = _lb_unpack(key, entry)
        except ValueError:
            continue
        try:
            d = zlib.decompressobj(-zlib.MAX_WBITS)
            data, form = d.decompress(compressed) + d.flush(), "deflate"
        except zlib.error:
            data, form = zlib.decompress(compressed), "zlib"  # what python-fido2 0.9 writes
        opened.append({"size": size, "data": data.hex(), "form": form})
    return {"entries": len(entries), "opened": opened, "pythonGetBlob": None if blobs.get_blob(key) is None else "read"}


def phase_pin(ctap2, args):
    pin = args["pin"]
    ClientPin(ctap2).set_pin(pin)
    out = {}
    create = HmacSecretExtension(ctap2)
    for proto in (PinProtocolV1, PinProtocolV2):
        cp = ClientPin(ctap2, proto())
        token = cp.get_pin_token(pin, ClientPin.PERMISSION.MAKE_CREDENTIAL, RP["id"])
        att = ctap2.make_credential(CDH, RP, {"id": b"uv-user-%d" % proto.VERSION, "name": "uv"}, [{"type": "public-key", "alg": -8}], extensions={"hmac-secret": True}, pin_uv_param=cp.protocol.authenticate(token, CDH), pin_uv_protocol=proto.VERSION)
        cred = att.auth_data.credential_data
        without = hmac_round(ctap2, proto(), cred)
        def uv():
            token = cp.get_pin_token(pin, ClientPin.PERMISSION.GET_ASSERTION, RP["id"])
            return {"pin_uv_param": cp.protocol.authenticate(token, CDH), "pin_uv_protocol": proto.VERSION}

        with_uv = hmac_round(ctap2, proto(), cred, uv)
        out[str(proto.VERSION)] = {"created": create.process_create_output(att.auth_data), "withoutUv": without, "withUv": with_uv}
    # Large blobs on a key with a PIN: no token, no write; an lbw token writes.
    try:
        LargeBlobs(ctap2).write_blob_array([])
        out["writeWithoutToken"] = "ok"
    except CtapError as e:
        out["writeWithoutToken"] = err(e)
    cp = ClientPin(ctap2, PinProtocolV2())
    token = cp.get_pin_token(pin, ClientPin.PERMISSION.LARGE_BLOB_WRITE)
    LargeBlobs(ctap2, cp.protocol, token).write_blob_array([{1: b"\x00" * 17, 2: b"\x01" * 12, 3: 1}])
    out["entriesAfterTokenWrite"] = len(LargeBlobs(ctap2).read_blob_array())
    return out


def main():
    port = int(sys.argv[1])
    phase = sys.argv[2]
    args = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
    dev = CtapHidDevice(HidDescriptor("udp:127.0.0.1:%d" % port, 0x1209, 0x7172, 64, 64), UdpCtapHidConnection(port))
    ctap2 = Ctap2(dev)
    run = {"hmac": lambda: phase_hmac(ctap2), "blobs": lambda: phase_blobs(ctap2), "check": lambda: phase_check(ctap2, args), "pin": lambda: phase_pin(ctap2, args)}[phase]
    print(json.dumps(run(), default=str))


if __name__ == "__main__":
    main()
