"""Round N+1 from round N through the facilitator's page: carry, reword, merge, drop, add, with lineage."""

import re

import pytest
from django.urls import reverse

from surveys.models import AuditEvent, ItemLink, Membership, Round
from surveys.services.rounds import round_open
from tests.analysis.panels import close, rate
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def url(name: str, round_: Round) -> str:
    return reverse(f"surveys:{name}", kwargs={"slug": round_.study.slug, "number": round_.number})


@pytest.fixture
def round_one(mayo_study):
    """Mayo round 1, closed: base-main reached consensus, cad-main did not (a rating of 5)."""
    round_ = mayo_study.rounds.get(number=1)
    rate(round_, {"base-main": [9, 9, 8, 8, 8], "cad-main": [9, 9, 9, 9, 5]})
    return close(round_)


def next_round(round_one) -> Round:
    return Round.objects.get(study=round_one.study, number=2)


def form(**extra) -> dict:
    return {"mode": "all", "kind": "consensus", **extra}


def test_carrying_every_item_keeps_each_ones_lineage(mayo_facilitator_client, round_one):
    response = mayo_facilitator_client.post(url("round_next", round_one), form())

    second = next_round(round_one)
    assert response.status_code == 302 and response["Location"] == url("round_manage", second)
    assert second.status == Round.Status.DRAFT
    assert second.items.count() == round_one.items.count() == 21
    links = ItemLink.objects.filter(child__round=second)
    assert {(link.parent.code, link.child.code, link.operation) for link in links} == {
        (code, code, "carried") for code in round_one.items.values_list("code", flat=True)
    }
    carried = second.items.get(code="base-main")
    assert list(carried.item_options.values_list("option__code", flat=True)) == ["sga", "tms", "ketamine"]
    assert AuditEvent.objects.get(action="edit").summary.startswith("Drafted round 2 from round 1: 21 items")


def test_only_statements_without_consensus_go_forward_with_their_vignettes_items(mayo_facilitator_client, round_one):
    mayo_facilitator_client.post(url("round_next", round_one), form(mode="no_consensus"))

    codes = set(next_round(round_one).items.values_list("code", flat=True))
    assert "cad-main" in codes and {"cad:not-recommended", "cad:comment"} <= codes
    assert "base-main" not in codes and "base:not-recommended" not in codes
    # The five statements nobody rated have no consensus either.
    assert "sud-main" in codes


def test_a_reworded_statement_is_marked_reworded(mayo_facilitator_client, round_one):
    cad = round_one.items.get(code="cad-main")

    mayo_facilitator_client.post(url("round_next", round_one), form(**{f"reword_{cad.pk}": "TMS would be my main choice."}))

    link = ItemLink.objects.get(parent=cad)
    assert (link.operation, link.child.text) == ("reworded", "TMS would be my main choice.")
    assert ItemLink.objects.get(parent__code="base-main", child__round__number=2).operation == "carried"


def test_merged_items_become_one_with_every_parent_and_all_their_options(mayo_facilitator_client, round_one):
    base, sud = round_one.items.get(code="base-main"), round_one.items.get(code="sud-main")

    response = mayo_facilitator_client.post(
        url("round_next", round_one),
        form(mode="selected", carry=[str(base.pk), str(sud.pk)], merge=[str(base.pk), str(sud.pk)],
             merge_code="shared-main", merge_text="SGA, TMS, ketamine or an SRI not yet tried."),
    )

    assert response.status_code == 302
    (merged,) = next_round(round_one).items.all()
    assert merged.code == "shared-main"
    assert sorted(merged.parents.values_list("code", flat=True)) == ["base-main", "sud-main"]
    assert set(ItemLink.objects.filter(child=merged).values_list("operation", flat=True)) == {"merged"}
    assert list(merged.item_options.values_list("option__code", flat=True)) == ["sga", "tms", "ketamine", "sri"]
    assert AuditEvent.objects.get().action == "merge"


@pytest.mark.parametrize(
    "types, message",
    [
        (("likert", "comment"), "Only items of one type can be merged"),
        (("comment", "comment"), "Comment items cannot be merged"),
    ],
)
def test_a_merge_of_items_whose_answers_do_not_pool_is_refused_at_the_field(
    mayo_facilitator_client, round_one, types, message
):
    """Merging a statement with a comment item used to make the vignette's comment item vanish."""
    first = round_one.items.filter(type=types[0]).first()
    second = round_one.items.filter(type=types[1]).exclude(pk=first.pk).first()

    response = mayo_facilitator_client.post(
        url("round_next", round_one),
        form(merge=[str(first.pk), str(second.pk)], merge_code="merged", merge_text="One of the two."),
    )

    assert response.status_code == 409
    assert message in " ".join(response.context["form"].errors["merge"])
    assert not Round.objects.filter(number=2).exists()


def test_a_merged_item_may_not_take_the_code_of_another_line_of_items(mayo_facilitator_client, round_one):
    base, sud = round_one.items.get(code="base-main"), round_one.items.get(code="sud-main")
    data = form(mode="selected", merge=[str(base.pk), str(sud.pk)], merge_text="Either.")

    taken = mayo_facilitator_client.post(url("round_next", round_one), {**data, "merge_code": "cad-main"})
    kept = mayo_facilitator_client.post(url("round_next", round_one), {**data, "merge_code": "sud-main"})

    assert taken.status_code == 409
    assert "belongs to another item" in " ".join(taken.context["form"].errors["merge_code"])
    assert kept.status_code == 302
    assert list(next_round(round_one).items.values_list("code", flat=True)) == ["sud-main"]


def test_a_dropped_variation_is_not_carried(mayo_facilitator_client, round_one, mayo_study):
    sensitivity = mayo_study.vignettes.get(code="sensitivity")

    mayo_facilitator_client.post(url("round_next", round_one), form(drop=[str(sensitivity.pk)]))

    second = next_round(round_one)
    assert not second.items.filter(vignette=sensitivity).exists()
    assert second.items.count() == 18


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"mode": "selected"}, "carry", "Tick the items to carry forward."),
        ({"merge_code": "x", "merge_text": "y"}, None, None),
        ({"mode": "sometimes"}, "mode", "Select a valid choice."),
    ],
)
def test_a_bad_next_round_form_is_refused_at_its_field_and_drafts_nothing(
    mayo_facilitator_client, round_one, data, field, message
):
    if field is None:
        data = {**data, "merge": [str(round_one.items.get(code="base-main").pk)]}
        field, message = "merge", "Tick at least two items to merge."

    response = mayo_facilitator_client.post(url("round_next", round_one), form(**data))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert response.context["form"].has_error(field)
    assert not Round.objects.filter(number=2).exists()


def test_an_open_round_cannot_have_a_next_one_yet(mayo_facilitator_client, mayo_study):
    first = mayo_study.rounds.get(number=1)
    round_open(round=first)

    response = mayo_facilitator_client.post(url("round_next", first), form())

    assert response.status_code == 409
    assert "before preparing the next one" in response.content.decode()
    assert not Round.objects.filter(number=2).exists()


def test_the_next_round_is_drafted_once(mayo_facilitator_client, round_one):
    mayo_facilitator_client.post(url("round_next", round_one), form())

    response = mayo_facilitator_client.post(url("round_next", round_one), form())

    assert response.status_code == 409
    assert Round.objects.filter(study=round_one.study).count() == 2


def test_a_facilitator_adds_a_statement_to_the_draft(mayo_facilitator_client, round_one, mayo_study):
    mayo_facilitator_client.post(url("round_next", round_one), form())
    second = next_round(round_one)
    data = {
        "vignette": mayo_study.vignettes.get(code="cad").pk,
        "code": "cad-ect",
        "text": "ECT would be my main choice.",
        "options": [mayo_study.options.get(code="ect").pk],
    }

    assert mayo_facilitator_client.post(url("statement_add", second), data).status_code == 302
    added = second.items.get(code="cad-ect")
    assert (added.type, added.scale_max, list(added.item_options.values_list("option__code", flat=True))) == ("likert", 9, ["ect"])
    assert not added.parents.exists()

    again = mayo_facilitator_client.post(url("statement_add", second), data)
    assert again.status_code == 409
    assert second.items.filter(code="cad-ect").count() == 1
    assert mayo_facilitator_client.post(url("statement_add", second), {**data, "code": "not a slug"}).status_code == 400


@pytest.mark.parametrize("who", ["panelist", "outsider", "analyst"])
def test_only_the_studys_facilitators_prepare_rounds(client, round_one, who):
    user = UserFactory(username=who)
    if who != "outsider":
        MembershipFactory(study=round_one.study, user=user, role=who)
    client.force_login(user)

    assert client.get(url("round_next", round_one)).status_code == 404
    assert client.post(url("round_next", round_one), form()).status_code == 404
    assert not Round.objects.filter(number=2).exists()


def test_panelists_see_round_ones_results_beside_the_carried_statement(mayo_facilitator_client, round_one, client):
    mayo_facilitator_client.post(url("round_next", round_one), form())
    second = next_round(round_one)
    panelist = MembershipFactory(study=round_one.study, role=Membership.Role.PANELIST).user
    round_open(round=second)

    client.force_login(panelist)
    page = client.get(url("vote", second)).content.decode()

    assert "The panel in round 1 (n = 5)" in page


@pytest.fixture
def development_round(mayo_study):
    """A closed development round asking for the top 3 choices on the base and CAD vignettes, four panelists."""
    from tests.analysis.panels import panel, select, submit
    from tests.factories import ItemFactory

    round_ = Round.objects.create(study=mayo_study, number=2, kind=Round.Kind.DEVELOPMENT)
    for code in ("base", "cad"):
        item = ItemFactory(round=round_, code=f"{code}:top", type="top_k", max_choices=3, scale_min=None,
                           scale_max=None, vignette=mayo_study.vignettes.get(code=code))
        item.options.set(mayo_study.options.all())
    select(round_, "base:top", {"P01": ["tms", "sga", "ketamine"], "P02": ["tms", "ketamine"], "P03": ["sga", "tms"],
                                "P04": ["ect"]})
    select(round_, "cad:top", {"P01": ["tms"], "P02": ["sri", "tms"], "P03": ["sri"], "P04": ["ect"]})
    submit(round_, panel(mayo_study, 4))
    return close(round_)


def test_statements_are_drafted_from_the_top_choices_and_edited_before_the_consensus_round(
    mayo_facilitator_client, development_round, mayo_study
):
    page = mayo_facilitator_client.get(url("round_next", development_round))

    text = page.content.decode()
    assert "TMS, Augmentation with SGA, or Ketamine/esketamine would be my main choice(s)" in text
    # Tied at 50%, the options keep the study's order: top choices are equally recommended.
    assert "TMS or SRI not yet tried would be my main choice(s)" in text

    base, cad = mayo_study.vignettes.get(code="base"), mayo_study.vignettes.get(code="cad")
    ids = {o.code: str(o.pk) for o in mayo_study.options.all()}
    response = mayo_facilitator_client.post(
        url("round_next", development_round),
        form(mode="new_only", kind="consensus", **{
            f"draft_text_{base.pk}": "TMS or an SGA would be my main choice(s).",
            f"draft_options_{base.pk}": [ids["tms"], ids["sga"]],
            f"draft_text_{cad.pk}": "",
        }),
    )

    assert response.status_code == 302
    third = Round.objects.get(study=mayo_study, number=3)
    assert third.kind == "consensus"
    (statement,) = third.items.all()
    # Round 1 asked base-main with other words: the new statement is a new line of its own.
    assert (statement.code, statement.type, statement.text) == ("base-main-2", "likert", "TMS or an SGA would be my main choice(s).")
    assert not statement.parents.exists()
    assert list(statement.item_options.values_list("option__code", flat=True)) == ["tms", "sga"]


def test_nothing_ticked_is_refused_at_the_field_even_with_statements_drafted(
    mayo_facilitator_client, development_round, mayo_study
):
    """The drafted statements come filled in: "only the items ticked" with none ticked must not draft them alone."""
    response = mayo_facilitator_client.post(url("round_next", development_round), form(mode="selected"))

    assert response.status_code == 400
    assert response.context["form"].has_error("carry")
    assert not Round.objects.filter(study=mayo_study, number=3).exists()


def test_only_new_statements_needs_one_drafted(mayo_facilitator_client, development_round, mayo_study):
    blanks = {name: "" for _v, name, _o in
              [(None, f"draft_text_{v.pk}", None) for v in mayo_study.vignettes.all()]}

    response = mayo_facilitator_client.post(url("round_next", development_round), form(mode="new_only", **blanks))

    assert response.status_code == 400
    assert "Draft at least one new statement" in " ".join(response.context["form"].errors["mode"])
    assert not Round.objects.filter(study=mayo_study, number=3).exists()


def test_a_higher_share_drafts_fewer_options(mayo_facilitator_client, development_round):
    text = mayo_facilitator_client.get(url("round_next", development_round) + "?threshold=75").content.decode()

    assert "TMS would be my main choice(s)" in text
    assert "TMS, Augmentation with SGA" not in text


def test_a_drafted_round_can_be_deleted_and_drafted_again(mayo_facilitator_client, round_one):
    mayo_facilitator_client.post(url("round_next", round_one), form())
    mayo_facilitator_client.post(url("round_delete", next_round(round_one)))

    response = mayo_facilitator_client.post(url("round_next", round_one), form(mode="no_consensus"))

    assert response.status_code == 302
    assert next_round(round_one).items.count() < round_one.items.count()


def test_each_item_shows_its_full_text_verdict_median_iqr_and_n(mayo_facilitator_client, round_one):
    """round_one: base-main 9 9 8 8 8 (consensus), cad-main 9 9 9 9 5 (a 5: none)."""
    page = mayo_facilitator_client.get(url("round_next", round_one)).content.decode()

    rows = {
        re.search(r"<code>([^<]+)</code>", row).group(1): " ".join(re.sub(r"<[^>]+>", " ", row).split())
        for row in re.findall(r"<tr>.*?</tr>", page.split('round-results')[1].split("<tbody>")[1]
                              .split("</tbody>")[0], flags=re.S)
    }
    base = round_one.items.get(code="base-main")
    assert base.text in rows["base-main"]
    assert rows["base-main"].endswith("Consensus 8 8–9 5")
    assert rows["cad-main"].endswith("No consensus 9 9–9 5")
