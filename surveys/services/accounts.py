"""Password-reset requests: counted per address and per email, and mailed through the task queue."""

import unicodedata

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from surveys.models import PasswordResetRequest
from surveys.tasks import password_reset_mail


def _keyed_hash(kind: str, value: str) -> str:
    return salted_hmac(f"surveys.PasswordResetRequest.{kind}", value, algorithm="sha256").hexdigest()


def _counted_email(email: str) -> str:
    # As Django compares an email with the accounts' (PasswordResetForm.get_users):
    # a change of case or of Unicode form is the same email, and counts as one.
    return unicodedata.normalize("NFKC", email).casefold()


@transaction.atomic
def password_reset_request(*, email: str, address: str | None) -> bool:
    """Queues a reset link to every account of this email, unless the address or the email has asked too often.

    Within PASSWORD_RESET_WINDOW, an address may ask PASSWORD_RESET_ADDRESS_LIMIT
    times and an email be asked for PASSWORD_RESET_EMAIL_LIMIT times. Returns
    False over either limit, having recorded and sent nothing. Whether any
    account uses the email changes neither the count nor the answer, so
    neither tells a stranger who has an account. The queued task carries the
    accounts' ids only: the worker makes each token and link (surveys.tasks).
    """
    # Requests for one account's email wait for each other, so that requests
    # sent at once cannot all pass its limit (PostgreSQL's row locks).
    list(get_user_model().objects.select_for_update().filter(email__iexact=email).values_list("pk", flat=True))
    now = timezone.now()
    recent = PasswordResetRequest.objects.filter(requested_at__gt=now - settings.PASSWORD_RESET_WINDOW)
    address_hash = _keyed_hash("address", address or "")
    email_hash = _keyed_hash("email", _counted_email(email))
    if (
        recent.filter(address_hash=address_hash).count() >= settings.PASSWORD_RESET_ADDRESS_LIMIT
        or recent.filter(email_hash=email_hash).count() >= settings.PASSWORD_RESET_EMAIL_LIMIT
    ):
        return False
    PasswordResetRequest.objects.filter(requested_at__lte=now - settings.PASSWORD_RESET_WINDOW).delete()
    PasswordResetRequest.objects.create(address_hash=address_hash, email_hash=email_hash, requested_at=now)
    # Django's rule for who may get a link: active, with a usable password, that email.
    user_ids = [user.pk for user in PasswordResetForm().get_users(email)]
    # Queued for an unknown email too (with no ids): the request does the same work either way.
    transaction.on_commit(lambda: password_reset_mail.enqueue(user_ids=user_ids))
    return True
