"""Building a development round from the facilitator's page: vignettes x options in any item type."""

import pytest
from django.urls import reverse

from surveys.models import AuditEvent, Item, Membership, Round
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def development(mayo_study, client):
    facilitator = MembershipFactory(study=mayo_study, role=Membership.Role.FACILITATOR, user=UserFactory()).user
    client.force_login(facilitator)
    return Round.objects.create(study=mayo_study, number=2, kind=Round.Kind.DEVELOPMENT)


def add(client, round_, **data):
    url = reverse("surveys:matrix_add", kwargs={"slug": round_.study.slug, "number": round_.number})
    return client.post(url, {f"matrix-{name}": value for name, value in data.items()})


def everything(study) -> dict:
    return {"vignettes": [v.pk for v in study.vignettes.all()], "options": [o.pk for o in study.options.all()]}


def test_the_four_point_matrix_asks_every_option_for_every_vignette(client, development, mayo_study):
    response = add(client, development, item_type="categorical", **everything(mayo_study))

    assert response.status_code == 302
    items = development.items.all()
    assert items.count() == 7 * 11
    item = items.get(code="cad-tms")
    assert (item.type, item.vignette.code) == ("categorical", "cad")
    assert list(item.item_options.values_list("option__code", flat=True)) == ["tms"]
    assert AuditEvent.objects.get().summary == "Added 77 4-point recommendation item(s) to round 2"


def test_top_choices_get_one_item_per_vignette_offering_every_option(client, development, mayo_study):
    add(client, development, item_type="top_k", max_choices=3, **everything(mayo_study))
    add(client, development, item_type="not_recommended", **everything(mayo_study))

    top = development.items.get(code="cad:top-k")
    assert (top.max_choices, top.item_options.count()) == (3, 11)
    assert development.items.filter(type="not_recommended").count() == 7
    assert development.items.count() == 14


def test_top_choices_without_a_number_are_refused_at_the_field(client, development, mayo_study):
    response = add(client, development, item_type="top_k", **everything(mayo_study))

    assert response.status_code == 400
    assert "Say how many top choices" in response.content.decode()
    assert not development.items.exists()


def test_adding_the_same_matrix_twice_is_refused_whole(client, development, mayo_study):
    add(client, development, item_type="categorical", **everything(mayo_study))

    response = add(client, development, item_type="categorical", **everything(mayo_study))

    assert response.status_code == 409
    assert "already has items" in response.content.decode()
    assert development.items.count() == 77


def test_an_open_round_takes_no_new_items(client, development, mayo_study):
    add(client, development, item_type="comment", **everything(mayo_study))
    development.status = Round.Status.OPEN
    development.save()

    response = add(client, development, item_type="ranking", **everything(mayo_study))

    assert response.status_code == 409
    assert not Item.objects.filter(type="ranking").exists()


def test_the_built_round_opens_and_a_panelist_can_vote_on_it(client, development, mayo_study):
    add(client, development, item_type="categorical", **everything(mayo_study))
    add(client, development, item_type="top_k", max_choices=3, **everything(mayo_study))
    slug = mayo_study.slug
    client.post(reverse("surveys:round_open", kwargs={"slug": slug, "number": 2}), {"deadline": ""})
    panelist = MembershipFactory(study=mayo_study, role=Membership.Role.PANELIST, user=UserFactory()).user

    client.force_login(panelist)
    page = client.get(reverse("surveys:vote", kwargs={"slug": slug, "number": 2}))

    assert page.status_code == 200
    assert "Definitely recommend" in page.content.decode()
