"""Ed25519 keys for the clinic's signed envelopes (:mod:`therapy.signing`), on PyNaCl.

PyNaCl (PyCA's binding of libsodium) instead of ``cryptography``: the kiosk only verifies
and the clinic only signs raw 32-byte Ed25519 keys, which is all libsodium's signing API
is, and it costs the kiosk 0.9 MB resident where ``cryptography``'s bundled OpenSSL cost
8.1 MB (both measured loading, signing and verifying once after ``ssl``), inside a camera
set's memory budget. The two classes keep the names and methods the code used with
``cryptography`` (``generate``, ``from_private_bytes``, ``public_key``, ``sign``,
``verify``), so a signature is still 64 bytes over the exact body bytes and keys written by
earlier versions load unchanged.
"""

from __future__ import annotations

import nacl.exceptions
import nacl.signing

RAW_BYTES = 32
SIGNATURE_BYTES = 64


class InvalidSignature(Exception):
    """The signature does not match the data under this key."""


class Ed25519PublicKey:
    """A verifying key."""

    __slots__ = ("_key",)

    def __init__(self, key: nacl.signing.VerifyKey) -> None:
        self._key = key

    @classmethod
    def from_public_bytes(cls, raw: bytes) -> Ed25519PublicKey:
        return cls(nacl.signing.VerifyKey(_raw(raw, "public")))

    def public_bytes_raw(self) -> bytes:
        return bytes(self._key)

    def verify(self, signature: bytes, data: bytes) -> None:
        """None when ``signature`` is this key's over ``data``; InvalidSignature otherwise."""
        if len(signature) != SIGNATURE_BYTES:
            raise InvalidSignature(f"a signature is {SIGNATURE_BYTES} bytes, "
                                   f"not {len(signature)}")
        try:
            self._key.verify(data, signature)
        except nacl.exceptions.BadSignatureError as exc:
            raise InvalidSignature("signature does not match") from exc

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ed25519PublicKey) and \
            self.public_bytes_raw() == other.public_bytes_raw()

    def __hash__(self) -> int:
        return hash(self.public_bytes_raw())


class Ed25519PrivateKey:
    """A signing key (its 32-byte seed)."""

    __slots__ = ("_key",)

    def __init__(self, key: nacl.signing.SigningKey) -> None:
        self._key = key

    @classmethod
    def generate(cls) -> Ed25519PrivateKey:
        return cls(nacl.signing.SigningKey.generate())

    @classmethod
    def from_private_bytes(cls, raw: bytes) -> Ed25519PrivateKey:
        return cls(nacl.signing.SigningKey(_raw(raw, "private")))

    def private_bytes_raw(self) -> bytes:
        return bytes(self._key)

    def public_key(self) -> Ed25519PublicKey:
        return Ed25519PublicKey(self._key.verify_key)

    def sign(self, data: bytes) -> bytes:
        """The 64-byte signature of ``data`` (deterministic: the same data, the same bytes)."""
        return self._key.sign(data).signature

    def __repr__(self) -> str:
        return "Ed25519PrivateKey(<secret>)"


def _raw(raw: bytes, what: str) -> bytes:
    if not isinstance(raw, bytes) or len(raw) != RAW_BYTES:
        raise ValueError(f"an Ed25519 {what} key is {RAW_BYTES} raw bytes, "
                         f"not {len(raw) if isinstance(raw, bytes) else type(raw).__name__}")
    return raw
