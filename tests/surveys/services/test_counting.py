"""The ballot box counted at close: submitted ballots become pseudonymous rows; drafts never do.

Pseudonyms are made when a panelist's first submitted ballot is counted, in
one shuffled batch per close, and found again through the keyed link in
every later round.
"""

import hashlib

import pytest
from django.test import override_settings

from surveys.models import Answer, Ballot, Membership, Participant, Round, Submission
from surveys.pseudonyms import participant_link_hash
from surveys.services import ServiceError
from surveys.services.lineage import round_create_next
from surveys.services.rounds import round_close, round_open, round_results_release
from tests.factories import (
    MembershipFactory,
    UserFactory,
    ballot_for,
    count,
    pseudonym_of,
    round_with_every_item_type,
)

pytestmark = pytest.mark.django_db


def panel(study, size: int, prefix: str = "p") -> list:
    return [
        MembershipFactory(study=study, role=Membership.Role.PANELIST, user=UserFactory(username=f"{prefix}{i:02d}")).user
        for i in range(size)
    ]


def likert_answer(round_, rating: int):
    from surveys.ballot import AnswerInput

    return [AnswerInput(item_id=round_.items.get(code="likert").pk, rating=rating)]


def test_each_submitter_gets_a_pseudonym_numbered_from_p01_and_drafts_get_none(study):
    round_ = round_with_every_item_type(study)
    people = panel(study, 14)
    for user in people[:12]:
        ballot_for(round_, user, Ballot.Status.SUBMITTED, likert_answer(round_, 7))
    ballot_for(round_, people[12], Ballot.Status.DRAFT, likert_answer(round_, 2))

    count(round_)

    labels = sorted(Participant.objects.filter(study=study).values_list("label", flat=True))
    assert labels == [f"P{i:02d}" for i in range(1, 13)]
    assert Submission.objects.filter(round=round_).count() == 12
    # The draft-only panelist and the one who never started are nowhere on the pseudonymous side.
    assert sorted(Answer.objects.values_list("rating", flat=True)) == [7] * 12
    for user in people[12:]:
        with pytest.raises(Participant.DoesNotExist):
            pseudonym_of(study, user)


def test_labels_do_not_follow_the_order_people_joined_or_voted(study):
    round_ = round_with_every_item_type(study)
    people = panel(study, 12)
    for user in people:
        ballot_for(round_, user, Ballot.Status.SUBMITTED, likert_answer(round_, 7))

    count(round_)

    # In join order, which was also the voting order. All twelve in order by chance: 1 in 479,001,600.
    labels = [pseudonym_of(study, user).label for user in people]
    assert labels != sorted(labels)


def test_a_panelist_keeps_one_pseudonym_across_rounds_and_a_late_joiner_gets_the_next_free_one(
    study, panelist, other_panelist
):
    first = round_with_every_item_type(study)
    for user in (panelist, other_panelist):
        ballot_for(first, user, Ballot.Status.SUBMITTED, likert_answer(first, 8))
    count(first)
    mine = pseudonym_of(study, panelist)

    second = round_create_next(round=first, carry=set(first.items.values_list("pk", flat=True)))
    round_open(round=second)
    late = MembershipFactory(study=study, role=Membership.Role.PANELIST, user=UserFactory(username="late")).user
    for user in (panelist, other_panelist, late):
        ballot_for(second, user, Ballot.Status.SUBMITTED, likert_answer(second, 6))
    count(second)

    assert pseudonym_of(study, panelist) == mine
    assert pseudonym_of(study, late).label == "P03"
    assert Participant.objects.filter(study=study).count() == 3


def test_the_link_needs_the_key_that_is_kept_outside_the_database(study, panelist):
    round_ = round_with_every_item_type(study)
    ballot_for(round_, panelist, Ballot.Status.SUBMITTED, likert_answer(round_, 7))
    count(round_)
    stored = pseudonym_of(study, panelist).link_hash

    with override_settings(PARTICIPANT_LINK_KEY="another key"):
        assert participant_link_hash(study_id=study.pk, user_id=panelist.pk) != stored
    unkeyed = hashlib.sha256(f"participant:{study.pk}:{panelist.pk}".encode()).hexdigest()
    assert stored != unkeyed


def test_a_reopen_takes_the_count_back_and_the_second_close_counts_every_ballot_afresh(study, panelist, other_panelist):
    round_ = round_with_every_item_type(study)
    ballot_for(round_, panelist, Ballot.Status.SUBMITTED, likert_answer(round_, 8))
    ballot_for(round_, other_panelist, Ballot.Status.DRAFT, likert_answer(round_, 3))
    count(round_)
    first_ids = set(Answer.objects.values_list("pk", flat=True))

    round_open(round=round_)
    # Open again: nothing of the round is on the pseudonymous side, and the ballots are as they were.
    assert not Answer.objects.exists() and not Submission.objects.exists() and not Participant.objects.exists()
    assert dict(Ballot.objects.values_list("membership__user__username", "status")) == {
        "panelist": "submitted",
        "other_panelist": "draft",
    }
    # The panelist who only drafted comes back, revises and submits; the other revises.
    ballot_for(round_, other_panelist, Ballot.Status.SUBMITTED, likert_answer(round_, 9))
    ballot_for(round_, panelist, Ballot.Status.SUBMITTED, likert_answer(round_, 6))
    count(round_)

    assert sorted(Answer.objects.values_list("rating", flat=True)) == [6, 9]
    assert Submission.objects.count() == 2 and Participant.objects.count() == 2
    assert not first_ids & set(Answer.objects.values_list("pk", flat=True))


def test_a_panelist_who_never_submits_is_never_counted(study, panelist, other_panelist):
    round_ = round_with_every_item_type(study)
    ballot_for(round_, panelist, Ballot.Status.SUBMITTED, likert_answer(round_, 8))
    ballot_for(round_, other_panelist, Ballot.Status.DRAFT, likert_answer(round_, 1))

    count(round_)
    round_results_release(round=round_)

    assert list(Answer.objects.values_list("rating", flat=True)) == [8]
    assert Submission.objects.count() == 1
    # Released: every ballot is gone, drafts included, and completion is counts.
    assert not Ballot.objects.exists()
    round_.refresh_from_db()
    assert (round_.panel_count, round_.submitted_count, round_.draft_count) == (2, 1, 1)


def test_a_ballot_sealed_under_another_key_stops_the_close_and_counts_nothing(study, panelist):
    round_ = round_with_every_item_type(study)
    with override_settings(BALLOT_KEY="the key of another deployment, long enough to be a real one"):
        ballot_for(round_, panelist, Ballot.Status.SUBMITTED, likert_answer(round_, 8))

    with pytest.raises(ServiceError, match="cannot be opened with this BALLOT_KEY"):
        round_close(round=round_)

    round_.refresh_from_db()
    assert round_.status == Round.Status.OPEN
    assert not Answer.objects.exists() and not Participant.objects.exists()
