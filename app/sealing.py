"""Small secrets the line must keep for minutes outside the database (a number a caller keyed in
during a call, a one-time code until it is sent): sealed with AES-GCM under a key derived from
``SECRET_KEY`` with HKDF-SHA256, one key per purpose, as recordings are
(``app/services/recordings.py``). Each seal is bound to what it belongs to (a CallSid, a number's
hash), so a value copied to another call or number does not open. Redis alone, a dump of it or
a replica, reads nothing."""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_NONCE = 12


def _key(secret: str, purpose: str) -> bytes:
    info = f"phoneline {purpose} v1".encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret.encode())


def seal(secret: str, purpose: str, bound: str, text: str) -> str:
    nonce = os.urandom(_NONCE)
    sealed = AESGCM(_key(secret, purpose)).encrypt(nonce, text.encode(), bound.encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def unseal(secret: str, purpose: str, bound: str, token: str | None) -> str | None:
    """The text, or None when there is none or it does not open (another key, another binding,
    a value altered in Redis)."""
    if not token:
        return None
    try:
        raw = base64.urlsafe_b64decode(token.encode("ascii"))
        opened = AESGCM(_key(secret, purpose)).decrypt(raw[:_NONCE], raw[_NONCE:], bound.encode())
    except (InvalidTag, ValueError, binascii.Error):
        return None
    return opened.decode()
