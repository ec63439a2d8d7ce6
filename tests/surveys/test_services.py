import hashlib

import pytest
from django.test import override_settings

from surveys.models import Membership, Participant, Round
from surveys.pseudonyms import participant_link_hash
from surveys.services import ServiceError
from surveys.services.participants import participant_for, participants_assign
from surveys.services.rounds import round_open
from tests.factories import ItemFactory, MembershipFactory, RoundFactory

pytestmark = pytest.mark.django_db


def test_every_panelist_gets_a_pseudonym_numbered_from_p01(study):
    MembershipFactory.create_batch(12, study=study, role=Membership.Role.PANELIST)
    MembershipFactory(study=study, role=Membership.Role.FACILITATOR)

    assert participants_assign(study=study) == 12

    labels = sorted(Participant.objects.filter(study=study).values_list("label", flat=True))
    assert labels == [f"P{i:02d}" for i in range(1, 13)]


def test_assigning_pseudonyms_again_creates_none(study):
    MembershipFactory.create_batch(3, study=study, role=Membership.Role.PANELIST)
    participants_assign(study=study)

    assert participants_assign(study=study) == 0
    assert Participant.objects.count() == 3


def test_a_panelist_finds_the_same_pseudonym_every_time(study, panelist, other_panelist):
    participants_assign(study=study)

    mine = participant_for(study=study, user=panelist)

    assert participant_for(study=study, user=panelist) == mine
    assert participant_for(study=study, user=other_panelist) != mine
    assert Participant.objects.count() == 2


def test_a_late_joiner_gets_the_next_free_pseudonym(study, panelist, other_panelist):
    participants_assign(study=study)

    assert participant_for(study=study, user=MembershipFactory(study=study).user).label == "P03"


def test_the_link_needs_the_key_that_is_kept_outside_the_database(study, panelist):
    stored = participant_for(study=study, user=panelist).link_hash

    assert stored == participant_link_hash(study_id=study.pk, user_id=panelist.pk)
    with override_settings(PARTICIPANT_LINK_KEY="another key"):
        assert participant_link_hash(study_id=study.pk, user_id=panelist.pk) != stored
    unkeyed = hashlib.sha256(f"participant:{study.pk}:{panelist.pk}".encode()).hexdigest()
    assert stored != unkeyed


def test_opening_a_round_gives_the_panel_its_pseudonyms(study, panelist, other_panelist):
    round_ = ItemFactory(round=RoundFactory(study=study)).round

    round_open(round=round_)

    round_.refresh_from_db()
    assert round_.status == Round.Status.OPEN
    assert round_.opened_at is not None
    assert Participant.objects.filter(study=study).count() == 2


def test_a_round_without_items_cannot_open(study):
    round_ = RoundFactory(study=study)

    with pytest.raises(ServiceError, match="has no items"):
        round_open(round=round_)

    round_.refresh_from_db()
    assert round_.status == Round.Status.DRAFT


def test_an_open_round_cannot_be_opened_again(study):
    round_ = ItemFactory(round=RoundFactory(study=study)).round
    round_open(round=round_)

    with pytest.raises(ServiceError, match="already open"):
        round_open(round=round_)
