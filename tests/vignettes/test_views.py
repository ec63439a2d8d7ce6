"""The study's content library through its page: vignettes, variations against their base, options."""

import pytest
from django.urls import reverse

from surveys.models import AuditEvent, Membership
from tests.factories import MembershipFactory, UserFactory
from vignettes.models import Option, Vignette

pytestmark = pytest.mark.django_db


@pytest.fixture
def content_url(client, mayo_study):
    user = MembershipFactory(study=mayo_study, role=Membership.Role.FACILITATOR, user=UserFactory()).user
    client.force_login(user)
    return reverse("vignettes:study_content", kwargs={"slug": mayo_study.slug})


def test_the_page_shows_each_variation_by_what_it_changes(client, content_url):
    page = client.get(content_url).content.decode()

    assert "<mark>Base clinical vignette with comorbid coronary artery disease of moderate severity</mark>" in page
    assert "Variation of Base clinical vignette" in page
    assert "Transcranial magnetic stimulation (TMS)" in page


def test_a_facilitator_adds_a_variation_and_an_option(client, content_url, mayo_study):
    base = mayo_study.vignettes.get(code="base")

    response = client.post(content_url, {"kind": "vignette", "vignette-code": "postpartum", "vignette-title": "Postpartum",
                                         "vignette-base": base.pk, "vignette-change": "Base vignette, postpartum"})
    assert response.status_code == 302
    variation = Vignette.objects.get(study=mayo_study, code="postpartum")
    assert (variation.base, variation.position) == (base, 7)

    response = client.post(content_url, {"kind": "option", "option-code": "zuranolone", "option-name": "Zuranolone",
                                         "option-short": "Zuranolone", "option-group": "switch"})
    assert response.status_code == 302
    assert Option.objects.get(study=mayo_study, code="zuranolone").group == "switch"
    assert AuditEvent.objects.count() == 2


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"kind": "vignette", "vignette-code": "base", "vignette-title": "Again", "vignette-text": "x"},
         "code", "already has base"),
        ({"kind": "vignette", "vignette-code": "new", "vignette-title": "No text"}, "text", "needs its text"),
        ({"kind": "option", "option-code": "tms", "option-name": "TMS", "option-short": "TMS", "option-group": "add"},
         "code", "already has tms"),
        ({"kind": "option", "option-code": "x y", "option-name": "X", "option-short": "X", "option-group": "other"},
         "group", "Select a valid choice"),
    ],
)
def test_bad_content_is_refused_at_its_field(client, content_url, mayo_study, data, field, message):
    before = (Vignette.objects.count(), Option.objects.count())

    response = client.post(content_url, data)

    assert response.status_code == 400
    form = response.context["vignette_form" if data["kind"] == "vignette" else "option_form"]
    assert message in " ".join(form.errors[field])
    assert (Vignette.objects.count(), Option.objects.count()) == before


def test_a_post_that_names_nothing_to_add_is_a_400(client, content_url):
    assert client.post(content_url, {"kind": "panelist"}).status_code == 400
