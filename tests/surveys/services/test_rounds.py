"""Opening a round: it needs items, opens once, makes no pseudonym; a round of imported answers stays closed."""

import pytest

from surveys.models import Participant, Round
from surveys.services import ServiceError
from surveys.services.rounds import round_open
from tests.factories import ItemFactory, RoundFactory

pytestmark = pytest.mark.django_db


def test_opening_a_round_makes_no_pseudonym_until_its_ballots_are_counted(study, panelist, other_panelist):
    round_ = ItemFactory(round=RoundFactory(study=study)).round

    round_open(round=round_)

    round_.refresh_from_db()
    assert round_.status == Round.Status.OPEN
    assert round_.opened_at is not None
    assert not Participant.objects.filter(study=study).exists()


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


def test_a_round_of_imported_answers_cannot_open_again(study):
    round_ = ItemFactory(round=RoundFactory(study=study, status=Round.Status.CLOSED, answers_imported=True)).round

    with pytest.raises(ServiceError, match="imported from a file"):
        round_open(round=round_)

    round_.refresh_from_db()
    assert round_.status == Round.Status.CLOSED
