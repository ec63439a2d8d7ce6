"""Taking a person out of a study."""

from django.db import transaction
from django.utils.translation import gettext as _

from surveys.models import AuditEvent, Ballot, Membership
from surveys.services import ServiceError
from surveys.services.audit import audit_record


@transaction.atomic
def membership_remove(*, membership: Membership, by=None) -> int:
    """Takes the person out of the study; what they gave the panel stays, under their pseudonym.

    Goes: the membership, its invitations, and its draft ballots. Stays:
    every answer counted at a round's close, under the pseudonym it was
    counted under. A panelist who has submitted a round whose results are
    not released yet is refused: that ballot is what the round counts (again,
    if it reopens), and taking it out would drop one pseudonym from tables
    the facilitator has seen, saying which was theirs. The link from the
    person to their pseudonym is a keyed hash on the pseudonym's row; it is
    left as it is, because clearing it would mark that pseudonym as the
    removed person's for anyone comparing two backups. An account the
    invitation made, never used and in no other study, goes too. The history
    records the removal. Returns how many draft ballots went.
    """
    membership = Membership.objects.select_for_update().select_related("study", "user").get(pk=membership.pk)
    study, user = membership.study, membership.user
    facilitators = Membership.objects.active().filter(study=study, role=Membership.Role.FACILITATOR)
    if membership.role == Membership.Role.FACILITATOR and not facilitators.exclude(pk=membership.pk).exists():
        raise ServiceError(_("A study needs a facilitator: invite another before removing the last one."))
    submitted = (
        Ballot.objects.filter(membership=membership, status=Ballot.Status.SUBMITTED)
        .order_by("round__number")
        .values_list("round__number", flat=True)
        .first()
    )
    if submitted is not None:
        raise ServiceError(
            _(
                "%(name)s has submitted round %(number)s, whose results are not released yet: the round counts "
                "that ballot, and taking it out would show which pseudonym was theirs. Remove them once round "
                "%(number)s's results are released."
            )
            % {"name": user.get_username(), "number": submitted}
        )
    drafts = Ballot.objects.filter(membership=membership).delete()[0]
    audit_record(
        study=study,
        by=by,
        action=AuditEvent.Action.REMOVE,
        summary=f"Removed {user.get_username()} ({membership.get_role_display().lower()})",
        detail={"user": user.get_username(), "role": membership.role, "had_joined": membership.is_active},
    )
    membership.delete()
    if not user.has_usable_password() and user.last_login is None and not user.memberships.exists():
        user.delete()
    return drafts
