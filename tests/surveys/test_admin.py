import pytest
from django.contrib import admin
from django.urls import reverse

from surveys.models import Answer, AnswerOption, Ballot, Item, Participant, Round, Study, Submission
from tests.factories import ItemFactory, UserFactory
from vignettes.models import Option, Vignette

pytestmark = pytest.mark.django_db


def test_the_admin_covers_the_content_library_studies_rounds_and_items():
    for model in (Vignette, Option, Study, Round, Item):
        assert admin.site.is_registered(model), model


def test_the_admin_has_no_view_of_answers_or_of_who_is_behind_a_pseudonym():
    for model in (Answer, AnswerOption, Participant, Ballot, Submission):
        assert not admin.site.is_registered(model), model


@pytest.mark.parametrize("model", [Vignette, Option, Study, Round, Item])
def test_every_registered_admin_page_opens_for_staff(client, model):
    item = ItemFactory()
    client.force_login(UserFactory(username="staff", is_staff=True, is_superuser=True))
    obj = {Vignette: item.vignette, Study: item.round.study, Round: item.round, Item: item}.get(model)
    meta = model._meta

    assert client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")).status_code == 200
    if obj is not None:
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
        assert client.get(url).status_code == 200
