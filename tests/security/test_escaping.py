"""HTML and script typed into the study are shown as text, on every page and in every chart.

Each field gets its own payload, tagged with the field's name, so that a
failure says which field leaked where. The payload closes an attribute and
opens a script element, so it would break out of a tag's attribute as well
as out of text. The study goes through the pages a person uses: uploaded on
the "new study" page, voted on, closed, released, carried into a second
round whose item a facilitator rewords.
"""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from surveys.models import Item, Membership, Round, Study
from surveys.services.lineage import round_create_next
from surveys.services.rounds import round_open
from tests.factories import MembershipFactory, UserFactory, allow_study_creation

pytestmark = pytest.mark.django_db

SLUG = "hostile"
FIELDS = (
    "study_title", "vignette_title", "vignette_text", "variation_title", "variation_change",
    "option_name", "option_short", "statement_text", "comment", "item_text", "reminder_message",
)


def payload(field: str) -> str:
    return f'"><script>{field}()</script>'


def escaped(field: str) -> str:
    return f"&quot;&gt;&lt;script&gt;{field}()&lt;/script&gt;"


def study_file() -> dict:
    return {
        "slug": SLUG,
        "title": payload("study_title"),
        "options": [
            {"code": "tms", "name": payload("option_name"), "short": payload("option_short"), "group": "add"},
            {"code": "ect", "name": "Electroconvulsive therapy", "short": "ECT", "group": "add"},
        ],
        "vignettes": [
            {"code": "base", "title": payload("vignette_title"), "text": payload("vignette_text")},
            {"code": "cad", "title": payload("variation_title"), "base": "base", "change": payload("variation_change")},
        ],
        "statements": [
            # One option each, so that the results page draws its heatmap.
            {"code": "base-main", "vignette": "base", "text": payload("statement_text"), "options": ["tms"]},
            {"code": "cad-main", "vignette": "cad", "text": payload("statement_text"), "options": ["tms"]},
        ],
    }


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def vote(client, round_: Round, *, comment: str):
    items = list(round_.items.prefetch_related("item_options"))
    data = {"action": "submit"}
    for item in items:
        if item.type == Item.Type.LIKERT:
            data[f"item-{item.pk}"] = "8"
        elif item.type == Item.Type.COMMENT:
            data[f"item-{item.pk}"] = comment
    url = reverse("surveys:vote", kwargs={"slug": SLUG, "number": round_.number})
    assert client.post(url, data).status_code == 302


@pytest.fixture
def people(db):
    return {
        "facilitator": allow_study_creation(UserFactory(username="hostile-facilitator")),
        "panelist": UserFactory(username="hostile-panelist"),
        "second": UserFactory(username="hostile-second"),
        "third": UserFactory(username="hostile-third"),
        "analyst": UserFactory(username="hostile-analyst"),
    }


@pytest.fixture
def hostile_study(people) -> Study:
    """Round 1 closed and released with a hostile comment; round 2 open, one item reworded with a payload."""
    facilitator = signed_in(people["facilitator"])
    upload = SimpleUploadedFile("hostile.json", json.dumps(study_file()).encode(), "application/json")
    response = facilitator.post(reverse("surveys:study_new"), {"file": upload})
    assert response.status_code == 302, response.content.decode()
    study = Study.objects.get(slug=SLUG)
    for role, who in [("panelist", "panelist"), ("panelist", "second"), ("panelist", "third"), ("analyst", "analyst")]:
        MembershipFactory(study=study, user=people[who], role=role)
    first = study.rounds.get(number=1)
    step = lambda name, number, data=None: facilitator.post(  # noqa: E731
        reverse(f"surveys:{name}", kwargs={"slug": SLUG, "number": number}), data or {}
    )
    assert step("round_open", 1).status_code == 302
    vote(signed_in(people["panelist"]), first, comment=payload("comment"))
    vote(signed_in(people["second"]), first, comment="A plain comment.")
    # A third, so that the panel reaches the study's minimum n and its comments are shown.
    vote(signed_in(people["third"]), first, comment="Another plain comment.")
    assert step("round_close", 1).status_code == 302
    assert step("round_release", 1).status_code == 302

    following = round_create_next(round=first, carry=set(first.items.values_list("pk", flat=True)))
    reworded = following.items.get(code="base-main")
    url = reverse("surveys:round_item_edit", kwargs={"slug": SLUG, "number": following.number, "pk": reworded.pk})
    response = facilitator.post(url, {"text": payload("item_text"), "options": [reworded.item_options.get().option_id]})
    assert response.status_code == 302, response.content.decode()
    round_open(round=following)
    return study


def page(user, name: str, **kwargs) -> str:
    query = kwargs.pop("query", "")
    response = signed_in(user).get(reverse(name, kwargs=kwargs) + query)
    assert response.status_code == 200, name
    return response.content.decode()


def assert_shown_escaped(content: str, fields: set[str], where: str):
    raw = [field for field in FIELDS if f"<script>{field}" in content]
    assert raw == [], f"{where} shows raw markup of {raw}"
    missing = sorted(field for field in fields if escaped(field) not in content)
    assert missing == [], f"{where} does not show {missing} (escaped)"


def test_the_panelists_pages_show_the_study_and_the_comments_as_text(hostile_study, people):
    panelist = people["panelist"]
    vignettes = {"study_title", "vignette_title", "vignette_text", "variation_title", "variation_change"}

    assert_shown_escaped(page(panelist, "surveys:home"), {"study_title"}, "home")
    assert_shown_escaped(
        page(panelist, "surveys:vote", slug=SLUG, number=2),
        vignettes | {"option_name", "statement_text", "item_text", "comment"},
        "round 2 voting page, with round 1's feedback",
    )
    assert_shown_escaped(
        page(panelist, "surveys:results", slug=SLUG, number=1),
        {"study_title", "vignette_title", "variation_title", "statement_text", "comment"},
        "round 1 results",
    )


def test_the_facilitators_pages_show_what_was_typed_as_text(hostile_study, people):
    facilitator = people["facilitator"]
    draft = Round.objects.create(study=hostile_study, number=3)
    item = hostile_study.rounds.get(number=2).items.get(code="base-main")

    pages = {
        "round 2 dashboard": (page(facilitator, "surveys:round_manage", slug=SLUG, number=2), {"study_title"}),
        "round 1 next-round page": (
            page(facilitator, "surveys:round_next", slug=SLUG, number=1),
            {"study_title", "statement_text", "vignette_title", "variation_title"},
        ),
        "content page": (
            page(facilitator, "vignettes:study_content", slug=SLUG),
            {"study_title", "vignette_title", "vignette_text", "variation_title", "variation_change", "option_name",
             "option_short"},
        ),
        "history": (page(facilitator, "surveys:history", slug=SLUG), {"study_title"}),
        "settings": (page(facilitator, "surveys:study_settings", slug=SLUG), {"study_title"}),
        "invitations": (page(facilitator, "surveys:study_invitations", slug=SLUG), {"study_title"}),
        "item page": (
            page(facilitator, "surveys:round_item_edit", slug=SLUG, number=2, pk=item.pk),
            # The round is open, so the page shows the item, its lineage and no form.
            {"study_title", "vignette_title", "statement_text", "item_text"},
        ),
        "merge page": (
            page(facilitator, "surveys:round_options_merge", slug=SLUG, number=draft.number),
            {"study_title", "option_short"},
        ),
        "home": (page(facilitator, "surveys:home"), {"study_title"}),
    }
    for where, (content, fields) in pages.items():
        assert_shown_escaped(content, fields, where)


def test_the_results_page_and_its_charts_show_the_study_as_text(hostile_study, people):
    for reader in (people["analyst"], people["facilitator"]):
        assert_shown_escaped(
            page(reader, "analysis:results", slug=SLUG, query="?round=1"),
            {"study_title", "vignette_title", "variation_title", "statement_text", "option_short", "comment"},
            "analysis results",
        )
    svg = signed_in(people["analyst"]).get(reverse("analysis:figure", args=[SLUG, 1, "heatmap", "svg"]))

    assert svg.status_code == 200 and svg["Content-Type"].startswith("image/svg+xml")
    # In an SVG's text a quote needs no escape; the angle brackets do.
    content = svg.content.decode()
    for field in ("vignette_title", "variation_title", "option_short"):
        assert f'"&gt;&lt;script&gt;{field}()&lt;/script&gt;' in content, field
    assert "<script" not in content


def test_a_reminder_sent_back_with_an_error_shows_its_text_as_text(hostile_study, people):
    url = reverse("surveys:round_remind", kwargs={"slug": SLUG, "number": 2})

    response = signed_in(people["facilitator"]).post(url, {"note": payload("reminder_message") + " www.refused.example"})

    assert response.status_code == 400
    assert_shown_escaped(response.content.decode(), {"reminder_message"}, "reminder form")


def test_a_study_imported_by_the_command_is_shown_as_text(tmp_path, people):
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(study_file()))
    call_command("import_study", str(path))
    MembershipFactory(study=Study.objects.get(slug=SLUG), user=people["facilitator"], role=Membership.Role.FACILITATOR)

    assert_shown_escaped(
        page(people["facilitator"], "surveys:round_manage", slug=SLUG, number=1),
        {"study_title", "statement_text", "vignette_title"},
        "round 1 dashboard",
    )


# A file name cannot hold a slash, so its payload opens a tag with a handler instead of a script.
HOSTILE_FILE_NAME = '"><b onmouseover=alert(1)>hostile.json'
ESCAPED_FILE_NAME = "&quot;&gt;&lt;b onmouseover=alert(1)&gt;hostile.json"


def test_the_name_of_an_uploaded_file_is_shown_as_text_in_its_errors_and_in_the_history(people):
    facilitator = signed_in(people["facilitator"])
    url = reverse("surveys:study_new")

    bad = facilitator.post(url, {"file": SimpleUploadedFile(HOSTILE_FILE_NAME, b"slug: [unclosed")})
    assert bad.status_code == 400
    assert ESCAPED_FILE_NAME in bad.content.decode() and "<b onmouseover" not in bad.content.decode()

    good = SimpleUploadedFile(HOSTILE_FILE_NAME, json.dumps(study_file()).encode())
    assert facilitator.post(url, {"file": good}).status_code == 302
    history = page(people["facilitator"], "surveys:history", slug=SLUG)
    assert ESCAPED_FILE_NAME in history and "<b onmouseover" not in history
