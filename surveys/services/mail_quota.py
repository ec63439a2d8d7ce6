"""How much mail a study and a facilitator may still send: the ceiling that keeps the platform from being a relay.

The limits are settings (MAIL_LIMIT_PER_STUDY, MAIL_LIMIT_PER_FACILITATOR)
over any 24 hours, counting one mail per address.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _

from surveys.models import Study
from surveys.selectors.facilitator import mail_sent
from surveys.services import ServiceError

WINDOW = timedelta(hours=24)


def mail_quota_check(*, study: Study, by, count: int, field: str | None = None) -> None:
    """Refuses `count` more mails when they would take the study or the facilitator past a limit.

    The caller holds the study's row lock; the facilitator's is taken here,
    so that two of their studies mailing at once cannot both pass their limit.
    """
    if by is not None:
        get_user_model().objects.select_for_update().filter(pk=by.pk).first()
    by_study, by_facilitator = mail_sent(since=timezone.now() - WINDOW, study=study, by=by)
    refusals = [
        (by_study, settings.MAIL_LIMIT_PER_STUDY, _("This study")),
        (by_facilitator if by is not None else 0, settings.MAIL_LIMIT_PER_FACILITATOR, _("You")),
    ]
    for sent, limit, who in refusals:
        if sent + count > limit:
            raise ServiceError(
                _(
                    "Nothing was sent: %(who)s may send %(limit)s mails in 24 hours; %(sent)s have gone, "
                    "and this is %(count)s more. Send fewer, try again later, or ask the platform's "
                    "operator to raise the limit."
                )
                % {"who": who, "limit": f"{limit:,}", "sent": f"{sent:,}", "count": f"{count:,}"},
                field=field,
            )
