"""Invitations: single-use links that make a person a member of a study, mailed through the task queue."""

from collections.abc import Mapping, Sequence
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from surveys.models import AuditEvent, Invitation, Membership, Study
from surveys.services import ServiceError
from surveys.services.audit import audit_event, audit_record
from surveys.services.mail_quota import mail_quota_check
from surveys.tasks import invitations_mail

# Messages per queued mail task: 500 invitations are five tasks, not 500.
MAIL_BATCH = 100


@transaction.atomic
def invitations_create(
    *,
    study: Study,
    emails: Sequence[str],
    names: Mapping[str, str] | None = None,
    role: str = Membership.Role.PANELIST,
    by=None,
    valid_for: timedelta = Invitation.VALID_FOR,
) -> list[Invitation]:
    """Makes each person a member of the study, to join by accepting, and queues them a single-use link: everyone, or nobody.

    The membership opens nothing until the link is accepted (invitation_accept).
    A person without an account gets one with no usable password; the link
    lets them choose it, and keeps the name given with the address (`names`,
    by lower-cased address) as its first name. Inviting the same address again replaces the links
    still pending, so only the newest works. The queued tasks carry the
    invitations' ids; the task that sends each mail makes its token, and
    only the token's hash is ever stored (surveys.tasks). The queries do not
    grow with the list (a panel of 500 is one request). The study's and
    the facilitator's mail limits are checked first (services.mail_quota),
    with the study locked so that two requests cannot both pass them.
    """
    User = get_user_model()
    emails = list(dict.fromkeys(User.objects.normalize_email(e).strip() for e in emails))
    Study.objects.select_for_update().filter(pk=study.pk).first()
    mail_quota_check(study=study, by=by, count=len(emails), field="emails")
    wanted = {e.lower() for e in emails}
    users: dict[str, object] = {}
    for user in User.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=wanted).order_by("-pk"):
        users[user.email_lower] = user
    missing = [e for e in emails if e.lower() not in users]
    clashes = set(
        User.objects.annotate(name_lower=Lower("username"))
        .filter(name_lower__in=[e.lower() for e in missing])
        .values_list("name_lower", flat=True)
    )
    if clashes:
        raise ServiceError(
            _("Nobody was invited: an account named %(email)s exists with another address.")
            % {"email": sorted(clashes)[0]},
            field="emails",
        )
    names = names or {}
    fresh = [User(username=e, email=e, first_name=names.get(e.lower(), "")) for e in missing]
    for user in fresh:
        user.set_unusable_password()
    for user in User.objects.bulk_create(fresh):
        users[user.email.lower()] = user
    people = [users[e.lower()] for e in emails]

    memberships = {m.user_id: m for m in Membership.objects.filter(study=study, user__in=people)}
    for email, user in zip(emails, people):
        member = memberships.get(user.pk)
        if member is not None and member.is_active and member.role != role:
            raise ServiceError(
                _("Nobody was invited: %(email)s is already a %(role)s of this study.")
                % {"email": email, "role": member.get_role_display().lower()},
                field="emails",
            )
    # Someone who has not joined yet may be asked again in another role.
    Membership.objects.filter(pk__in=[m.pk for m in memberships.values() if not m.is_active]).update(role=role)
    # Inactive until the invitation is accepted: until then the membership opens nothing.
    created = Membership.objects.bulk_create(
        Membership(study=study, user=user, role=role, is_active=False) for user in people if user.pk not in memberships
    )
    memberships.update({m.user_id: m for m in created})

    now = timezone.now()
    Invitation.objects.filter(
        study=study, membership__in=list(memberships.values()), used_at=None, revoked_at=None
    ).update(revoked_at=now)
    invitations = Invitation.objects.bulk_create(
        Invitation(
            study=study,
            email=email,
            role=role,
            membership=memberships[user.pk],
            expires_at=now + valid_for,
            invited_by=by,
        )
        for email, user in zip(emails, people)
    )
    ids = [invitation.pk for invitation in invitations]
    for start in range(0, len(ids), MAIL_BATCH):
        batch = ids[start : start + MAIL_BATCH]
        transaction.on_commit(lambda batch=batch: invitations_mail.enqueue(invitation_ids=batch))
    role_label = Membership.Role(role).label.lower()
    AuditEvent.objects.bulk_create(
        audit_event(
            study=study,
            by=by,
            action=AuditEvent.Action.INVITE,
            summary=f"Invited {email} as {role_label}",
            detail={"email": email, "role": role},
        )
        for email in emails
    )
    return invitations


@transaction.atomic
def invitation_note_update(*, study: Study, note: str, by=None) -> Study:
    """Saves the facilitators' words that every invitation of the study carries from now on."""
    study = Study.objects.select_for_update().get(pk=study.pk)
    if note == study.invitation_note:
        return study
    study.invitation_note = note
    study.save(update_fields=["invitation_note", "modified"])
    audit_record(
        study=study,
        by=by,
        action=AuditEvent.Action.EDIT,
        summary="Changed the invitation's text",
        detail={"note": note},
    )
    return study


class InvitationUnusable(ServiceError):
    """The link is unknown, used, expired or revoked; `reason` says which."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def invitation_check(*, token: str) -> Invitation:
    """The invitation a token opens, or InvitationUnusable saying why it cannot be used."""
    invitation = (
        Invitation.objects.select_related("study", "membership__user")
        .filter(token_hash=Invitation.hash_of(token))
        .first()
    )
    if invitation is None:
        raise InvitationUnusable("unknown")
    if invitation.state != Invitation.State.PENDING:
        raise InvitationUnusable(invitation.state)
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, password: str | None = None, signed_in=None):
    """Uses up the link and returns the user it lets in.

    A person with no password yet chooses one here. A person who has one
    must be signed in as that person (the page asks for the password and
    signs in through django-axes, which counts wrong ones): the link alone
    lets nobody into an account, so a copy of a mailbox or a database is no
    way in.
    """
    invitation = invitation_check(token=token)
    # Lock, then check again: two clicks on one link must not both get in.
    invitation = Invitation.objects.select_for_update().select_related("membership__user").get(pk=invitation.pk)
    if invitation.state != Invitation.State.PENDING:
        raise InvitationUnusable(invitation.state)
    user = invitation.membership.user
    if not user.has_usable_password():
        if not password:
            raise ServiceError(_("Choose a password to finish joining."), field="new_password1")
        user.set_password(password)
        user.save(update_fields=["password"])
    elif signed_in is None or signed_in.pk != user.pk:
        raise ServiceError(
            _("Sign in as %(username)s to accept this invitation.") % {"username": user.get_username()},
            field="password",
        )
    invitation.used_at = timezone.now()
    invitation.save(update_fields=["used_at", "modified"])
    membership = invitation.membership
    if not membership.is_active:
        membership.is_active = True
        membership.save(update_fields=["is_active", "modified"])
        audit_record(
            study=invitation.study,
            by=user,
            action=AuditEvent.Action.JOIN,
            summary=f"{user.get_username()} joined as {membership.get_role_display().lower()}",
            detail={"user": user.get_username(), "role": membership.role},
        )
    return user


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, by=None) -> Invitation:
    """Stops a pending link from working. A person who had not joined yet is left with no access."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.state != Invitation.State.PENDING:
        raise ServiceError(_("This invitation is already %(state)s.") % {"state": invitation.state})
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at", "modified"])
    audit_record(
        study=invitation.study,
        by=by,
        action=AuditEvent.Action.REVOKE,
        summary=f"Revoked the invitation of {invitation.email}",
        detail={"email": invitation.email, "role": invitation.role},
    )
    return invitation
