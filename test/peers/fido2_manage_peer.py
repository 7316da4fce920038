"""python-fido2 (0.9, Debian's python3-fido2) manages a FIDO key over UDP HID: credential
management, credProtect, minPinLength and authenticatorConfig (with enterprise attestation).

Usage: fido2_manage_peer.py PORT PROTOCOL
Connects to 127.0.0.1:PORT (one 64-byte report per datagram), uses PIN/UV auth protocol
PROTOCOL (1 or 2) throughout, and prints one JSON document with what it saw. python-fido2's own
classes do the work (ClientPin, CredentialManagement, Config, CredProtectExtension,
PackedAttestation); status codes are reported as numbers.
"""
import json
import sys
from hashlib import sha256

from fido2.attestation import PackedAttestation
from fido2.ctap import CtapError
from fido2.ctap2 import Ctap2
from fido2.ctap2.base import AttestationObject, args
from fido2.ctap2.config import Config
from fido2.ctap2.credman import CredentialManagement
from fido2.ctap2.extensions import CredProtectExtension
from fido2.ctap2.pin import ClientPin, PinProtocolV1, PinProtocolV2
from fido2.hid import CtapHidDevice
from fido2.hid.base import HidDescriptor

from fido2_udp_peer import UdpCtapHidConnection

P = ClientPin.PERMISSION
CDH = sha256(b"client data").digest()
ES256 = [{"type": "public-key", "alg": -7}]


def status(call):
    try:
        call()
        return 0
    except CtapError as e:
        return int(e.code)


def main():
    port = int(sys.argv[1])
    protocol = PinProtocolV1() if sys.argv[2] == "1" else PinProtocolV2()
    dev = CtapHidDevice(HidDescriptor("udp:127.0.0.1:%d" % port, 0x1209, 0x7172, 64, 64), UdpCtapHidConnection(port))
    ctap2 = Ctap2(dev)
    pin = ClientPin(ctap2, protocol)
    pin.set_pin("1234")
    out = {"protocol": protocol.VERSION}

    def auth(permission, rp_id=None, code="1234"):
        token = pin.get_pin_token(code, permission, rp_id)
        return token

    def make(rp_id, user_id, name, level=None, rk=True, extensions=None):
        token = auth(P.MAKE_CREDENTIAL, rp_id)
        ext = dict(extensions or {})
        if level is not None:
            # python-fido2's own mapping of the WebAuthn policy to the CTAP level.
            policy = list(CredProtectExtension.POLICY)[level - 1]
            ext["credProtect"] = CredProtectExtension(ctap2).process_create_input({"credentialProtectionPolicy": policy})
        return ctap2.make_credential(
            CDH, {"id": rp_id, "name": rp_id}, {"id": user_id, "name": name, "displayName": name.title()}, ES256,
            extensions=ext or None, options={"rk": rk}, pin_uv_param=protocol.authenticate(token, CDH), pin_uv_protocol=protocol.VERSION,
        )

    made = {
        "alice": make("example.com", b"alice", "alice"),
        "bob": make("example.com", b"bob", "bob", level=2),
        "carol": make("other.example", b"carol", "carol", level=3),
    }
    out["credProtectOutputs"] = {k: (v.auth_data.extensions or {}).get("credProtect") for k, v in made.items()}

    cm = CredentialManagement(ctap2, protocol, auth(P.CREDENTIAL_MGMT))
    meta = cm.get_metadata()
    out["metadata"] = [meta[CredentialManagement.RESULT.EXISTING_CRED_COUNT], meta[CredentialManagement.RESULT.MAX_REMAINING_COUNT]]
    rps = cm.enumerate_rps()
    out["rps"] = [r[CredentialManagement.RESULT.RP]["id"] for r in rps]
    out["rpHashesMatch"] = all(r[CredentialManagement.RESULT.RP_ID_HASH] == sha256(r[CredentialManagement.RESULT.RP]["id"].encode()).digest() for r in rps)
    creds = cm.enumerate_creds(sha256(b"example.com").digest())
    out["credentials"] = [
        {
            "name": c[CredentialManagement.RESULT.USER]["name"],
            "credProtect": c[CredentialManagement.RESULT.CRED_PROTECT],
            # The public key the key reports is the one makeCredential attested.
            "publicKeyMatches": c[CredentialManagement.RESULT.PUBLIC_KEY] == made[c[CredentialManagement.RESULT.USER]["name"]].auth_data.credential_data.public_key,
        }
        for c in creds
    ]

    # credProtect, enforced by the key: carol (level 3) needs UV, bob (level 2) needs UV or his ID.
    bob_id = {"type": "public-key", "id": made["bob"].auth_data.credential_data.credential_id}
    carol_id = {"type": "public-key", "id": made["carol"].auth_data.credential_data.credential_id}
    out["withoutUv"] = {
        "carolDiscoverable": status(lambda: ctap2.get_assertion("other.example", CDH)),
        "carolListed": status(lambda: ctap2.get_assertion("other.example", CDH, [carol_id])),
        "bobListed": status(lambda: ctap2.get_assertion("example.com", CDH, [bob_id])),
        # Only alice: bob's level 2 hides him from a lookup without his ID.
        "exampleDiscoverable": [ctap2.get_assertion("example.com", CDH).user["id"].decode(), ctap2.get_assertion("example.com", CDH).number_of_credentials],
    }
    ga_token = auth(P.GET_ASSERTION, "other.example")
    carol = ctap2.get_assertion("other.example", CDH, pin_uv_param=protocol.authenticate(ga_token, CDH), pin_uv_protocol=protocol.VERSION)
    carol.verify(CDH, made["carol"].auth_data.credential_data.public_key)
    out["carolWithUv"] = carol.user["name"]

    cm = CredentialManagement(ctap2, protocol, auth(P.CREDENTIAL_MGMT))
    cm.update_user_info(bob_id, {"id": b"bob", "name": "robert", "displayName": "Robert"})
    cm.delete_cred(carol_id)
    out["afterChanges"] = {
        "metadata": cm.get_metadata()[CredentialManagement.RESULT.EXISTING_CRED_COUNT],
        "rps": [r[CredentialManagement.RESULT.RP]["id"] for r in cm.enumerate_rps()],
        "names": sorted(c[CredentialManagement.RESULT.USER]["name"] for c in cm.enumerate_creds(sha256(b"example.com").digest())),
        "wrongUser": status(lambda: cm.update_user_info(bob_id, {"id": b"mallory", "name": "m"})),
    }
    # A new token ends the cm one; the deleted credential is gone even when named.
    out["afterChanges"]["deletedListed"] = status(lambda: ctap2.get_assertion("other.example", CDH, [carol_id], pin_uv_param=protocol.authenticate(auth(P.GET_ASSERTION, "other.example"), CDH), pin_uv_protocol=protocol.VERSION))

    # authenticatorConfig: the minimum PIN length, forcing a change, the RPs that may read it.
    Config(ctap2, protocol, auth(P.AUTHENTICATOR_CFG)).set_min_pin_length(6, rp_ids=["example.com"])
    info = ctap2.get_info()
    out["minPin"] = {
        "minPinLength": info.min_pin_length,
        "forcePinChange": info.force_pin_change,
        "tokenRefused": status(lambda: pin.get_pin_token("1234", P.MAKE_CREDENTIAL)),
    }
    pin.change_pin("1234", "123456")
    out["minPin"]["forceClearedByChange"] = ctap2.get_info().force_pin_change is False
    m = ctap2.make_credential(CDH, {"id": "example.com"}, {"id": b"dave", "name": "dave"}, ES256, extensions={"minPinLength": True},
                              pin_uv_param=protocol.authenticate(pin.get_pin_token("123456", P.MAKE_CREDENTIAL, "example.com"), CDH), pin_uv_protocol=protocol.VERSION)
    out["minPin"]["extensionOutput"] = m.auth_data.extensions.get("minPinLength")

    # alwaysUv: operations need the PIN from now on.
    Config(ctap2, protocol, pin.get_pin_token("123456", P.AUTHENTICATOR_CFG)).toggle_always_uv()
    info = ctap2.get_info()
    out["alwaysUv"] = {
        "option": info.options.get("alwaysUv"),
        "versions": info.versions,
        "makeCredentialWithoutPin": status(lambda: ctap2.make_credential(CDH, {"id": "example.com"}, {"id": b"eve", "name": "eve"}, ES256)),
    }

    # Enterprise attestation (python-fido2 0.9 has no helper for either: its own _call and args()).
    cfg = Config(ctap2, protocol, pin.get_pin_token("123456", P.AUTHENTICATOR_CFG))
    cfg._call(Config.CMD.ENABLE_ENTERPRISE_ATT)
    token = pin.get_pin_token("123456", P.MAKE_CREDENTIAL, "example.com")
    att = ctap2.send_cbor(Ctap2.CMD.MAKE_CREDENTIAL, args(CDH, {"id": "example.com"}, {"id": b"frank", "name": "frank"}, ES256, None, None, None,
                                                        protocol.authenticate(token, CDH), protocol.VERSION, 2), None, AttestationObject)
    PackedAttestation().verify(att.att_statement, att.auth_data, CDH)
    out["enterprise"] = {"ep": ctap2.get_info().options.get("ep"), "epAtt": att.ep_att, "verified": True}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
