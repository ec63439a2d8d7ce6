"""A ballot of the largest size the builder allows submits through the voting form; the builder allows no more."""

import pytest
from django.conf import settings
from django.urls import reverse

from surveys.models import Ballot, Item, Membership, Round
from surveys.services import ServiceError
from surveys.services.builder import ballot_fields, matrix_add, statement_add
from surveys.services.rounds import round_open
from tests.factories import MembershipFactory, RoundFactory, StudyFactory, UserFactory
from vignettes.models import Option, Vignette

pytestmark = pytest.mark.django_db

OPTIONS = 100


@pytest.fixture
def largest_round():
    """BALLOT_MAX_FIELDS answers: Likert items over vignettes x options, and one list of every option."""
    study = StudyFactory()
    options = Option.objects.bulk_create(
        Option(study=study, code=f"o{i}", name=f"Option {i}", short=f"O{i}", group="add", position=i)
        for i in range(OPTIONS)
    )
    likert_vignettes = settings.BALLOT_MAX_FIELDS // OPTIONS - 1
    vignettes = Vignette.objects.bulk_create(
        Vignette(study=study, code=f"v{i}", title=f"Case {i}", text=f"Case {i}.", position=i)
        for i in range(likert_vignettes + 1)
    )
    round_ = RoundFactory(study=study, number=1, status=Round.Status.DRAFT)
    matrix_add(round=round_, vignettes=vignettes[:-1], options=options, item_type=Item.Type.LIKERT)
    matrix_add(round=round_, vignettes=vignettes[-1:], options=options, item_type=Item.Type.NOT_RECOMMENDED)
    assert ballot_fields(round_) == settings.BALLOT_MAX_FIELDS
    return round_


def test_the_builder_allows_no_item_past_the_largest_ballot(largest_round):
    vignette = largest_round.study.vignettes.first()

    with pytest.raises(ServiceError, match="holds at most 3000 answers"):
        statement_add(round=largest_round, vignette=vignette, code="one-more", text="One more.", options=[])


def test_the_largest_ballot_the_builder_allows_submits_through_the_voting_form(client, largest_round):
    round_ = round_open(round=largest_round)
    user = MembershipFactory(study=round_.study, role=Membership.Role.PANELIST, user=UserFactory()).user
    client.force_login(user)
    data: dict[str, object] = {"action": "submit"}
    for item in round_.items.prefetch_related("item_options"):
        if item.type == Item.Type.LIKERT:
            data[f"item-{item.pk}"] = "7"
        else:
            data[f"item-{item.pk}"] = [str(link.option_id) for link in item.item_options.all()]

    response = client.post(reverse("surveys:vote", kwargs={"slug": round_.study.slug, "number": 1}), data)

    assert response.status_code == 302, response.content.decode()[:500]
    assert Ballot.objects.get(round=round_, membership__user=user).status == Ballot.Status.SUBMITTED
