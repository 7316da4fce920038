"""python-fido2 (0.9, Debian's python3-fido2) reading a FIDO key's getInfo over UDP HID.

Usage: fido2_info_peer.py PORT
Prints one JSON document: every getInfo member python-fido2 decoded, keyed by its member
number (CTAP 2.1 section 6.4), byte strings in hex, and the PIN and UV retries as
python-fido2's ClientPin reads them (null where the key has no PIN or no built-in UV).
"""
import json
import sys

from fido2.ctap import CtapError
from fido2.ctap2 import Ctap2
from fido2.ctap2.pin import ClientPin
from fido2.hid import CtapHidDevice
from fido2.hid.base import HidDescriptor

from fido2_udp_peer import UdpCtapHidConnection


def plain(value):
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def main():
    port = int(sys.argv[1])
    dev = CtapHidDevice(HidDescriptor("udp:127.0.0.1:%d" % port, 0x1209, 0x7172, 64, 64), UdpCtapHidConnection(port))
    ctap2 = Ctap2(dev)
    info = ctap2.info
    out = {"members": {str(int(k)): plain(v) for k, v in info.data.items()}}
    pin = ClientPin(ctap2)
    out["pinRetries"] = pin.get_pin_retries()[0] if info.options.get("clientPin") else None
    try:
        retries = pin.get_uv_retries() if "uv" in info.options else None
        # python-fido2 0.9 answers a tuple (uvRetries, powerCycleState).
        out["uvRetries"] = retries[0] if isinstance(retries, tuple) else retries
    except CtapError as e:
        out["uvRetries"] = "refused: %s" % e.code.name
    print(json.dumps(out))


main()
