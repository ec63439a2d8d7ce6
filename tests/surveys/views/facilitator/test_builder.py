"""The study builder's pages: an empty study with its rule in words, and a draft round's items edited or removed."""

import re

import pytest
from django.urls import reverse

from surveys.models import AuditEvent, Item, ItemLink, Membership, Round, Study
from surveys.services.rounds import round_open
from tests.analysis.panels import close, rate
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

CREATE = reverse("surveys:study_create")
NEW_STUDY = {
    "slug": "trd-next-step",
    "title": "Next-step treatment options for TRD",
    "description": "",
    "scale_min": 1,
    "scale_neutral": 5,
    "scale_max": 9,
    "consensus_rule": "mayo",
    "consensus_params": '{"above_neutral": 5, "mean_above": 7}',
    "not_recommended_threshold": 50,
}


# -- an empty study ----------------------------------------------------------------


def test_the_new_study_page_says_the_default_rule_in_words(creator_client):
    page = creator_client.get(CREATE).content.decode()

    assert "all ratings above 5 and a mean above 7" in page
    assert 'name="slug"' in page and 'name="not_recommended_threshold"' in page


def test_a_preview_describes_the_chosen_rule_and_saves_nothing(creator_client):
    response = creator_client.post(
        CREATE, {**NEW_STUDY, "consensus_rule": "percent", "consensus_params": '{"percent": 80}', "preview": "1"}
    )

    assert response.status_code == 200
    assert "at least 80% of ratings 7 or higher" in response.content.decode()
    assert not Study.objects.exists()


def test_a_facilitator_creates_an_empty_study_and_becomes_its_facilitator(creator_client):
    response = creator_client.post(CREATE, {**NEW_STUDY, "not_recommended_threshold": "60"})

    study = Study.objects.get(slug="trd-next-step")
    assert response.status_code == 302
    assert response["Location"] == reverse("vignettes:study_content", kwargs={"slug": study.slug})
    assert (study.consensus_rule, study.consensus_params, study.not_recommended_threshold) == (
        "mayo", {"above_neutral": 5, "mean_above": 7}, 60
    )
    assert Membership.objects.get(study=study).role == "facilitator"
    event = AuditEvent.objects.get(study=study)
    assert (event.action, event.actor.username, event.summary) == ("create", "creator", "Created the study")


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"consensus_params": '{"colour": 1}'}, "consensus_params", "colour"),
        ({"scale_neutral": 9}, "scale_neutral", "min &lt; neutral &lt; max"),
        ({"slug": "not a slug"}, "slug", "Enter a valid “slug”"),
        ({"not_recommended_threshold": 0}, None, "threshold"),
    ],
)
def test_bad_settings_are_refused_at_their_field_and_create_nothing(creator_client, changes, field, message):
    response = creator_client.post(CREATE, {**NEW_STUDY, **changes})

    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    if field:
        assert f'id="error_1_id_{field}"' in page
    assert not Study.objects.exists() and not AuditEvent.objects.exists()


def test_a_slug_that_is_taken_is_refused_at_the_slug_field(creator_client, study):
    response = creator_client.post(CREATE, {**NEW_STUDY, "slug": study.slug})

    assert response.status_code == 400
    assert "Study with this Slug already exists." in response.content.decode()
    assert Study.objects.count() == 1


def test_the_new_study_page_needs_a_signed_in_user_and_only_get_or_post(client, creator_client):
    assert creator_client.put(CREATE).status_code == 405
    creator_client.logout()
    assert client.get(CREATE).status_code == 302


def test_an_empty_study_is_built_page_by_page_and_its_first_round_opens(creator_client):
    creator_client.post(CREATE, NEW_STUDY)
    slug = NEW_STUDY["slug"]
    content = reverse("vignettes:study_content", kwargs={"slug": slug})
    assert creator_client.post(content, {"kind": "vignette", "vignette-code": "base", "vignette-title": "Base",
                                      "vignette-text": "Ms X is a 30-year-old woman ..."}).status_code == 302
    assert creator_client.post(content, {"kind": "option", "option-code": "tms", "option-name": "TMS",
                                      "option-short": "TMS", "option-group": "add"}).status_code == 302
    new_round = reverse("surveys:round_new", kwargs={"slug": slug})
    assert creator_client.post(new_round, {"kind": "consensus"}).status_code == 302
    study = Study.objects.get(slug=slug)
    base, tms = study.vignettes.get(), study.options.get()
    statement = {"vignette": base.pk, "code": "base-main", "options": [tms.pk],
                 "text": "TMS would be my main choice(s) as the next treatment recommendation for this patient."}
    assert creator_client.post(reverse("surveys:statement_add", kwargs={"slug": slug, "number": 1}),
                            statement).status_code == 302
    assert creator_client.post(reverse("surveys:round_open", kwargs={"slug": slug, "number": 1}),
                            {"deadline": ""}).status_code == 302

    round_ = study.rounds.get()
    assert round_.status == Round.Status.OPEN
    assert list(round_.items.values_list("code", "item_options__option__code")) == [("base-main", "tms")]
    assert list(study.audit_events.order_by("created", "pk").values_list("action", flat=True)) == [
        "create", "edit", "edit", "edit", "edit", "open"
    ]


# -- a draft round's items ------------------------------------------------------------


def item_url(item: Item, name: str = "round_item_edit") -> str:
    round_ = item.round
    return reverse(f"surveys:{name}", kwargs={"slug": round_.study.slug, "number": round_.number, "pk": item.pk})


def option_ids(study, *codes) -> list[int]:
    return [study.options.get(code=code).pk for code in codes]


def test_the_edit_page_shows_the_item_with_its_options_ticked(mayo_facilitator_client, mayo_study):
    item = mayo_study.rounds.get().items.get(code="base-main")

    page = mayo_facilitator_client.get(item_url(item)).content.decode()

    assert item.text in page
    ticked = re.findall(r'name="options" value="(\d+)"\s+id="[^"]+" checked', page)
    assert sorted(map(int, ticked)) == sorted(option_ids(mayo_study, "sga", "tms", "ketamine"))
    assert reverse("surveys:round_item_remove", kwargs={"slug": mayo_study.slug, "number": 1, "pk": item.pk}) in page


def test_a_facilitator_rewords_a_statement_and_changes_the_options_it_names(mayo_facilitator_client, mayo_study):
    item = mayo_study.rounds.get().items.get(code="base-main")
    text = "TMS or ECT would be my main choice(s) as the next treatment recommendation for this patient."

    response = mayo_facilitator_client.post(item_url(item), {"text": text, "options": option_ids(mayo_study, "ect", "tms")})

    assert response.status_code == 302
    item.refresh_from_db()
    assert item.text == text
    # TMS keeps its place in the statement; ECT, new, follows.
    assert list(item.item_options.order_by("position").values_list("option__code", flat=True)) == ["tms", "ect"]
    assert AuditEvent.objects.get(action="edit").summary == "Edited the text and options of item base-main in round 1"


def test_saving_an_unchanged_item_records_nothing(mayo_facilitator_client, mayo_study):
    item = mayo_study.rounds.get().items.get(code="base-main")

    mayo_facilitator_client.post(item_url(item), {"text": item.text, "options": option_ids(mayo_study, "sga", "tms", "ketamine")})

    assert not AuditEvent.objects.exists()


def test_rewording_a_carried_item_marks_its_lineage_reworded_and_the_old_words_mark_it_carried_again(
    mayo_facilitator_client, mayo_study
):
    first = mayo_study.rounds.get()
    rate(first, {"base-main": [9, 9, 8, 8, 8], "cad-main": [9, 9, 9, 9, 5]})
    close(first)
    mayo_facilitator_client.post(reverse("surveys:round_next", kwargs={"slug": mayo_study.slug, "number": 1}),
                    {"mode": "all", "kind": "consensus"})
    carried = Round.objects.get(study=mayo_study, number=2).items.get(code="cad-main")
    words, options = carried.text, option_ids(mayo_study, "sga", "tms", "sri")

    mayo_facilitator_client.post(item_url(carried), {"text": "Reworded after the discussion.", "options": options})
    assert ItemLink.objects.get(child=carried).operation == "reworded"

    mayo_facilitator_client.post(item_url(carried), {"text": words, "options": options})
    assert ItemLink.objects.get(child=carried).operation == "carried"


@pytest.mark.parametrize(
    "code, data, field, message",
    [
        ("base-main", {"text": "  "}, "text", "This field is required."),
        ("base:not-recommended", {"text": "Which would you not recommend?"}, "options", "This field is required."),
    ],
)
def test_bad_edits_are_refused_at_their_field_and_change_nothing(mayo_facilitator_client, mayo_study, code, data, field, message):
    item = mayo_study.rounds.get().items.get(code=code)
    before = (item.text, list(item.item_options.values_list("option_id", flat=True)))

    response = mayo_facilitator_client.post(item_url(item), data)

    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="error_1_id_{field}"' in page and message in page
    item.refresh_from_db()
    assert (item.text, list(item.item_options.values_list("option_id", flat=True))) == before
    assert not AuditEvent.objects.exists()


def test_a_top_3_item_must_offer_at_least_three_options(client, facilitator, study):
    from tests.factories import round_with_every_item_type

    top = round_with_every_item_type(study, status=Round.Status.DRAFT).items.get(code="top")
    client.force_login(facilitator)

    response = client.post(item_url(top), {"text": top.text, "options": [top.item_options.first().option_id]})

    assert response.status_code == 400
    assert "Offer at least 2 options: each panelist picks up to 2." in response.content.decode()
    assert top.item_options.count() == 3


def test_the_items_of_an_open_round_stay_as_they_are(mayo_facilitator_client, mayo_study):
    round_ = round_open(round=mayo_study.rounds.get())
    item = round_.items.get(code="base-main")

    edit = mayo_facilitator_client.post(item_url(item), {"text": "Changed.", "options": option_ids(mayo_study, "tms")})
    remove = mayo_facilitator_client.post(item_url(item, "round_item_remove"))

    assert edit.status_code == remove.status_code == 409
    assert "only a draft round" in edit.content.decode()
    item.refresh_from_db()
    assert item.text != "Changed." and item.item_options.count() == 3
    assert not AuditEvent.objects.exclude(action="open").exists()


def test_a_facilitator_removes_an_item_from_a_draft_round(mayo_facilitator_client, mayo_study):
    round_ = mayo_study.rounds.get()
    item = round_.items.get(code="cad:comment")

    response = mayo_facilitator_client.post(item_url(item, "round_item_remove"))

    assert response.status_code == 302
    assert response["Location"] == reverse("surveys:round_manage", kwargs={"slug": mayo_study.slug, "number": 1})
    assert not round_.items.filter(code="cad:comment").exists() and round_.items.count() == 20
    assert AuditEvent.objects.get().summary == "Removed item cad:comment from round 1"


def test_removing_asks_first_and_only_a_post_removes(mayo_facilitator_client, mayo_study):
    item = mayo_study.rounds.get().items.first()

    page = mayo_facilitator_client.get(item_url(item, "round_item_remove"))

    assert page.status_code == 200
    text = page.content.decode()
    assert f"Remove item {item.code} from round 1?" in text and 'method="post"' in text
    assert mayo_study.rounds.get().items.filter(pk=item.pk).exists()
    assert mayo_facilitator_client.put(item_url(item, "round_item_remove")).status_code == 405
    assert mayo_facilitator_client.put(item_url(item)).status_code == 405


def test_an_item_of_another_study_is_not_found(mayo_facilitator_client, mayo_study, study):
    from tests.factories import ItemFactory, RoundFactory

    stranger = ItemFactory(round=RoundFactory(study=study, number=1))
    url = reverse("surveys:round_item_edit", kwargs={"slug": mayo_study.slug, "number": 1, "pk": stranger.pk})

    assert mayo_facilitator_client.get(url).status_code == 404
    assert mayo_facilitator_client.post(url, {"text": "Hijacked."}).status_code == 404
    stranger.refresh_from_db()
    assert stranger.text != "Hijacked."


@pytest.mark.parametrize("who", ["outsider", "panelist", "analyst"])
def test_only_the_studys_facilitators_edit_or_remove_items(client, mayo_study, who):
    user = UserFactory(username=who)
    if who != "outsider":
        MembershipFactory(study=mayo_study, user=user, role=who)
    client.force_login(user)
    item = mayo_study.rounds.get().items.get(code="base-main")

    assert client.get(item_url(item)).status_code == 404
    assert client.post(item_url(item), {"text": "Changed."}).status_code == 404
    assert client.post(item_url(item, "round_item_remove")).status_code == 404
    item.refresh_from_db()
    assert item.text != "Changed."
    assert not AuditEvent.objects.exists()


def test_a_facilitator_reorders_the_items_of_a_draft(mayo_facilitator_client, mayo_study):
    round_ = mayo_study.rounds.get()
    first, second = list(round_.items.order_by("position", "pk"))[:2]

    response = mayo_facilitator_client.post(item_url(second, "round_item_move"), {"direction": "up"})

    assert response.status_code == 302 and response["Location"].endswith(f"#item-{second.pk}")
    assert list(round_.items.order_by("position").values_list("pk", flat=True))[:2] == [second.pk, first.pk]
    assert mayo_facilitator_client.post(item_url(second, "round_item_move"), {"direction": "sideways"}).status_code == 400


def test_items_of_a_round_that_has_opened_stay_in_their_order(mayo_facilitator_client, mayo_study):
    from surveys.services.rounds import round_open

    round_ = round_open(round=mayo_study.rounds.get())
    order = list(round_.items.order_by("position").values_list("pk", flat=True))

    mayo_facilitator_client.post(item_url(round_.items.get(pk=order[1]), "round_item_move"), {"direction": "up"})

    assert list(round_.items.order_by("position").values_list("pk", flat=True)) == order


def test_the_round_page_gives_every_control_an_id_of_its_own(mayo_facilitator_client, mayo_study):
    """Both forms have an "options" field: unprefixed, a matrix label ticked the statement form's box."""
    url = reverse("surveys:round_manage", kwargs={"slug": mayo_study.slug, "number": 1})
    page = mayo_facilitator_client.get(url).content.decode()

    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})[:5]
    for target in re.findall(r'<label[^>]*\sfor="([^"]+)"', page):
        assert ids.count(target) == 1, target
    assert 'name="matrix-options"' in page and 'name="options"' in page
