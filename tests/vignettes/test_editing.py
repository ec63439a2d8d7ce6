"""A typo in a vignette or an option is fixed on its page; what an opened round showed stays as it was shown;
only what no round asked about can be removed."""

import pytest
from django.test import Client
from django.urls import reverse

from surveys.models import AuditEvent, Membership, Round
from surveys.services.lineage import round_create_next
from surveys.services.rounds import round_close, round_open
from tests.factories import MembershipFactory, UserFactory
from vignettes.models import Option, Vignette

pytestmark = pytest.mark.django_db

TYPO = "A 45-year-old woman with major depressive disorder"
FIXED = "A 45-year-old woman with major depressive disorder (corrected)"


@pytest.fixture
def facilitator_client(client, mayo_study):
    user = MembershipFactory(study=mayo_study, role=Membership.Role.FACILITATOR, user=UserFactory()).user
    client.force_login(user)
    return client


@pytest.fixture
def panelist_client(mayo_study):
    client = Client()
    client.force_login(MembershipFactory(study=mayo_study, role=Membership.Role.PANELIST, user=UserFactory()).user)
    return client


def url(name: str, obj) -> str:
    return reverse(f"vignettes:{name}", kwargs={"slug": obj.study.slug, "pk": obj.pk})


def vote_url(round_) -> str:
    return reverse("surveys:vote", kwargs={"slug": round_.study.slug, "number": round_.number})


def base_text(study) -> str:
    return study.vignettes.get(code="base").text


def test_a_typo_in_the_base_vignette_is_fixed_before_round_1_opens(facilitator_client, panelist_client, mayo_study):
    base = mayo_study.vignettes.get(code="base")
    new_text = base.text + " (corrected)"

    response = facilitator_client.post(url("vignette_edit", base), {"title": base.title, "text": new_text})

    assert response.status_code == 302
    assert base_text(mayo_study) == new_text
    event = AuditEvent.objects.get(summary="Edited vignette base: text")
    assert event.detail["changes"]["text"] == [base.text, new_text]
    first = round_open(round=mayo_study.rounds.get(number=1))
    assert "(corrected)" in panelist_client.get(vote_url(first)).content.decode()


def test_an_opened_round_keeps_the_wording_it_showed_and_the_next_round_shows_the_new(
    facilitator_client, panelist_client, mayo_study
):
    first = round_open(round=mayo_study.rounds.get(number=1))
    base = mayo_study.vignettes.get(code="base")
    tms = mayo_study.options.get(code="tms")
    old_text, old_name = base.text, tms.name

    facilitator_client.post(url("vignette_edit", base), {"title": base.title, "text": old_text + " Edited later."})
    facilitator_client.post(url("option_edit", tms), {"name": "rTMS (edited)", "short": tms.short, "group": tms.group})

    page = panelist_client.get(vote_url(first)).content.decode()
    assert old_text in page and "Edited later." not in page
    assert old_name in page and "rTMS (edited)" not in page
    # Round 2, drafted and opened after the edit, shows the new wording.
    round_close(round=first)
    second = round_open(round=round_create_next(round=Round.objects.get(pk=first.pk),
                                                carry=set(first.items.values_list("pk", flat=True))))
    page = panelist_client.get(vote_url(second)).content.decode()
    assert "Edited later." in page and "rTMS (edited)" in page


def test_a_base_vignette_keeps_its_text_and_a_variation_what_it_changes(facilitator_client, mayo_study):
    base = mayo_study.vignettes.get(code="base")
    variation = mayo_study.vignettes.exclude(base=None).first()

    emptied = facilitator_client.post(url("vignette_edit", base), {"title": base.title, "text": "  "})
    vague = facilitator_client.post(url("vignette_edit", variation), {"title": variation.title, "change": ""})

    assert emptied.status_code == 400 and emptied.context["form"].has_error("text")
    assert vague.status_code == 400 and vague.context["form"].has_error("change")
    assert base_text(mayo_study) == base.text


def test_what_a_round_asks_about_cannot_be_removed(facilitator_client, mayo_study):
    base = mayo_study.vignettes.get(code="base")
    tms = mayo_study.options.get(code="tms")

    vignette = facilitator_client.post(url("vignette_remove", base))
    option = facilitator_client.post(url("option_remove", tms))

    assert vignette.status_code == option.status_code == 409
    assert "Round(s) 1 ask about this vignette" in vignette.content.decode()
    assert "Round(s) 1 offer this option" in option.content.decode()
    assert Vignette.objects.filter(pk=base.pk).exists() and Option.objects.filter(pk=tms.pk).exists()


def test_what_no_round_asked_about_is_removed_after_a_confirmation(facilitator_client, mayo_study):
    spare = Vignette.objects.create(study=mayo_study, code="spare", title="Spare", text="Not asked.", position=99)
    unused = Option.objects.create(study=mayo_study, code="zuranolone", name="Zuranolone", short="Zuranolone",
                                   group="switch", position=99)

    confirm = facilitator_client.get(url("vignette_remove", spare))
    assert confirm.status_code == 200 and "Remove vignette spare?" in confirm.content.decode()
    assert Vignette.objects.filter(pk=spare.pk).exists()

    assert facilitator_client.post(url("vignette_remove", spare)).status_code == 302
    assert facilitator_client.post(url("option_remove", unused)).status_code == 302
    assert not Vignette.objects.filter(pk=spare.pk).exists() and not Option.objects.filter(pk=unused.pk).exists()
    assert AuditEvent.objects.filter(summary__in=["Removed vignette spare", "Removed option zuranolone"]).count() == 2


def test_a_base_with_variations_stays(facilitator_client, mayo_study):
    base = Vignette.objects.create(study=mayo_study, code="lone", title="Lone", text="A case.", position=99)
    Vignette.objects.create(study=mayo_study, code="lone-older", title="Older", base=base, change="Older", position=100)

    response = facilitator_client.post(url("vignette_remove", base))

    assert response.status_code == 409 and "remove them first" in response.content.decode()
