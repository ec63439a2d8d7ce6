"""The keyed link from a person to their pseudonym, and the choice of pseudonym labels (SPEC 5).

Nothing here touches the database: callers bring what it needs.
"""

import base64
import hashlib
import hmac
import itertools
import secrets
from collections.abc import Collection

from django.conf import settings


def participant_link_hash(*, study_id: int, user_id: int) -> str:
    """The keyed hash that links a user to their pseudonym in one study.

    The key is in settings (the environment), not the database, so the
    database alone cannot say whose answers are whose.
    """
    message = f"participant:{study_id}:{user_id}".encode()
    return hmac.new(settings.PARTICIPANT_LINK_KEY.encode(), message, hashlib.sha256).hexdigest()


def free_labels(*, taken: Collection[str], count: int) -> list[str]:
    """The first `count` labels P01, P02 ... not in `taken`.

    Imported answer files may bring labels out of sequence (P07 alone, or
    "A3"), so the labels are checked, not counted.
    """
    labels = (f"P{number:02d}" for number in itertools.count(1))
    return list(itertools.islice((label for label in labels if label not in taken), count))


IMPORTED_PREFIX = "X"


def imported_label(*, study_id: int, identity: str | None) -> str:
    """The pseudonym of a respondent of another tool's export, from what identifies them there.

    The same email, name or record id gives the same label in every import
    into the study, so that rounds imported one by one line up; without the
    key the label says nothing of the identity, which is never stored. With
    no identity the label is random: a one-round pseudonym.
    """
    if identity is None:
        digest = secrets.token_bytes(10)
    else:
        message = f"import:{study_id}:{identity}".encode()
        digest = hmac.new(settings.PARTICIPANT_LINK_KEY.encode(), message, hashlib.sha256).digest()
    return IMPORTED_PREFIX + base64.b32encode(digest[:10]).decode().lower()
