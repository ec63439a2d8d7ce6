"""Writes to studies, rounds, items and participants. Every one is atomic."""

import hashlib
import hmac
import itertools
import secrets
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from surveys.models import (
    Answer,
    AnswerOption,
    AuditEvent,
    Invitation,
    Item,
    ItemLink,
    ItemOption,
    Membership,
    Participant,
    Round,
    RoundCompletion,
    Study,
    Submission,
)
from surveys.studyfile import StudyFileError, StudySpec
from surveys.tasks import email_send, emails_send
from vignettes.models import Option, Vignette


class ServiceError(Exception):
    """A request that the rules of the study refuse; the message is for the user."""


# -- participants (SPEC 5) ---------------------------------------------------


def participant_link_hash(*, study_id: int, user_id: int) -> str:
    """The keyed hash that links a user to their pseudonym in one study.

    The key is in settings (the environment), not the database, so the
    database alone cannot say whose answers are whose.
    """
    message = f"participant:{study_id}:{user_id}".encode()
    return hmac.new(settings.PARTICIPANT_LINK_KEY.encode(), message, hashlib.sha256).hexdigest()


def _next_labels(*, study: Study, count: int) -> list[str]:
    """The first `count` labels P01, P02 ... that no pseudonym of the study holds.

    Imported answer files may bring labels out of sequence (P07 alone, or
    "A3"), so the labels are checked, not counted.
    """
    taken = set(Participant.objects.filter(study=study).values_list("label", flat=True))
    labels = (f"P{number:02d}" for number in itertools.count(1))
    return list(itertools.islice((label for label in labels if label not in taken), count))


@transaction.atomic
def participants_assign(*, study: Study) -> int:
    """Gives every panelist of the study a pseudonym, in random order.

    Pseudonyms are numbered P01, P02 ... in a shuffled order of the panel, so
    neither the label nor the row order follows the order people joined.
    Returns how many were created.
    """
    user_ids = list(
        Membership.objects.filter(study=study, role=Membership.Role.PANELIST).values_list("user_id", flat=True)
    )
    existing = set(Participant.objects.filter(study=study).values_list("link_hash", flat=True))
    hashes = [
        link_hash
        for link_hash in (participant_link_hash(study_id=study.pk, user_id=uid) for uid in user_ids)
        if link_hash not in existing
    ]
    secrets.SystemRandom().shuffle(hashes)
    labels = _next_labels(study=study, count=len(hashes))
    Participant.objects.bulk_create(
        Participant(study=study, label=label, link_hash=link_hash) for label, link_hash in zip(labels, hashes)
    )
    return len(hashes)


@transaction.atomic
def participant_for(*, study: Study, user) -> Participant:
    """The pseudonym of `user` in `study`, created on first use."""
    link_hash = participant_link_hash(study_id=study.pk, user_id=user.pk)
    participant = Participant.objects.filter(study=study, link_hash=link_hash).first()
    if participant is None:
        # Lock the study row so that two first answers cannot take one label.
        Study.objects.select_for_update().get(pk=study.pk)
        (label,) = _next_labels(study=study, count=1)
        participant = Participant.objects.create(study=study, label=label, link_hash=link_hash)
    return participant


# -- studies -------------------------------------------------------------------


@transaction.atomic
def study_import(*, spec: StudySpec, by=None) -> Study:
    """Writes a checked study file: study, options, vignettes, and round 1.

    The statements become the Likert items of a first consensus round (a
    draft), with a not-recommended multi-select and an optional comment per
    vignette, as in the Mayo consensus questionnaire.
    """
    if Study.objects.filter(slug=spec.slug).exists():
        raise StudyFileError([f"{spec.source}: slug: a study {spec.slug!r} already exists"])
    study = Study.objects.create(
        slug=spec.slug,
        title=spec.title,
        description=spec.description,
        scale_min=spec.scale.min,
        scale_max=spec.scale.max,
        scale_neutral=spec.scale.neutral,
        consensus_rule=spec.rule,
        consensus_params=spec.rule_params,
        not_recommended_threshold=spec.not_recommended_threshold,
    )
    options = {
        option.code: option
        for option in Option.objects.bulk_create(
            Option(study=study, position=i, code=o.code, name=o.name, short=o.short, group=o.group)
            for i, o in enumerate(spec.options)
        )
    }
    vignettes = _vignettes_create(study=study, spec=spec)
    if spec.statements:
        _consensus_round_create(study=study, spec=spec, vignettes=vignettes, options=options)
    if by is not None:
        # Only a facilitator's import through the pages is their action; the
        # import_study command is the operator's and has no one to record.
        Membership.objects.create(study=study, user=by, role=Membership.Role.FACILITATOR)
        audit_record(
            study=study,
            by=by,
            action=AuditEvent.Action.CREATE,
            summary=f"Created the study from the study file {spec.source}",
            detail={"source": str(spec.source)},
        )
    return study


def _vignettes_create(*, study: Study, spec: StudySpec) -> dict[str, Vignette]:
    # Bases first, so that the variations can point at them.
    positions = {v.code: i for i, v in enumerate(spec.vignettes)}
    vignettes = {}
    for pass_bases in (True, False):
        batch = [
            Vignette(
                study=study,
                code=v.code,
                title=v.title,
                text=v.text,
                change=v.change,
                base=None if pass_bases else vignettes[v.base],
                position=positions[v.code],
            )
            for v in spec.vignettes
            if (v.base is None) == pass_bases
        ]
        vignettes.update((v.code, v) for v in Vignette.objects.bulk_create(batch))
    return vignettes


def _consensus_round_create(
    *, study: Study, spec: StudySpec, vignettes: dict[str, Vignette], options: dict[str, Option]
) -> Round:
    round_ = Round.objects.create(study=study, number=1, kind=Round.Kind.CONSENSUS)
    items, item_options = [], []
    by_vignette = {v.code: [s for s in spec.statements if s.vignette == v.code] for v in spec.vignettes}
    for v in spec.vignettes:
        statements = by_vignette[v.code]
        if not statements:
            continue
        vignette = vignettes[v.code]
        for s in statements:
            item = Item(
                round=round_,
                code=s.code,
                type=Item.Type.LIKERT,
                text=s.text,
                vignette=vignette,
                scale_min=spec.scale.min,
                scale_max=spec.scale.max,
            )
            items.append(item)
            item_options += [(item, options[code]) for code in s.options]
        not_recommended = Item(
            round=round_,
            code=f"{v.code}:not-recommended",
            type=Item.Type.NOT_RECOMMENDED,
            text="Which of these options would you not recommend for this patient?",
            vignette=vignette,
            required=False,
        )
        items.append(not_recommended)
        item_options += [(not_recommended, option) for option in options.values()]
        items.append(
            Item(
                round=round_,
                code=f"{v.code}:comment",
                type=Item.Type.COMMENT,
                text="Comments on your reasoning (optional, shown to the panel without your name).",
                vignette=vignette,
                required=False,
            )
        )
    for position, item in enumerate(items):
        item.position = position
    Item.objects.bulk_create(items)
    positions: dict[int, int] = {}
    links = []
    for item, option in item_options:
        positions[item.pk] = positions.get(item.pk, -1) + 1
        links.append(ItemOption(item=item, option=option, position=positions[item.pk]))
    ItemOption.objects.bulk_create(links)
    return round_


# -- rounds --------------------------------------------------------------------


@transaction.atomic
def round_open(*, round: Round, deadline: datetime | None = None, by=None) -> Round:
    """Opens a draft round for voting and gives the panel its pseudonyms.

    A closed round may open again (closed by mistake, or to let late votes
    in) until its results are released to the panel.
    """
    round = Round.objects.select_for_update().get(pk=round.pk)
    if round.status == Round.Status.OPEN:
        raise ServiceError(f"Round {round.number} is already open.")
    if round.results_released_at is not None:
        raise ServiceError(f"Round {round.number}'s results are released; it cannot open again.")
    if not round.items.exists():
        raise ServiceError(f"Round {round.number} has no items yet.")
    if deadline is not None and deadline <= timezone.now():
        raise ServiceError("The deadline must lie in the future.")
    reopened = round.status == Round.Status.CLOSED
    round.status = Round.Status.OPEN
    round.opened_at = round.opened_at if reopened else timezone.now()
    round.closed_at = None
    round.deadline = deadline
    round.save(update_fields=["status", "opened_at", "closed_at", "deadline"])
    participants_assign(study=round.study)
    audit_record(
        study=round.study,
        by=by,
        action=AuditEvent.Action.OPEN,
        summary=f"{'Reopened' if reopened else 'Opened'} round {round.number}"
        + (f" until {_moment(deadline)}" if deadline else ", no deadline"),
        detail={"round": round.number, "deadline": deadline.isoformat() if deadline else None},
    )
    return round


# -- answers (SPEC 5: written only against the pseudonym) ---------------------


@dataclass(frozen=True)
class AnswerInput:
    """One item's answer as the voting form cleaned it.

    A Likert "no answer" is an AnswerInput with no rating: the panelist did
    see the item and chose to leave it blank, which analysis counts as blank.
    `options` holds (option id, rank) pairs; rank is None except in rankings.
    """

    item_id: int
    rating: int | None = None
    text: str = ""
    options: tuple[tuple[int, int | None], ...] = ()


def _round_for_writing(*, round: Round, membership: Membership) -> Round:
    # The row lock makes a close that races this write wait for it, or win.
    round = Round.objects.select_for_update().select_related("study").get(pk=round.pk)
    if membership.study_id != round.study_id or membership.role != Membership.Role.PANELIST:
        raise ServiceError(_("Only the panel of this study can answer its rounds."))
    if not round.accepts_answers():
        raise ServiceError(_("This round is closed; your answers were not saved."))
    return round


def _answers_write(*, round: Round, participant: Participant, answers: list[AnswerInput]) -> None:
    """Replaces the participant's answers in the round, in a constant number of queries."""
    items: dict[int, dict] = {}
    # One row per item and option (a LEFT JOIN), so one query gives what to check.
    for pk, type_, scale_min, scale_max, option_id in Item.objects.filter(round=round).values_list(
        "pk", "type", "scale_min", "scale_max", "item_options__option_id"
    ):
        item = items.setdefault(pk, {"scale": _item_scale(type_, scale_min, scale_max), "options": set()})
        if option_id is not None:
            item["options"].add(option_id)
    for answer in answers:
        item = items.get(answer.item_id)
        if item is None:
            raise ServiceError(_("An answer names an item that is not part of this round."))
        if any(option_id not in item["options"] for option_id, _rank in answer.options):
            raise ServiceError(_("An answer names an option that this item does not offer."))
        if answer.rating is not None and not (item["scale"] and item["scale"][0] <= answer.rating <= item["scale"][1]):
            raise ServiceError(_("A rating lies outside the item's scale."))

    today = timezone.localdate()
    rows = [
        Answer(
            participant=participant,
            item_id=answer.item_id,
            rating=answer.rating,
            scale_min=scale[0] if (scale := items[answer.item_id]["scale"]) else None,
            scale_max=scale[1] if scale else None,
            text=answer.text,
            answered_on=today,
        )
        for answer in answers
    ]
    mine = Answer.objects.filter(participant=participant, item__round=round)
    AnswerOption.objects.filter(answer__in=mine).delete()
    # With their options gone these rows have nothing to cascade to, so a
    # single DELETE is safe; delete() would first SELECT them and then
    # delete in batches of 100, which makes the query count grow.
    stale = mine.exclude(item_id__in=[answer.item_id for answer in answers])
    stale._raw_delete(stale.db)
    Answer.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["participant", "item"],
        update_fields=["rating", "scale_min", "scale_max", "text", "answered_on"],
    )
    # An upsert does not return the ids of the rows it updated on every backend.
    answer_ids = dict(mine.values_list("item_id", "pk"))
    AnswerOption.objects.bulk_create(
        AnswerOption(answer_id=answer_ids[answer.item_id], option_id=option_id, rank=rank)
        for answer in answers
        for option_id, rank in answer.options
    )


def _item_scale(type_: str, scale_min: int | None, scale_max: int | None) -> tuple[int, int] | None:
    """The scale an answer copies, so the database can check its rating (the 4-point one is 1..4)."""
    if type_ == Item.Type.CATEGORICAL:
        return (1, len(Item.CATEGORICAL_LABELS))
    if type_ == Item.Type.LIKERT:
        return (scale_min, scale_max)
    return None


@transaction.atomic
def answers_save(*, round: Round, membership: Membership, answers: list[AnswerInput]) -> None:
    """Keeps a draft: the answers so far, with no Submission.

    A panelist who has already submitted stays submitted: a draft never
    takes them out of the panel whose answers count.
    """
    round = _round_for_writing(round=round, membership=membership)
    participant = participant_for(study=round.study, user=membership.user)
    _answers_write(round=round, participant=participant, answers=answers)
    RoundCompletion.objects.bulk_create(
        [RoundCompletion(round=round, membership=membership, status=RoundCompletion.Status.DRAFT)],
        update_conflicts=True,
        unique_fields=["round", "membership"],
        update_fields=["updated_on"],
    )


@transaction.atomic
def answers_submit(*, round: Round, membership: Membership, answers: list[AnswerInput]) -> None:
    """Writes the answers and marks the round submitted, for the membership and the pseudonym.

    Checking that every required item is answered is the form's job; this
    service refuses only what no form could let through.
    """
    round = _round_for_writing(round=round, membership=membership)
    participant = participant_for(study=round.study, user=membership.user)
    _answers_write(round=round, participant=participant, answers=answers)
    today = timezone.localdate()
    RoundCompletion.objects.bulk_create(
        [RoundCompletion(round=round, membership=membership, status=RoundCompletion.Status.SUBMITTED)],
        update_conflicts=True,
        unique_fields=["round", "membership"],
        update_fields=["status", "updated_on"],
    )
    Submission.objects.bulk_create(
        [Submission(round=round, participant=participant, submitted_on=today)], ignore_conflicts=True
    )


# -- invitations ---------------------------------------------------------------

INVITATION_VALID_FOR = timedelta(days=14)


def invitation_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_create(
    *,
    study: Study,
    email: str,
    role: str = Membership.Role.PANELIST,
    by=None,
    accept_url: Callable[[str], str],
    valid_for: timedelta = INVITATION_VALID_FOR,
) -> Invitation:
    """Invites one person; see invitations_create."""
    (invitation,) = invitations_create(
        study=study, emails=[email], role=role, by=by, accept_url=accept_url, valid_for=valid_for
    )
    return invitation


# Messages per queued mail task: 500 invitations are five tasks, not 500.
MAIL_BATCH = 100


@transaction.atomic
def invitations_create(
    *,
    study: Study,
    emails: Sequence[str],
    role: str = Membership.Role.PANELIST,
    by=None,
    accept_url: Callable[[str], str],
    valid_for: timedelta = INVITATION_VALID_FOR,
) -> list[Invitation]:
    """Makes each person a member of the study and queues them a single-use link: everyone, or nobody.

    A person without an account gets one with no usable password; the link
    lets them choose it. Inviting the same address again replaces the links
    still pending, so only the newest works. `accept_url` turns the token
    into the absolute link for the email; the token itself is never stored.
    The queries do not grow with the list (a panel of 500 is one request).
    """
    User = get_user_model()
    emails = list(dict.fromkeys(User.objects.normalize_email(e).strip() for e in emails))
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
            % {"email": sorted(clashes)[0]}
        )
    fresh = [User(username=e, email=e) for e in missing]
    for user in fresh:
        user.set_unusable_password()
    for user in User.objects.bulk_create(fresh):
        users[user.email.lower()] = user
    people = [users[e.lower()] for e in emails]

    memberships = {m.user_id: m for m in Membership.objects.filter(study=study, user__in=people)}
    for email, user in zip(emails, people):
        member = memberships.get(user.pk)
        if member is not None and member.role != role:
            raise ServiceError(
                _("Nobody was invited: %(email)s is already a %(role)s of this study.")
                % {"email": email, "role": member.get_role_display().lower()}
            )
    created = Membership.objects.bulk_create(
        Membership(study=study, user=user, role=role) for user in people if user.pk not in memberships
    )
    memberships.update({m.user_id: m for m in created})

    now = timezone.now()
    Invitation.objects.filter(
        study=study, membership__in=list(memberships.values()), used_at=None, revoked_at=None
    ).update(revoked_at=now)
    tokens = [secrets.token_urlsafe(32) for _email in emails]
    invitations = Invitation.objects.bulk_create(
        Invitation(
            study=study,
            email=email,
            role=role,
            membership=memberships[user.pk],
            token_hash=invitation_token_hash(token),
            expires_at=now + valid_for,
            invited_by=by,
        )
        for email, user, token in zip(emails, people, tokens)
    )
    messages = []
    for email, user, token in zip(emails, people, tokens):
        context = {"study": study, "link": accept_url(token), "expires_at": now + valid_for, "user": user}
        messages.append(
            {
                "subject": render_to_string("surveys/email/invitation_subject.txt", context).strip(),
                "body": render_to_string("surveys/email/invitation.txt", context),
                "to": email,
            }
        )
    for start in range(0, len(messages), MAIL_BATCH):
        batch = messages[start : start + MAIL_BATCH]
        transaction.on_commit(lambda batch=batch: emails_send.enqueue(messages=batch))
    role_label = Membership.Role(role).label.lower()
    AuditEvent.objects.bulk_create(
        AuditEvent(
            study=study,
            actor=by,
            action=AuditEvent.Action.INVITE,
            summary=f"Invited {email} as {role_label}",
            detail={"email": email, "role": role},
        )
        for email in emails
    )
    return invitations


class InvitationUnusable(ServiceError):
    """The link is unknown, used, expired or revoked; `reason` says which."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def invitation_check(*, token: str) -> Invitation:
    """The invitation a token opens, or a ServiceError saying why it cannot be used."""
    invitation = (
        Invitation.objects.select_related("study", "membership__user")
        .filter(token_hash=invitation_token_hash(token))
        .first()
    )
    if invitation is None:
        raise InvitationUnusable("unknown")
    if invitation.state != "pending":
        raise InvitationUnusable(invitation.state)
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, password: str | None = None):
    """Uses up the link and returns the user it signs in.

    A person with no password yet must choose one here; a person who
    already has an account is signed in straight away.
    """
    invitation = invitation_check(token=token)
    # Lock, then check again: two clicks on one link must not both get in.
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.state != "pending":
        raise InvitationUnusable(invitation.state)
    user = invitation.membership.user
    if password is not None:
        user.set_password(password)
        user.save(update_fields=["password"])
    elif not user.has_usable_password():
        raise ServiceError(_("Choose a password to finish joining."))
    invitation.used_at = timezone.now()
    invitation.save(update_fields=["used_at", "modified"])
    return user


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, by=None) -> Invitation:
    """Stops a pending link from working. The membership stays: remove it in the admin if needed."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.state != "pending":
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


# -- running rounds (issue 5) ---------------------------------------------------

# Addresses per queued mail task: a panel of 500 is five tasks, not 500.
REMINDER_BATCH = 100


def _moment(value: datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def audit_record(*, study: Study, by, action: str, summary: str, detail: dict | None = None) -> AuditEvent:
    """The study's history: who did what and when. Never answers, never the participant link."""
    return AuditEvent.objects.create(study=study, actor=by, action=action, summary=summary, detail=detail or {})


def _round_locked(round: Round) -> Round:
    return Round.objects.select_for_update().select_related("study").get(pk=round.pk)


@transaction.atomic
def round_extend(*, round: Round, deadline: datetime, by=None) -> Round:
    """Moves an open round's deadline later."""
    round = _round_locked(round)
    if round.status != Round.Status.OPEN:
        raise ServiceError(_("Only an open round's deadline can be extended."))
    if deadline <= timezone.now():
        raise ServiceError(_("The new deadline must lie in the future."))
    if round.deadline is not None and deadline <= round.deadline:
        raise ServiceError(_("The new deadline must be later than the current one."))
    previous = round.deadline
    round.deadline = deadline
    round.save(update_fields=["deadline"])
    audit_record(
        study=round.study,
        by=by,
        action=AuditEvent.Action.EXTEND,
        summary=f"Extended round {round.number} until {_moment(deadline)}",
        detail={"round": round.number, "from": previous.isoformat() if previous else None, "to": deadline.isoformat()},
    )
    return round


@transaction.atomic
def round_close(*, round: Round, by=None) -> Round:
    """Closes an open round. The row lock makes a vote in flight either land first or be refused."""
    round = _round_locked(round)
    if round.status != Round.Status.OPEN:
        raise ServiceError(_("Round %(number)s is not open.") % {"number": round.number})
    round.status = Round.Status.CLOSED
    round.closed_at = timezone.now()
    round.save(update_fields=["status", "closed_at"])
    audit_record(
        study=round.study,
        by=by,
        action=AuditEvent.Action.CLOSE,
        summary=f"Closed round {round.number}",
        detail={"round": round.number},
    )
    return round


@transaction.atomic
def round_results_release(*, round: Round, by=None) -> Round:
    """Shows a closed round's group results to the panel. After this the round cannot reopen."""
    round = _round_locked(round)
    if round.status != Round.Status.CLOSED:
        raise ServiceError(_("Close the round before releasing its results."))
    if round.results_released_at is not None:
        raise ServiceError(_("These results are already released."))
    round.results_released_at = timezone.now()
    round.save(update_fields=["results_released_at"])
    audit_record(
        study=round.study,
        by=by,
        action=AuditEvent.Action.RELEASE,
        summary=f"Released the results of round {round.number} to the panel",
        detail={"round": round.number},
    )
    return round


@transaction.atomic
def reminders_send(*, round: Round, subject: str, message: str, link: str, by=None) -> list[str]:
    """Queues a reminder to every panelist who has not submitted the round; returns the user names mailed.

    Who is reminded comes from completion, never from answers (SPEC 5).
    """
    round = _round_locked(round)
    if round.status != Round.Status.OPEN:
        raise ServiceError(_("Reminders go out only while the round is open."))
    waiting = list(
        Membership.objects.filter(study=round.study, role=Membership.Role.PANELIST)
        .exclude(completions__round=round, completions__status=RoundCompletion.Status.SUBMITTED)
        .select_related("user")
        .order_by("user__username")
    )
    if not waiting:
        raise ServiceError(_("Everyone on the panel has submitted this round."))
    reachable = [m for m in waiting if m.user.email]
    addresses = [m.user.email for m in reachable]
    body = f"{message.strip()}\n\n{link}\n"
    batches = [addresses[i : i + REMINDER_BATCH] for i in range(0, len(addresses), REMINDER_BATCH)]
    for batch in batches:
        transaction.on_commit(lambda batch=batch: email_send.enqueue(subject=subject, body=body, to=batch))
    names = [m.user.get_username() for m in reachable]
    unreachable = [m.user.get_username() for m in waiting if not m.user.email]
    audit_record(
        study=round.study,
        by=by,
        action=AuditEvent.Action.REMIND,
        summary=f"Reminded {len(names)} panelist(s) who had not submitted round {round.number}",
        detail={"round": round.number, "reminded": names, "without_email": unreachable, "subject": subject,
                "message": message},
    )
    return names


# -- the next round (issue 5) ----------------------------------------------------------


@dataclass(frozen=True)
class Merge:
    """Items of round N asked as one item in round N+1 (the Mayo panel folded two options into one)."""

    parents: tuple[int, ...]
    code: str
    text: str


@transaction.atomic
def round_create_next(
    *,
    round: Round,
    carry: Collection[int],
    rewordings: Mapping[int, str] | None = None,
    merges: Sequence[Merge] = (),
    drop_vignettes: Collection[int] = (),
    new_statements: Sequence[tuple[Vignette, str, Sequence[int]]] = (),
    kind: str | None = None,
    by=None,
) -> Round:
    """Drafts round N+1 from round N, every item keeping its lineage to the item(s) it continues.

    `carry` names the items of round N to ask again (all of them, those
    without consensus, or a selection: the caller chooses); `rewordings`
    gives a carried item new text; a merge asks several items as one; items
    of a dropped vignette (variation) are not carried. `new_statements`
    (vignette, text, option ids) become new Likert items with no lineage,
    e.g. statements drafted from a development round's top choices.
    """
    round = _round_locked(round)
    if round.status != Round.Status.CLOSED:
        raise ServiceError(_("Close round %(number)s before preparing the next one.") % {"number": round.number})
    if Round.objects.filter(study=round.study, number=round.number + 1).exists():
        raise ServiceError(_("Round %(number)s already exists.") % {"number": round.number + 1})
    rewordings = rewordings or {}
    items = {item.pk: item for item in round.items.prefetch_related("item_options")}
    merged = {pk for merge in merges for pk in merge.parents}
    unknown = (set(carry) | set(rewordings) | merged) - items.keys()
    if unknown:
        raise ServiceError(_("Some items are not part of round %(number)s.") % {"number": round.number})
    if merged & set(carry):
        raise ServiceError(_("An item cannot be both carried on its own and merged."))
    codes = [merge.code for merge in merges]
    taken = {items[pk].code for pk in carry}
    if len(set(codes)) != len(codes) or set(codes) & taken:
        raise ServiceError(_("Each merged item needs a code of its own."))

    following = Round.objects.create(study=round.study, number=round.number + 1, kind=kind or round.kind)
    children, edges, options = [], [], []
    for parent in sorted(items.values(), key=lambda item: (item.position, item.pk)):
        if parent.pk not in carry or parent.vignette_id in drop_vignettes:
            continue
        text = rewordings.get(parent.pk, parent.text).strip() or parent.text
        child = _item_copy(parent, round=following, text=text)
        children.append(child)
        operation = ItemLink.Operation.REWORDED if text != parent.text else ItemLink.Operation.CARRIED
        edges.append((parent.pk, child, operation))
        options.append((child, [link.option_id for link in parent.item_options.all()]))
    for merge in merges:
        parents = [items[pk] for pk in merge.parents]
        child = _item_copy(parents[0], round=following, text=merge.text.strip(), code=merge.code)
        children.append(child)
        edges += [(parent.pk, child, ItemLink.Operation.MERGED) for parent in parents]
        union = list(dict.fromkeys(link.option_id for parent in parents for link in parent.item_options.all()))
        options.append((child, union))
    study = round.study
    codes_used = {child.code for child in children}
    for vignette, text, option_ids in new_statements:
        if vignette.study_id != study.pk:
            raise ServiceError(_("A new statement names a vignette of another study."))
        code = _free_code(f"{vignette.code}-main", codes_used)
        codes_used.add(code)
        statement = Item(
            round=following,
            code=code,
            type=Item.Type.LIKERT,
            text=text.strip(),
            vignette=vignette,
            scale_min=study.scale_min,
            scale_max=study.scale_max,
        )
        children.append(statement)
        options.append((statement, list(option_ids)))
    for position, child in enumerate(children):
        child.position = position
    Item.objects.bulk_create(children)
    ItemLink.objects.bulk_create(ItemLink(parent_id=pk, child=child, operation=op) for pk, child, op in edges)
    ItemOption.objects.bulk_create(
        ItemOption(item=child, option_id=option_id, position=i) for child, ids in options for i, option_id in enumerate(ids)
    )
    counts = {op: sum(1 for *_, o in edges if o == op) for op in ItemLink.Operation.values}
    audit_record(
        study=round.study,
        by=by,
        action=AuditEvent.Action.MERGE if merges else AuditEvent.Action.EDIT,
        summary=(
            f"Drafted round {following.number} from round {round.number}: {len(children)} items "
            f"({counts['carried']} carried, {counts['reworded']} reworded, {len(merges)} merged, "
            f"{len(new_statements)} new)"
        ),
        detail={"round": following.number, "from": round.number, "items": len(children)},
    )
    return following


def _free_code(code: str, taken: set[str]) -> str:
    suffix = 2
    candidate = code
    while candidate in taken:
        candidate = f"{code}-{suffix}"
        suffix += 1
    return candidate


def _item_copy(item: Item, *, round: Round, text: str, code: str | None = None) -> Item:
    return Item(
        round=round,
        code=code or item.code,
        type=item.type,
        text=text,
        vignette_id=item.vignette_id,
        required=item.required,
        max_choices=item.max_choices,
        scale_min=item.scale_min,
        scale_max=item.scale_max,
    )


@transaction.atomic
def statement_add(*, round: Round, vignette: Vignette, code: str, text: str, options: Sequence[Option], by=None) -> Item:
    """A new Likert statement in a draft round (a consensus statement, or an item the panel asked for)."""
    round = _round_locked(round)
    if round.status != Round.Status.DRAFT:
        raise ServiceError(_("Items can be added only to a draft round."))
    if vignette.study_id != round.study_id or any(o.study_id != round.study_id for o in options):
        raise ServiceError(_("The vignette and options must belong to this study."))
    if round.items.filter(code=code).exists():
        raise ServiceError(_("Round %(number)s already has an item %(code)s.") % {"number": round.number, "code": code})
    study = round.study
    item = Item.objects.create(
        round=round,
        code=code,
        type=Item.Type.LIKERT,
        text=text,
        vignette=vignette,
        scale_min=study.scale_min,
        scale_max=study.scale_max,
        position=round.items.count(),
    )
    ItemOption.objects.bulk_create(ItemOption(item=item, option=o, position=i) for i, o in enumerate(options))
    audit_record(
        study=study,
        by=by,
        action=AuditEvent.Action.EDIT,
        summary=f"Added statement {code} to round {round.number}",
        detail={"round": round.number},
    )
    return item


MATRIX_TEXT = {
    Item.Type.LIKERT: "{option} would be my main choice as the next treatment recommendation for this patient.",
    Item.Type.CATEGORICAL: "How would you rate {option} as the next treatment for this patient?",
    Item.Type.TOP_K: "Which option(s) would be your top choice(s) for this patient?",
    Item.Type.NOT_RECOMMENDED: "Which of these options would you not recommend for this patient?",
    Item.Type.RANKING: "Rank these options for this patient, best first.",
    Item.Type.COMMENT: "Comments on your reasoning (optional, shown to the panel without your name).",
}
PER_OPTION_TYPES = (Item.Type.LIKERT, Item.Type.CATEGORICAL)


@transaction.atomic
def matrix_add(
    *,
    round: Round,
    vignettes: Sequence[Vignette],
    options: Sequence[Option],
    item_type: str,
    max_choices: int | None = None,
    by=None,
) -> list[Item]:
    """Items over vignettes x options in a draft round, as the Mayo development surveys asked them.

    Likert and 4-point items: one per vignette and option. Top choices,
    not-recommended and ranking: one per vignette, offering every option.
    Comments: one per vignette.
    """
    round = _round_locked(round)
    study = round.study
    if round.status != Round.Status.DRAFT:
        raise ServiceError(_("Items can be added only to a draft round."))
    if any(v.study_id != study.pk for v in vignettes) or any(o.study_id != study.pk for o in options):
        raise ServiceError(_("The vignettes and options must belong to this study."))
    if item_type == Item.Type.TOP_K and not (max_choices and 1 <= max_choices <= len(options)):
        raise ServiceError(_("Top choices need a number between 1 and the number of options."))
    rated = item_type == Item.Type.LIKERT
    planned: list[tuple[Item, list[Option]]] = []
    for vignette in vignettes:
        if item_type in PER_OPTION_TYPES:
            for option in options:
                text = MATRIX_TEXT[item_type].format(option=option.name)
                planned.append((Item(round=round, code=f"{vignette.code}-{option.code}", type=item_type, text=text,
                                     vignette=vignette), [option]))
        else:
            code = f"{vignette.code}:{item_type.replace('_', '-')}"
            offered = [] if item_type == Item.Type.COMMENT else list(options)
            planned.append((Item(round=round, code=code, type=item_type, text=MATRIX_TEXT[item_type], vignette=vignette,
                                 max_choices=max_choices if item_type == Item.Type.TOP_K else None,
                                 required=item_type in (Item.Type.TOP_K, Item.Type.RANKING)), offered))
    taken = set(round.items.values_list("code", flat=True))
    clashes = sorted(item.code for item, _o in planned if item.code in taken)
    if clashes:
        raise ServiceError(_("The round already has items %(codes)s.") % {"codes": ", ".join(clashes[:5])})
    start = round.items.count()
    for position, (item, _o) in enumerate(planned, start=start):
        item.position = position
        if rated:
            item.scale_min, item.scale_max = study.scale_min, study.scale_max
    items = Item.objects.bulk_create([item for item, _o in planned])
    ItemOption.objects.bulk_create(
        ItemOption(item=item, option=option, position=i) for item, offered in planned for i, option in enumerate(offered)
    )
    audit_record(
        study=study,
        by=by,
        action=AuditEvent.Action.EDIT,
        summary=f"Added {len(items)} {Item.Type(item_type).label.lower()} item(s) to round {round.number}",
        detail={"round": round.number, "items": len(items)},
    )
    return items


STUDY_SETTINGS = (
    "title", "description", "scale_min", "scale_neutral", "scale_max", "consensus_rule", "consensus_params",
    "not_recommended_threshold",
)


@transaction.atomic
def study_settings_update(*, study: Study, values: Mapping[str, object], by=None) -> Study:
    """Saves the study's settings; the scale stays fixed once anyone has rated on it."""
    study = Study.objects.select_for_update().get(pk=study.pk)
    scale_fields = ("scale_min", "scale_neutral", "scale_max")
    rescaled = any(values[name] != getattr(study, name) for name in scale_fields)
    if rescaled and Answer.objects.filter(item__round__study=study, rating__isnull=False).exists():
        raise ServiceError(_("The panel has already rated on this scale; it cannot change."))
    changed = [name for name in STUDY_SETTINGS if values[name] != getattr(study, name)]
    for name in changed:
        setattr(study, name, values[name])
    study.save()
    if changed:
        audit_record(
            study=study,
            by=by,
            action=AuditEvent.Action.EDIT,
            summary="Changed the study's " + ", ".join(name.replace("_", " ") for name in changed),
            detail={"fields": changed},
        )
    return study


@transaction.atomic
def round_add(*, study: Study, kind: str, by=None) -> Round:
    """A new, empty draft round after the study's last one, to build item by item."""
    study = Study.objects.select_for_update().get(pk=study.pk)
    last = study.rounds.order_by("-number").first()
    if last is not None and last.status != Round.Status.CLOSED:
        raise ServiceError(_("Round %(number)s is still %(status)s; close it first.")
                           % {"number": last.number, "status": last.get_status_display().lower()})
    number = last.number + 1 if last else 1
    round = Round.objects.create(study=study, number=number, kind=kind)
    audit_record(study=study, by=by, action=AuditEvent.Action.EDIT,
                 summary=f"Added round {number} ({round.get_kind_display().lower()})", detail={"round": number})
    return round


@transaction.atomic
def content_add(*, form, by=None):
    """Saves a vignette, variation or option form of the study's content library, with its audit entry."""
    instance = form.save(commit=False)
    model = type(instance)
    instance.position = model.objects.filter(study=instance.study).count()
    instance.save()
    kind = "option" if model is Option else "variation" if getattr(instance, "base_id", None) else "vignette"
    audit_record(
        study=instance.study,
        by=by,
        action=AuditEvent.Action.EDIT,
        summary=f"Added {kind} {instance.code}",
        detail={"code": instance.code},
    )
    return instance


# -- facilitators: a study from scratch, a draft round's items, merged options (issue 5) --------


@transaction.atomic
def study_create(*, values: Mapping[str, object], by) -> Study:
    """An empty study with its scale, rule and threshold; its creator becomes its facilitator.

    Vignettes, options and rounds follow on the study's own pages.
    """
    study = Study.objects.create(slug=values["slug"], **{name: values[name] for name in STUDY_SETTINGS})
    Membership.objects.create(study=study, user=by, role=Membership.Role.FACILITATOR)
    audit_record(study=study, by=by, action=AuditEvent.Action.CREATE, summary="Created the study", detail={})
    return study


def _draft_locked(round: Round) -> Round:
    round = _round_locked(round)
    if round.status != Round.Status.DRAFT:
        raise ServiceError(
            _("Round %(number)s is %(status)s; only a draft round's items can change.")
            % {"number": round.number, "status": round.get_status_display().lower()}
        )
    return round


# Item types whose options the facilitator chooses; a 4-point item is about its one option.
OPTION_LIST_TYPES = (Item.Type.TOP_K, Item.Type.NOT_RECOMMENDED, Item.Type.RANKING)


@transaction.atomic
def item_update(*, item: Item, text: str, options: Sequence[Option] | None = None, by=None) -> Item:
    """Rewords an item of a draft round and, where it offers or names options, sets them.

    A carried item whose words now differ from the item it continues is
    "reworded" in its lineage, and "carried" again if the old words come back.
    """
    round = _draft_locked(item.round)
    item = Item.objects.get(pk=item.pk, round=round)
    text = text.strip()
    if not text:
        raise ServiceError(_("An item needs its text."))
    changed = []
    if text != item.text:
        item.text = text
        item.save(update_fields=["text"])
        changed.append("text")
    if options is not None and item.type in (Item.Type.LIKERT, *OPTION_LIST_TYPES):
        if any(option.study_id != round.study_id for option in options):
            raise ServiceError(_("The options must belong to this study."))
        if item.type in OPTION_LIST_TYPES and not options:
            raise ServiceError(_("This item needs at least one option to offer."))
        if item.type == Item.Type.TOP_K and len(options) < item.max_choices:
            raise ServiceError(_("Offer at least as many options as the panel picks."))
        # Options the item already has keep their place (a statement names them
        # in its own order); new ones follow in the order given.
        current = list(item.item_options.order_by("position").values_list("option_id", flat=True))
        given = [option.pk for option in options]
        wanted = [pk for pk in current if pk in given] + [pk for pk in given if pk not in current]
        if current != wanted:
            item.item_options.all().delete()
            ItemOption.objects.bulk_create(
                ItemOption(item=item, option_id=pk, position=position) for position, pk in enumerate(wanted)
            )
            changed.append("options")
    links = ItemLink.objects.filter(child=item)
    links.filter(operation=ItemLink.Operation.CARRIED).exclude(parent__text=item.text).update(
        operation=ItemLink.Operation.REWORDED
    )
    links.filter(operation=ItemLink.Operation.REWORDED, parent__text=item.text).update(
        operation=ItemLink.Operation.CARRIED
    )
    if changed:
        audit_record(
            study=round.study,
            by=by,
            action=AuditEvent.Action.EDIT,
            summary=f"Edited the {' and '.join(changed)} of item {item.code} in round {round.number}",
            detail={"round": round.number, "item": item.code, "fields": changed},
        )
    return item


@transaction.atomic
def item_remove(*, item: Item, by=None) -> None:
    """Takes an item out of a draft round; nobody has answered it, and no later round continues it."""
    round = _draft_locked(item.round)
    code = item.code
    Item.objects.filter(pk=item.pk, round=round).delete()
    audit_record(
        study=round.study,
        by=by,
        action=AuditEvent.Action.EDIT,
        summary=f"Removed item {code} from round {round.number}",
        detail={"round": round.number, "item": code},
    )


@transaction.atomic
def options_merge(
    *, round: Round, options: Sequence[Option], code: str, name: str, short: str, group: str, by=None
) -> Option:
    """Asks several options as one from this draft round on, as the Mayo panel folded vortioxetine and
    vilazodone into "SRI not yet tried".

    The new option records what it was merged from. Items asked per option
    (a 4-point or Likert item about one option) become one item per vignette
    and type whose lineage names every item it replaces, as "merged"; items
    offering several options offer the new one in place of the old ones.
    The queries do not grow with the number of items.
    """
    round = _draft_locked(round)
    study = round.study
    old = {option.pk: option for option in options}
    if len(old) < 2:
        raise ServiceError(_("Choose at least two options to merge."))
    if any(option.study_id != study.pk for option in options):
        raise ServiceError(_("The options must belong to this study."))
    if Option.objects.filter(study=study, code=code).exists():
        raise ServiceError(_("This study already has %(code)s.") % {"code": code})
    merged = Option.objects.create(
        study=study, code=code, name=name, short=short, group=group, position=min(o.position for o in options)
    )
    merged.merged_from.set(options)

    items = list(
        round.items.select_related("vignette")
        .prefetch_related("item_options", "parent_links")
        .order_by("position", "pk")
    )
    per_option: dict[tuple, list[Item]] = {}
    listing: list[tuple[Item, list[ItemOption]]] = []
    for item in items:
        links = list(item.item_options.all())
        hit = [link for link in links if link.option_id in old]
        if not hit:
            continue
        if item.type in PER_OPTION_TYPES and len(links) == 1:
            per_option.setdefault((item.vignette_id, item.type), []).append(item)
        else:
            listing.append((item, hit))

    taken = {item.code for item in items}
    keepers, dropped, edges = [], [], []
    for group_items in per_option.values():
        keeper, rest = group_items[0], group_items[1:]
        former = old[keeper.item_options.all()[0].option_id]
        if keeper.vignette is not None and keeper.code == f"{keeper.vignette.code}-{former.code}":
            keeper.code = _free_code(f"{keeper.vignette.code}-{code}", taken)
            taken.add(keeper.code)
        if keeper.text == MATRIX_TEXT[keeper.type].format(option=former.name):
            keeper.text = MATRIX_TEXT[keeper.type].format(option=name)
        keepers.append(keeper)
        dropped += rest
        own = {link.parent_id for link in keeper.parent_links.all()}
        inherited = {link.parent_id for item in rest for link in item.parent_links.all()} - own
        edges += [ItemLink(parent_id=pk, child=keeper, operation=ItemLink.Operation.MERGED) for pk in sorted(inherited)]
    Item.objects.filter(pk__in=[item.pk for item in dropped]).delete()
    Item.objects.bulk_update(keepers, ["code", "text"])
    ItemOption.objects.filter(item__in=keepers).update(option=merged)
    ItemLink.objects.filter(child__in=keepers).update(operation=ItemLink.Operation.MERGED)
    ItemLink.objects.bulk_create(edges)

    ItemOption.objects.filter(item__in=[item for item, _hit in listing], option_id__in=old).delete()
    ItemOption.objects.bulk_create(
        ItemOption(item=item, option=merged, position=min(link.position for link in hit)) for item, hit in listing
    )
    # A top-3 of options of which two became one may now offer fewer than three.
    narrowed = []
    for item, hit in listing:
        offered = len(item.item_options.all()) - len(hit) + 1
        if item.type == Item.Type.TOP_K and item.max_choices > offered:
            item.max_choices = offered
            narrowed.append(item)
    Item.objects.bulk_update(narrowed, ["max_choices"])

    codes = [old[pk].code for pk in sorted(old, key=lambda pk: (old[pk].position, pk))]
    audit_record(
        study=study,
        by=by,
        action=AuditEvent.Action.MERGE,
        summary=(
            f"Merged options {', '.join(codes)} into {code} in round {round.number}: "
            f"{len(keepers) + len(dropped)} items asked per option became {len(keepers)}, "
            f"{len(listing)} items offer {code} instead"
        ),
        detail={"round": round.number, "option": code, "from": codes},
    )
    return merged
