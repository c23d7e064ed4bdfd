"""JWS for the stand-in: its RSA signing keys, and reading the JWTs that clients send it.

Verification is written out here rather than left to PyJWT so that any input, however mangled, ends in
``InvalidJWT`` instead of a crash, and so that short client secrets (``demo-secret``) do not raise PyJWT's
key-length warning inside the server thread, where a test run's "warnings are errors" filter would turn
it into a failed request.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

HMAC_ALGORITHMS: dict[str, Callable[[], Any]] = {
    "HS256": hashlib.sha256,
    "HS384": hashlib.sha384,
    "HS512": hashlib.sha512,
}
RSA_ALGORITHMS: dict[str, type[hashes.HashAlgorithm]] = {
    "RS256": hashes.SHA256,
    "RS384": hashes.SHA384,
    "RS512": hashes.SHA512,
}
# ES*: the hash and the curve (RFC 7518 §3.4). PingOne accepts them for private_key_jwt client assertions.
EC_ALGORITHMS: dict[str, tuple[type[hashes.HashAlgorithm], str]] = {
    "ES256": (hashes.SHA256, "P-256"),
    "ES384": (hashes.SHA384, "P-384"),
    "ES512": (hashes.SHA512, "P-521"),
}
_CURVES: dict[str, ec.EllipticCurve] = {"P-256": ec.SECP256R1(), "P-384": ec.SECP384R1(), "P-521": ec.SECP521R1()}

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_MAX_JWT_LENGTH = 64 * 1024


class InvalidJWT(Exception):
    """A JWT that cannot be read or whose signature or claims are wrong; the message is safe to show."""


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    if not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise InvalidJWT("not base64url")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidJWT("not base64url") from exc


def _json_object(segment: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(b64url_decode(segment))
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise InvalidJWT(f"the JWT {what} is not JSON") from exc
    if not isinstance(value, dict):
        raise InvalidJWT(f"the JWT {what} is not a JSON object")
    return value


@dataclass(frozen=True)
class ParsedJWS:
    """A compact JWS split into its parts; nothing in it is trusted until a ``verify_*`` call says so."""

    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes

    @property
    def alg(self) -> str:
        alg = self.header.get("alg")
        return alg if isinstance(alg, str) else ""


def parse_jws(token: str) -> ParsedJWS:
    if len(token) > _MAX_JWT_LENGTH:
        raise InvalidJWT("the JWT is too long")
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidJWT("not a signed JWT (expected three dot-separated parts)")
    header = _json_object(parts[0], "header")
    claims = _json_object(parts[1], "payload")
    signature = b64url_decode(parts[2])
    if not isinstance(header.get("alg"), str):
        raise InvalidJWT("the JWT header has no alg")
    if header.get("crit") is not None:
        raise InvalidJWT("the JWT header has critical extensions this server does not understand")
    return ParsedJWS(header, claims, f"{parts[0]}.{parts[1]}".encode("ascii"), signature)


def verify_hmac(parsed: ParsedJWS, secret: str) -> None:
    digest = HMAC_ALGORITHMS.get(parsed.alg)
    if digest is None:
        raise InvalidJWT(f"alg {parsed.alg!r} is not an HMAC algorithm")
    expected = hmac.new(secret.encode("utf-8"), parsed.signing_input, digest).digest()
    if not hmac.compare_digest(expected, parsed.signature):
        raise InvalidJWT("the JWT signature does not verify")


def verify_rsa(parsed: ParsedJWS, public_key: rsa.RSAPublicKey) -> None:
    hash_type = RSA_ALGORITHMS.get(parsed.alg)
    if hash_type is None:
        raise InvalidJWT(f"alg {parsed.alg!r} is not an RSA algorithm")
    try:
        public_key.verify(parsed.signature, parsed.signing_input, padding.PKCS1v15(), hash_type())
    except InvalidSignature as exc:
        raise InvalidJWT("the JWT signature does not verify") from exc


def verify_ec(parsed: ParsedJWS, public_key: ec.EllipticCurvePublicKey) -> None:
    """An ES* signature (RFC 7518 §3.4: R and S, each the curve's size, concatenated)."""
    known = EC_ALGORITHMS.get(parsed.alg)
    if known is None:
        raise InvalidJWT(f"alg {parsed.alg!r} is not an EC algorithm")
    hash_type, curve = known
    if public_key.curve.name != _CURVES[curve].name:
        raise InvalidJWT(f"alg {parsed.alg!r} does not fit the key's curve")
    size = (public_key.curve.key_size + 7) // 8
    if len(parsed.signature) != 2 * size:
        raise InvalidJWT("the JWT signature does not verify")
    r = int.from_bytes(parsed.signature[:size], "big")
    s = int.from_bytes(parsed.signature[size:], "big")
    try:
        public_key.verify(encode_dss_signature(r, s), parsed.signing_input, ec.ECDSA(hash_type()))
    except InvalidSignature as exc:
        raise InvalidJWT("the JWT signature does not verify") from exc


def load_ec_public_jwk(jwk: Mapping[str, Any]) -> ec.EllipticCurvePublicKey:
    """The EC public key in a JWK (P-256, P-384, P-521); raises ``ValueError`` for anything else."""
    curve = _CURVES.get(str(jwk.get("crv")))
    if jwk.get("kty") != "EC" or curve is None:
        raise ValueError("the JWK is not an EC key on P-256, P-384 or P-521")
    numbers = ec.EllipticCurvePublicNumbers(_b64url_uint(jwk.get("x"), "x"), _b64url_uint(jwk.get("y"), "y"), curve)
    return numbers.public_key()


def load_public_jwk(jwk: Mapping[str, Any]) -> rsa.RSAPublicKey | ec.EllipticCurvePublicKey:
    """The RSA or EC public key in a JWK; raises ``ValueError`` for anything else."""
    return load_ec_public_jwk(jwk) if jwk.get("kty") == "EC" else load_rsa_public_jwk(jwk)


def _b64url_uint(text: object, name: str) -> int:
    if not isinstance(text, str) or not text:
        raise ValueError(f"the JWK has no {name}")
    try:
        return int.from_bytes(b64url_decode(text), "big")
    except InvalidJWT as exc:
        raise ValueError(f"the JWK {name} is not base64url") from exc


def load_rsa_public_jwk(jwk: Mapping[str, Any]) -> rsa.RSAPublicKey:
    """The RSA public key in a JWK; raises ``ValueError`` for anything else."""
    if jwk.get("kty") != "RSA":
        raise ValueError("the JWK is not an RSA key")
    numbers = rsa.RSAPublicNumbers(_b64url_uint(jwk.get("e"), "e"), _b64url_uint(jwk.get("n"), "n"))
    return numbers.public_key()


def _uint_b64url(value: int) -> str:
    return b64url_encode(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def rsa_public_jwk(public_key: rsa.RSAPublicKey) -> dict[str, str]:
    numbers = public_key.public_numbers()
    return {"kty": "RSA", "n": _uint_b64url(numbers.n), "e": _uint_b64url(numbers.e)}


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 thumbprint of an RSA JWK, used as the ``kid``."""
    canonical = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"), sort_keys=True)
    return b64url_encode(hashlib.sha256(canonical.encode("ascii")).digest())


@dataclass(frozen=True)
class SigningKey:
    """One of the stand-in's RS256 signing keys."""

    private_key: rsa.RSAPrivateKey
    kid: str

    @classmethod
    def generate(cls) -> SigningKey:
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return cls(private_key, jwk_thumbprint(rsa_public_jwk(private_key.public_key())))

    def public_jwk(self) -> dict[str, str]:
        return {**rsa_public_jwk(self.private_key.public_key()), "kid": self.kid, "use": "sig", "alg": "RS256"}

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": self.kid})

    def verify(self, parsed: ParsedJWS) -> None:
        if parsed.alg != "RS256":
            raise InvalidJWT("not signed RS256")
        verify_rsa(parsed, self.private_key.public_key())


# RSA key generation costs tens of milliseconds; a test run that starts many stand-ins, or rotates keys in
# many tests, reuses the same few keys: key 0 is every stand-in's first key, key 1 the first rotation, ...
_key_pool: list[SigningKey] = []
_key_pool_lock = threading.Lock()


def pooled_signing_key(index: int) -> SigningKey:
    with _key_pool_lock:
        while len(_key_pool) <= index:
            _key_pool.append(SigningKey.generate())
        return _key_pool[index]


def half_hash(value: str) -> str:
    """``at_hash``: the left half of the SHA-256 of the token, base64url (OIDC Core 3.1.3.6)."""
    digest = hashlib.sha256(value.encode("ascii")).digest()
    return b64url_encode(digest[: len(digest) // 2])


def s256(verifier: str) -> str:
    """PKCE S256 code challenge of a code verifier (RFC 7636 4.2)."""
    return b64url_encode(hashlib.sha256(verifier.encode("ascii")).digest())
