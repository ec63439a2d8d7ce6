"""A panelist's ballot: what they answered, sealed under BALLOT_KEY while the round is open (SPEC 5).

The ballot box keeps each panelist's answers on the person side, next to
their membership, until the round closes and is counted. This module is the
sealing, and nothing else: no database, no Django beyond the key in settings.

- Authenticated encryption (AES-256-GCM, from the `cryptography` package).
  The key is derived from BALLOT_KEY with HKDF, so any long random string
  serves. The associated data names the round and the membership, so a
  sealed ballot moved to another row does not open.
- Every ballot of a round has the same length. The plaintext is padded to
  the round's ballot size, a power of two of at least MIN_SIZE bytes; when a
  ballot needs more, every ballot of the round is sealed again at the larger
  size (surveys.services.voting). A copy of the database therefore shows no
  ballot longer than another, so the length of a comment cannot point from a
  ballot to the answer it became.
"""

import functools
import json
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

# The longest comment a panelist may write, in characters as the browser
# counts them (surveys.forms.fields.TextAreaField); the code points Python
# and the database count, which the voting service checks, are never more.
COMMENT_MAX_LENGTH = 2000
# Bytes of padded plaintext every ballot of a round has at least.
MIN_SIZE = 4096

_FORMAT = 1
_NONCE_BYTES = 12
_LENGTH_BYTES = 4


@dataclass(frozen=True)
class AnswerInput:
    """One item's answer, as the voting form cleans it and a ballot holds it.

    A Likert "no answer" is an AnswerInput with no rating: the panelist did
    see the item and chose to leave it blank, which analysis counts as blank.
    `options` holds (option id, rank) pairs; rank is None except in rankings.
    """

    item_id: int
    rating: int | None = None
    text: str = ""
    options: tuple[tuple[int, int | None], ...] = ()


class BallotUnreadable(Exception):
    """A sealed ballot that this key cannot open: another key, another row, or altered bytes."""


@functools.lru_cache(maxsize=4)
def _cipher(key: str) -> AESGCM:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"delphi ballot v1").derive(key.encode())
    return AESGCM(derived)


def _associated(round_id: int, membership_id: int) -> bytes:
    return f"ballot:{round_id}:{membership_id}".encode()


def _encode(answers: list[AnswerInput]) -> bytes:
    rows = [[a.item_id, a.rating, a.text, [list(option) for option in a.options]] for a in answers]
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode()


def _decode(raw: bytes) -> list[AnswerInput]:
    return [
        AnswerInput(item_id=item_id, rating=rating, text=text, options=tuple((o, r) for o, r in options))
        for item_id, rating, text, options in json.loads(raw)
    ]


def size_for(answers: list[AnswerInput]) -> int:
    """The smallest ballot size (a power of two, at least MIN_SIZE) that holds these answers."""
    return _padded_size(len(_encode(answers)))


def _seal_padded(plain: bytes, *, associated: bytes, size: int, key: str | None) -> bytes:
    if _LENGTH_BYTES + len(plain) > size:
        raise ValueError(f"{len(plain)} bytes of answers do not fit a ballot of {size}")
    body = len(plain).to_bytes(_LENGTH_BYTES, "big") + plain + bytes(size - _LENGTH_BYTES - len(plain))
    nonce = os.urandom(_NONCE_BYTES)
    cipher = _cipher(key or settings.BALLOT_KEY)
    return bytes([_FORMAT]) + nonce + cipher.encrypt(nonce, body, associated)


def _unseal_padded(sealed: bytes, *, associated: bytes, key: str | None) -> bytes:
    sealed = bytes(sealed)
    if len(sealed) < 1 + _NONCE_BYTES or sealed[0] != _FORMAT:
        raise BallotUnreadable("not a sealed ballot")
    nonce, ciphertext = sealed[1 : 1 + _NONCE_BYTES], sealed[1 + _NONCE_BYTES :]
    try:
        body = _cipher(key or settings.BALLOT_KEY).decrypt(nonce, ciphertext, associated)
    except InvalidTag:
        raise BallotUnreadable("the ballot does not open under this key for this round and membership") from None
    length = int.from_bytes(body[:_LENGTH_BYTES], "big")
    return body[_LENGTH_BYTES : _LENGTH_BYTES + length]


def _padded_size(length: int) -> int:
    size = MIN_SIZE
    while size < _LENGTH_BYTES + length:
        size *= 2
    return size


def seal(*, answers: list[AnswerInput], round_id: int, membership_id: int, size: int, key: str | None = None) -> bytes:
    """The answers encrypted for this round and membership, padded to `size` bytes of plaintext."""
    return _seal_padded(_encode(answers), associated=_associated(round_id, membership_id), size=size, key=key)


def unseal(*, sealed: bytes, round_id: int, membership_id: int, key: str | None = None) -> list[AnswerInput]:
    """The answers of a sealed ballot; BallotUnreadable if this key, round and membership do not open it."""
    return _decode(_unseal_padded(sealed, associated=_associated(round_id, membership_id), key=key))


def seal_input(*, fields: dict[str, list[str]], page: str) -> bytes:
    """A voting form's fields, as typed, sealed for its page: a vote that could not be written yet.

    An expired session's vote waits sealed in the session until its
    panelist signs in again (surveys.pending): the session table names the
    person once they do, so the answers never lie next to them in the clear,
    and the padding to a power of two keeps their length to itself.
    """
    plain = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()
    return _seal_padded(plain, associated=f"input:{page}".encode(), size=_padded_size(len(plain)), key=None)


def unseal_input(*, sealed: bytes, page: str) -> dict[str, list[str]]:
    """The fields seal_input sealed; BallotUnreadable under another key or for another page."""
    return json.loads(_unseal_padded(sealed, associated=f"input:{page}".encode(), key=None))
