"""The signed envelopes' keys on PyNaCl (therapy/ed25519.py): RFC 8032's vector, keys and
signatures of the earlier ``cryptography`` build interchangeable, refusals named."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519 as pyca

from therapy.ed25519 import Ed25519PrivateKey, Ed25519PublicKey, InvalidSignature
from therapy.errors import PlanError
from therapy.signing import private_key_from_b64, private_key_to_b64, public_key_from_b64

# RFC 8032, section 7.1, TEST 1 (the empty message)
SECRET = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
SIGNATURE = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e3970"
    "1cf9b46bd25bf5f0595bbe24655141438e7a100b")


def test_rfc8032_vector() -> None:
    key = Ed25519PrivateKey.from_private_bytes(SECRET)
    assert key.public_key().public_bytes_raw() == PUBLIC
    assert key.sign(b"") == SIGNATURE
    Ed25519PublicKey.from_public_bytes(PUBLIC).verify(SIGNATURE, b"")


def test_keys_and_signatures_of_the_cryptography_build_are_interchangeable() -> None:
    old = pyca.Ed25519PrivateKey.generate()
    written = base64.b64encode(old.private_bytes_raw()).decode()  # as keygen wrote it
    key = private_key_from_b64(written)
    assert private_key_to_b64(key) == written
    body = "{\"kind\": \"plan\"}".encode()
    assert key.sign(body) == old.sign(body)  # deterministic: the same 64 bytes
    old.public_key().verify(key.sign(body), body)
    pub = public_key_from_b64(base64.b64encode(old.public_key().public_bytes_raw()).decode())
    pub.verify(old.sign(body), body)
    assert pub == key.public_key()


def test_a_wrong_signature_or_key_is_refused_by_name() -> None:
    key = Ed25519PrivateKey.from_private_bytes(SECRET)
    pub = key.public_key()
    sig = key.sign(b"plan v2")
    with pytest.raises(InvalidSignature):
        pub.verify(sig, b"plan v3")
    with pytest.raises(InvalidSignature):
        pub.verify(sig[:-1], b"plan v2")
    with pytest.raises(InvalidSignature):
        Ed25519PrivateKey.generate().public_key().verify(sig, b"plan v2")
    with pytest.raises(PlanError, match="32 raw bytes"):
        public_key_from_b64(base64.b64encode(PUBLIC[:31]).decode())
    with pytest.raises(PlanError, match="base64"):
        private_key_from_b64("not base64!")
    assert "9d61" not in repr(key)
