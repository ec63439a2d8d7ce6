"""Pseudonyms: given to the panel in random order, found again through the keyed link, never without its key."""

import hashlib

import pytest
from django.test import override_settings

from surveys.models import Membership, Participant
from surveys.pseudonyms import participant_link_hash
from surveys.services.participants import participant_for, participants_assign
from tests.factories import MembershipFactory

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
