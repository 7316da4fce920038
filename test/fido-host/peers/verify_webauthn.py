"""Verify tokenrig's WebAuthn JSON with python-fido2 (0.9.x server API), an independent RP.

stdin: {"origin", "rpId", "registration": RegistrationResponseJSON, "regChallenge",
        "authentication": AuthenticationResponseJSON, "authChallenge"}
stdout: {"fmt", "credentialId", "counter"}; exit 1 with the reason on failure.
"""
import json
import sys
from fido2.utils import websafe_decode, websafe_encode
from fido2.server import Fido2Server
from fido2.webauthn import PublicKeyCredentialRpEntity
from fido2.client import ClientData
from fido2.ctap2 import AttestationObject, AuthenticatorData

req = json.load(sys.stdin)
server = Fido2Server(
    PublicKeyCredentialRpEntity(req["rpId"], "RP"),
    attestation="direct",
    verify_origin=lambda o: o == req["origin"],
)
reg = req["registration"]["response"]
att = AttestationObject(websafe_decode(reg["attestationObject"]))
auth_data = server.register_complete(
    {"challenge": req["regChallenge"], "user_verification": None},
    ClientData(websafe_decode(reg["clientDataJSON"])),
    att,
)
cred = auth_data.credential_data
a = req["authentication"]["response"]
server.authenticate_complete(
    {"challenge": req["authChallenge"], "user_verification": None},
    [cred],
    websafe_decode(req["authentication"]["rawId"]),
    ClientData(websafe_decode(a["clientDataJSON"])),
    AuthenticatorData(websafe_decode(a["authenticatorData"])),
    websafe_decode(a["signature"]),
)
print(json.dumps({"fmt": att.fmt, "credentialId": websafe_encode(cred.credential_id), "counter": AuthenticatorData(websafe_decode(a["authenticatorData"])).counter}))
