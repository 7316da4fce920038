"""Talk to `tokenrig sim fido` from python-fido2 (0.9, Debian's python3-fido2), over UDP.

The simulator serves one 64-byte HID report per UDP datagram (the SoloKeys simulation
contract), so python-fido2 needs only a small connection class to use it as it would use a
key on USB. Run:

    tokenrig sim fido --hid udp:0 --json      # endpoints.hid is udp:127.0.0.1:PORT
    /usr/bin/python3 docs/python-fido2-udp.py PORT

It prints the key's getInfo, registers a credential for https://rp.example with python-fido2's
own WebAuthn client, and signs in with it.
"""
import socket
import sys

from fido2.client import Fido2Client
from fido2.hid import CtapHidDevice
from fido2.hid.base import CtapHidConnection, HidDescriptor
from fido2.webauthn import (
    PublicKeyCredentialCreationOptions,
    PublicKeyCredentialRequestOptions,
    PublicKeyCredentialRpEntity,
    PublicKeyCredentialUserEntity,
)


class UdpConnection(CtapHidConnection):
    """One HID report per datagram, to and from 127.0.0.1:PORT."""

    def __init__(self, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(10)
        self.dest = ("127.0.0.1", port)

    def write_packet(self, packet):
        self.sock.sendto(bytes(packet), self.dest)  # 64 bytes, no report-ID byte

    def read_packet(self):
        return self.sock.recvfrom(64)[0]

    def close(self):
        self.sock.close()


port = int(sys.argv[1]) if len(sys.argv) > 1 else 8111
device = CtapHidDevice(HidDescriptor("udp:127.0.0.1:%d" % port, 0x1209, 0x7172, 64, 64), UdpConnection(port))
client = Fido2Client(device, "https://rp.example")
print("versions:", client.info.versions, "aaguid:", bytes(client.info.aaguid).hex())

rp = PublicKeyCredentialRpEntity("rp.example", "Example RP")
user = PublicKeyCredentialUserEntity(b"alice", "alice", "Alice")
made = client.make_credential(
    PublicKeyCredentialCreationOptions(rp, user, b"a challenge of the relying party", [{"type": "public-key", "alg": -7}])
)
credential = made.attestation_object.auth_data.credential_data
print("registered:", credential.credential_id.hex())

got = client.get_assertion(
    PublicKeyCredentialRequestOptions(b"another challenge", rp_id="rp.example", allow_credentials=[{"type": "public-key", "id": credential.credential_id}])
)
response = got.get_response(0)
# Raises InvalidSignature unless the key signed authenticatorData || SHA-256(clientDataJSON).
credential.public_key.verify(bytes(response.authenticator_data) + response.client_data.hash, response.signature)
print("signed in: signature verified, counter", response.authenticator_data.counter)
