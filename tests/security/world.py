"""One study in every state its pages need, and the seven actors who knock on them.

Shared by the authorization matrix and the CSRF tests, so that both walk the
same URLs with the same people. Each round is in the state that makes its
pages mean something: results need a closed, released round with answers,
voting an open round, the builder a draft round.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction

from surveys.models import (
    Answer,
    AnswerOption,
    AuditEvent,
    Ballot,
    Invitation,
    Item,
    ItemLink,
    ItemOption,
    Membership,
    Participant,
    Round,
    Study,
    Submission,
)
from surveys.ballot import AnswerInput
from surveys.services.rounds import round_close, round_results_release
from surveys.services.voting import answers_submit
from tests.factories import (
    InvitationFactory,
    MembershipFactory,
    StudyFactory,
    UserFactory,
    allow_study_creation,
    round_with_every_item_type,
)
from vignettes.models import Option, Vignette

SLUG = "sec-study"
OTHER_SLUG = "sec-other"
INVITATION_TOKEN = "sec-invitation-token"

# In the order of the matrix's columns. "stranger" is a panelist of another study.
ACTORS = ("anonymous", "outsider", "stranger", "panelist", "analyst", "facilitator", "staff")

# Round numbers of SLUG, one per state.
RELEASED, CLOSED, OPEN, DRAFT = 1, 2, 3, 4


@dataclass
class World:
    study: Study
    users: dict[str, object]
    panel: list = field(default_factory=list)
    invitation: Invitation | None = None
    draft_item: Item | None = None

    @property
    def vignette(self):
        """A vignette the rounds ask about: it can be edited, not removed."""
        return self.draft_item.vignette

    @property
    def option(self):
        """An option the rounds offer: it can be edited, not removed."""
        return self.study.options.filter(item_options__isnull=False).first()

    @property
    def invitee(self) -> Membership:
        """The membership of the invitation, not joined yet."""
        return self.invitation.membership

    def user(self, actor: str):
        return self.users[actor]


def _member(study, role, username, **extra):
    return MembershipFactory(study=study, role=role, user=UserFactory(username=username, **extra)).user


def build_world() -> World:
    study = StudyFactory(slug=SLUG, title="Security study")
    other = StudyFactory(slug=OTHER_SLUG, title="Another study")
    panelist = _member(study, Membership.Role.PANELIST, "sec-panelist-alice")
    second = _member(study, Membership.Role.PANELIST, "sec-panelist-bob")
    third = _member(study, Membership.Role.PANELIST, "sec-panelist-carol")
    users = {
        "anonymous": None,
        "outsider": UserFactory(username="sec-outsider"),
        "stranger": _member(other, Membership.Role.PANELIST, "sec-stranger"),
        "panelist": panelist,
        "analyst": _member(study, Membership.Role.ANALYST, "sec-analyst"),
        # The deployment lets its facilitators create studies; the others may not.
        "facilitator": allow_study_creation(_member(study, Membership.Role.FACILITATOR, "sec-facilitator")),
        "staff": UserFactory(username="sec-staff", is_staff=True, is_superuser=True),
    }

    released = round_with_every_item_type(study, number=RELEASED)
    items = {item.code: item for item in released.items.all()}
    # Three, the study's minimum n, so that the panel sees the round's distribution and comments.
    for person, rating in ((panelist, 8), (second, 6), (third, 7)):
        answers_submit(
            round=released,
            membership=Membership.objects.get(study=study, user=person),
            answers=[
                AnswerInput(item_id=items["likert"].pk, rating=rating),
                AnswerInput(item_id=items["categorical"].pk, rating=3),
                AnswerInput(item_id=items["comment"].pk, text=f"A comment of round {RELEASED}."),
            ],
        )
    # Closed and released through the services, as the facilitator's pages do: the close counts the ballots.
    round_close(round=released)
    round_results_release(round=released)
    round_with_every_item_type(study, number=CLOSED, status=Round.Status.CLOSED)
    round_with_every_item_type(study, number=OPEN)
    draft = round_with_every_item_type(study, number=DRAFT, status=Round.Status.DRAFT)
    round_with_every_item_type(other, number=1)

    # Invited by email and not signed up yet, as invitations_create leaves a new person.
    UserFactory(username="sec-invitee", email="sec-invitee@example.org", password=None)
    invitation = InvitationFactory(study=study, token=INVITATION_TOKEN, email="sec-invitee@example.org")
    return World(
        study=study,
        users=users,
        panel=[panelist, second, third],
        invitation=invitation,
        draft_item=draft.items.get(code="likert"),
    )


def database_state() -> dict:
    """What a refused POST must leave as it was: row counts, and the fields a page could flip."""
    counted = [
        Study, Round, Item, ItemOption, ItemLink, Vignette, Option, Participant, Answer, AnswerOption,
        Submission, Ballot, Membership, Invitation, AuditEvent, get_user_model(),
    ]
    state = {model.__name__: model.objects.count() for model in counted}
    state["rounds"] = list(
        Round.objects.order_by("pk").values_list("pk", "status", "deadline", "results_released_at")
    )
    state["invitations"] = list(Invitation.objects.order_by("pk").values_list("pk", "revoked_at", "used_at"))
    state["studies"] = list(
        Study.objects.order_by("pk").values_list(
            "pk", "title", "consensus_rule", "consensus_params", "not_recommended_threshold", "scale_min", "scale_max"
        )
    )
    state["items"] = list(Item.objects.order_by("pk").values_list("pk", "text"))
    state["passwords"] = list(get_user_model().objects.order_by("pk").values_list("pk", "password"))
    return state


@contextmanager
def rolled_back():
    """A savepoint that is always rolled back: every request starts from the same world."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)
