"""Merging options between rounds, as the Mayo panel folded vortioxetine and vilazodone into "SRI not yet tried".

Driven through the facilitator's pages: a development round asks every
option per vignette on the 4-point scale plus the top 3, round 2 carries it
all, and the two options become one in round 2 with the lineage kept.
"""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from surveys.models import AuditEvent, Item, ItemLink, Membership, Round
from surveys.services.rounds import round_close, round_open
from tests.conftest import MAYO_FILE
from tests.factories import MembershipFactory, UserFactory
from vignettes.models import Option

pytestmark = pytest.mark.django_db

SLUG = "mayo-dev"
SRI_LINE = "  - {code: sri, name: Serotonin reuptake inhibitor (SRI) not yet tried, short: SRI not yet tried, group: switch}\n"
SRI = {
    "code": "sri",
    "name": "Serotonin reuptake inhibitor (SRI) not yet tried",
    "short": "SRI not yet tried",
    "group": "switch",
}


def url(name: str, number: int, **kwargs) -> str:
    return reverse(f"surveys:{name}", kwargs={"slug": SLUG, "number": number, **kwargs})


def post(client, path: str, data: dict):
    response = client.post(path, data)
    assert response.status_code == 302, (path, response.status_code, response.content.decode()[-1500:])
    return response


def the_study_before_the_merge() -> bytes:
    """The Mayo file as it stood before survey 2: no statements, no "SRI not yet tried" yet."""
    text = MAYO_FILE.read_text()
    text = text[: text.index("statements:")]
    assert SRI_LINE in text
    return text.replace(SRI_LINE, "").encode()


@pytest.fixture
def second_round(client, creator_client) -> Round:
    """Round 2 (a draft) carrying every item of development round 1, which asked vortioxetine and vilazodone."""
    upload = SimpleUploadedFile("mayo.yaml", the_study_before_the_merge())
    post(client, reverse("surveys:study_new"), {"file": upload, "slug": SLUG})
    content = reverse("vignettes:study_content", kwargs={"slug": SLUG})
    for code, name in (("vortioxetine", "Vortioxetine"), ("vilazodone", "Vilazodone")):
        post(client, content, {"kind": "option", "option-code": code, "option-name": name, "option-short": name,
                               "option-group": "switch"})
    post(client, reverse("surveys:round_new", kwargs={"slug": SLUG}), {"kind": "development"})
    study = Round.objects.get(study__slug=SLUG).study
    everything = {
        "vignettes": list(study.vignettes.values_list("pk", flat=True)),
        "options": list(study.options.values_list("pk", flat=True)),
    }
    post(client, url("matrix_add", 1), {f"matrix-{k}": v for k, v in {"item_type": "categorical", **everything}.items()})
    post(client, url("matrix_add", 1),
         {f"matrix-{k}": v for k, v in {"item_type": "top_k", "max_choices": 3, **everything}.items()})
    post(client, url("round_open", 1), {"deadline": ""})
    post(client, url("round_close", 1), {})
    post(client, url("round_next", 1), {"mode": "all", "kind": "development"})
    return Round.objects.get(study=study, number=2)


def merge_form(study, **changes) -> dict:
    pair = list(study.options.filter(code__in=["vortioxetine", "vilazodone"]).values_list("pk", flat=True))
    return {"merge": pair, **SRI, **changes}


def test_two_options_become_one_in_the_next_round_with_every_item_keeping_its_lineage(client, second_round):
    study = second_round.study
    assert second_round.items.filter(type="categorical").count() == 7 * 12

    response = client.post(url("round_options_merge", 2), merge_form(study))

    assert response.status_code == 302 and response["Location"] == url("round_manage", 2)
    sri = Option.objects.get(study=study, code="sri")
    assert (sri.short, sri.group) == ("SRI not yet tried", "switch")
    assert set(sri.merged_from.values_list("code", flat=True)) == {"vortioxetine", "vilazodone"}
    # Per vignette the two 4-point items are one, continuing both of round 1's.
    assert second_round.items.filter(type="categorical").count() == 7 * 11
    for vignette in study.vignettes.all():
        item = second_round.items.get(code=f"{vignette.code}-sri")
        assert item.text == f"How would you rate {SRI['name']} as the next treatment for this patient?"
        assert list(item.item_options.values_list("option__code", flat=True)) == ["sri"]
        assert sorted(
            (link.parent.round.number, link.parent.code, link.operation) for link in ItemLink.objects.filter(child=item)
        ) == [
            (1, f"{vignette.code}-vilazodone", "merged"),
            (1, f"{vignette.code}-vortioxetine", "merged"),
        ]
        # The top-3 item offers the merged option in place of the two, and is still carried.
        top = second_round.items.get(code=f"{vignette.code}:top-k")
        offered = list(top.item_options.order_by("position").values_list("option__code", flat=True))
        assert "sri" in offered and not {"vortioxetine", "vilazodone"} & set(offered) and len(offered) == 11
        assert ItemLink.objects.get(child=top).operation == "carried"
    # Round 1 is as the panel answered it.
    first = Round.objects.get(study=study, number=1)
    assert first.items.filter(type="categorical").count() == 7 * 12
    assert not first.items.filter(item_options__option=sri).exists()
    event = AuditEvent.objects.get(action="merge", detail__option="sri")
    assert event.actor.username == "creator"
    assert event.summary == (
        "Merged options vortioxetine, vilazodone into sri in round 2: 14 items asked per option became 7, "
        "7 items offer sri instead"
    )


def test_the_merged_round_opens_and_a_panelist_answers_the_merged_items(client, second_round):
    client.post(url("round_options_merge", 2), merge_form(second_round.study))
    panelist = UserFactory(username="dr1")
    MembershipFactory(study=second_round.study, user=panelist, role=Membership.Role.PANELIST)
    post(client, url("round_open", 2), {"deadline": ""})

    client.force_login(panelist)
    page = client.get(reverse("surveys:vote", kwargs={"slug": SLUG, "number": 2})).content.decode()

    assert page.count(f"How would you rate {SRI['name']}") == 7
    asked = {int(pk) for pk in re.findall(r'name="item-(\d+)"', page)}
    assert asked == set(second_round.items.values_list("pk", flat=True))
    assert not second_round.items.filter(item_options__option__code__in=["vortioxetine", "vilazodone"]).exists()


def test_merging_a_single_option_is_refused_at_the_field_and_changes_nothing(client, second_round):
    study = second_round.study
    before = list(second_round.items.values_list("pk", "code", "text"))
    form = merge_form(study)
    form["merge"] = form["merge"][:1]

    response = client.post(url("round_options_merge", 2), form)

    assert response.status_code == 400
    assert "Tick at least two options to merge." in response.content.decode()
    assert not Option.objects.filter(study=study, code="sri").exists()
    assert list(second_round.items.values_list("pk", "code", "text")) == before


def test_a_code_the_study_already_has_is_refused_at_the_code_field(client, second_round):
    response = client.post(url("round_options_merge", 2), merge_form(second_round.study, code="tms"))

    assert response.status_code == 400
    page = response.content.decode()
    assert "This study already has tms." in page
    assert Option.objects.filter(study=second_round.study).count() == 12


def test_options_of_a_round_that_is_open_cannot_be_merged(client, second_round):
    study = second_round.study
    round_open(round=second_round)

    response = client.post(url("round_options_merge", 2), merge_form(study))

    assert response.status_code == 409
    assert "only a draft round" in response.content.decode()
    assert not Option.objects.filter(study=study, code="sri").exists()
    assert second_round.items.filter(type="categorical").count() == 7 * 12


@pytest.mark.parametrize("who", ["outsider", "panelist", "analyst"])
def test_only_the_studys_facilitators_merge_options(client, second_round, who):
    # Not "creator": that is the account that created the study (creator_client).
    user = UserFactory(username=f"another-{who}")
    if who != "outsider":
        MembershipFactory(study=second_round.study, user=user, role=who)
    client.force_login(user)

    assert client.get(url("round_options_merge", 2)).status_code == 404
    assert client.post(url("round_options_merge", 2), merge_form(second_round.study)).status_code == 404
    assert not Option.objects.filter(code="sri").exists()


def test_the_merge_page_takes_only_get_and_post(client, second_round):
    assert client.get(url("round_options_merge", 2)).status_code == 200
    assert client.put(url("round_options_merge", 2)).status_code == 405


def test_a_merge_takes_as_many_queries_for_seven_vignettes_as_for_two(client, second_round):
    study = second_round.study

    def queries(round_: Round, form: dict) -> int:
        with CaptureQueriesContext(connection) as captured:
            post(client, url("round_options_merge", round_.number), form)
        return len(captured)

    seven = queries(second_round, merge_form(study))
    # Round 3 asks two vignettes only, and merges two other options.
    round_open(round=second_round)
    round_close(round=second_round)
    post(client, url("round_next", 2), {"mode": "all", "kind": "development",
                                        "drop": list(study.vignettes.exclude(code__in=["base", "cad"])
                                                     .values_list("pk", flat=True))})
    third = Round.objects.get(study=study, number=3)
    assert third.items.filter(type=Item.Type.CATEGORICAL).count() == 2 * 11
    pair = list(study.options.filter(code__in=["tca", "maoi"]).values_list("pk", flat=True))
    two = queries(third, {"merge": pair, "code": "older", "name": "TCA or MAO-I", "short": "TCA or MAO-I",
                          "group": "switch"})

    assert seven == two
