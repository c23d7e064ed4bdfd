"""A software passkey for tests: an ES256 key pair (``cryptography``) that answers a WebAuthn ``get()`` as a
browser's authenticator would, and hands its public key to the stand-in (COSE) or to Chromium's virtual
authenticator (``WebAuthn.addCredential``: the private key as PKCS#8).

The stand-in checks what this produces with py_webauthn (``standin/passkeys.py``), never with code of its own;
this module only signs, as an authenticator does (WebAuthn Level 2, 6.1 and 6.3.3).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

FLAG_USER_PRESENT = 0x01
FLAG_USER_VERIFIED = 0x04


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def bytes_of(value: Any) -> bytes:
    """Bytes from PingOne's options: an array of byte values, or base64url/base64 text."""
    if isinstance(value, list):
        return bytes(value)
    text = str(value).replace("-", "+").replace("_", "/")
    return base64.b64decode(text + "=" * (-len(text) % 4))


class SoftPasskey:
    """One passkey (a discoverable ES256 credential) of one user for one RP ID."""

    def __init__(self, rp_id: str, user_handle: bytes | None = None) -> None:
        self.rp_id = rp_id
        self.credential_id = secrets.token_bytes(16)
        self.user_handle = user_handle if user_handle is not None else secrets.token_bytes(16)
        self.sign_count = 0
        self._key = ec.generate_private_key(ec.SECP256R1())

    @property
    def cose_public_key(self) -> bytes:
        """The public key as a COSE_Key (RFC 9052/9053: kty EC2, alg ES256, crv P-256), CBOR-encoded: the
        fixed five-entry map a FIDO2 authenticator sends at registration."""
        numbers = self._key.public_key().public_numbers()
        x, y = numbers.x.to_bytes(32, "big"), numbers.y.to_bytes(32, "big")
        # {1: 2, 3: -7, -1: 1, -2: x, -3: y}
        return bytes([0xA5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20]) + x + bytes([0x22, 0x58, 0x20]) + y

    @property
    def private_key_pkcs8(self) -> str:
        """For Chromium's ``WebAuthn.addCredential``: the private key, PKCS#8 DER, base64."""
        der = self._key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return b64(der)

    def virtual_credential(self) -> dict[str, Any]:
        """The ``credential`` of CDP's ``WebAuthn.addCredential`` for this passkey."""
        return {
            "credentialId": b64(self.credential_id),
            "isResidentCredential": True,
            "rpId": self.rp_id,
            "privateKey": self.private_key_pkcs8,
            "userHandle": b64(self.user_handle),
            "signCount": self.sign_count,
        }

    def assertion(self, options: Mapping[str, Any] | str, origin: str, *, user_verified: bool = True) -> str:
        """The answer to ``navigator.credentials.get(options)`` on a page of ``origin``, as the JSON string Ping's
        sample posts to ``assertion.check`` (standard base64 fields)."""
        if isinstance(options, str):
            options = json.loads(options)
        assert isinstance(options, Mapping)
        client_data = json.dumps(
            {
                "type": "webauthn.get",
                "challenge": b64url(bytes_of(options["challenge"])),
                "origin": origin,
                "crossOrigin": False,
            },
            separators=(",", ":"),
        ).encode()
        self.sign_count += 1
        flags = FLAG_USER_PRESENT | (FLAG_USER_VERIFIED if user_verified else 0)
        rp_id = str(options.get("rpId") or self.rp_id)
        authenticator_data = (
            hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + self.sign_count.to_bytes(4, "big")
        )
        signature = self._key.sign(authenticator_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return json.dumps(
            {
                "id": b64url(self.credential_id),
                "rawId": b64(self.credential_id),
                "type": "public-key",
                "response": {
                    "clientDataJSON": b64(client_data),
                    "authenticatorData": b64(authenticator_data),
                    "signature": b64(signature),
                    "userHandle": b64(self.user_handle),
                },
            }
        )
