"""The Mayo process, driven through the facilitator's and panelists' pages, each step checked in the database.

A development round (4-point ratings and top-3 choices), statements drafted
from the top choices, a consensus round, a second consensus round carrying
only the statements without consensus, and results released.
"""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from surveys.models import Item, ItemLink, Round, Submission
from tests.conftest import MAYO_FILE
from tests.factories import allow_study_creation

pytestmark = pytest.mark.django_db

PANEL = [f"dr{i}@example.org" for i in range(1, 11)]


def the_study_file_without_statements() -> bytes:
    text = MAYO_FILE.read_text()
    return text[: text.index("statements:")].encode()


def matrix(data: dict) -> dict:
    """The matrix form's fields, prefixed as the round's page names them."""
    return {f"matrix-{name}": value for name, value in data.items()}


def step(client, name: str, *, data=None, **kwargs):
    response = client.post(reverse(f"surveys:{name}", kwargs={"slug": "mayo-e2e", **kwargs}), data or {})
    assert response.status_code == 302, (name, response.status_code, response.content.decode()[-2000:])
    return response


def vote(client, user, round_: Round, answer) -> None:
    """A panelist answers every item of the round through the voting page and submits."""
    client.force_login(user)
    data = {"action": "submit"}
    for item in round_.items.prefetch_related("item_options"):
        options = [link.option_id for link in item.item_options.all()]
        value = answer(item, options)
        if value is not None:
            data[f"item-{item.pk}"] = value
    response = client.post(reverse("surveys:vote", kwargs={"slug": "mayo-e2e", "number": round_.number}), data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert not response["Location"].startswith(reverse("login")), "the panelist was not signed in"


def test_the_whole_mayo_process_through_the_pages(client, django_capture_on_commit_callbacks):
    facilitator = get_user_model().objects.create_user("fellow", "fellow@example.org", "a-long-test-password")
    allow_study_creation(facilitator)
    client.force_login(facilitator)

    # The study: the Mayo vignettes and options, no statements yet.
    upload = SimpleUploadedFile("mayo.yaml", the_study_file_without_statements())
    response = client.post(reverse("surveys:study_new"), {"file": upload, "slug": "mayo-e2e"})
    assert response.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        step(client, "study_invitations", data={"emails": "\n".join(PANEL), "role": "panelist"})
    panel = list(get_user_model().objects.filter(email__in=PANEL).order_by("email"))
    assert len(panel) == 10
    # Each psychiatrist follows the link in their mail and chooses a password.
    for message in mail.outbox:
        link = re.search(r"https?://\S+(/invitations/\S+/)", message.body).group(1)
        client.logout()
        chosen = {"new_password1": "a-long-test-password", "new_password2": "a-long-test-password"}
        assert client.post(link, chosen).status_code == 302
    # Read again: each has a password now, which a signed-in session is checked against.
    panel = list(get_user_model().objects.filter(email__in=PANEL).order_by("email"))
    client.force_login(facilitator)

    # Round 1, development: the 4-point rating of every option and the top 3, per vignette.
    step(client, "round_new", data={"kind": "development"})
    everything = {
        "vignettes": list(Round.objects.get().study.vignettes.values_list("pk", flat=True)),
        "options": list(Round.objects.get().study.options.values_list("pk", flat=True)),
    }
    step(client, "matrix_add", number=1, data=matrix({"item_type": "categorical", **everything}))
    step(client, "matrix_add", number=1, data=matrix({"item_type": "top_k", "max_choices": 3, **everything}))
    development = Round.objects.get(number=1)
    assert development.items.filter(type="categorical").count() == 77
    assert development.items.filter(type="top_k").count() == 7
    step(client, "round_open", number=1, data={"deadline": ""})

    study = development.study
    codes = dict(study.options.values_list("pk", "code"))
    ids = {code: pk for pk, code in codes.items()}

    def development_answers(item, options):
        if item.type == Item.Type.CATEGORICAL:
            return "4" if codes[options[0]] in ("tms", "sga", "ketamine") else "2"
        return [str(ids["tms"]), str(ids["sga"]), str(ids["ketamine"])]

    for panelist in panel:
        vote(client, panelist, development, development_answers)
    client.force_login(facilitator)
    step(client, "round_close", number=1)
    assert Submission.objects.filter(round=development).count() == 10

    # Statements drafted from the top choices make round 2, a consensus round.
    page = client.get(reverse("surveys:round_next", kwargs={"slug": "mayo-e2e", "number": 1})).content.decode()
    # Every panelist chose the same three, so they are listed in the study's option order.
    assert "Augmentation with SGA, Ketamine/esketamine, or TMS would be my main choice(s)" in page
    drafts = dict(re.findall(r'name="(draft_text_\d+)"[^>]*>([^<]*)</textarea>', page))
    assert len(drafts) == 7
    chosen = {name.replace("text", "options"): [str(ids[c]) for c in ("sga", "tms", "ketamine")] for name in drafts}
    step(client, "round_next", number=1,
         data={"mode": "new_only", "kind": "consensus", **{k: v.strip() for k, v in drafts.items()}, **chosen})
    consensus = Round.objects.get(number=2)
    assert consensus.kind == "consensus"
    assert consensus.items.filter(type="likert").count() == 7
    step(client, "matrix_add", number=2, data=matrix({"item_type": "not_recommended", **everything}))
    step(client, "round_open", number=2, data={"deadline": ""})

    # Every panelist agrees strongly on the base statement; one rates the CAD statement 5.
    def consensus_answers(item, options, *, rater):
        if item.type == Item.Type.LIKERT:
            return "5" if item.code == "cad-main" and rater == 0 else "8"
        if item.type == Item.Type.NOT_RECOMMENDED:
            return [str(ids["maoi"])]
        return None

    for number, panelist in enumerate(panel):
        vote(client, panelist, consensus, lambda item, options, rater=number: consensus_answers(item, options, rater=rater))
    client.force_login(facilitator)
    step(client, "round_close", number=2)

    # Round 3 carries only the statement without consensus, with its lineage.
    step(client, "round_next", number=2, data={"mode": "no_consensus", "kind": "consensus"})
    third = Round.objects.get(number=3)
    likert = list(third.items.filter(type="likert"))
    assert [item.code for item in likert] == ["cad-main"]
    link = ItemLink.objects.get(child=likert[0])
    assert (link.parent.round.number, link.parent.code, link.operation) == (2, "cad-main", "carried")
    assert third.items.filter(type="not_recommended", vignette__code="cad").exists()
    assert not third.items.filter(vignette__code="base").exists()

    # Results of round 2 go back to the panel.
    step(client, "round_release", number=2)
    consensus.refresh_from_db()
    assert consensus.results_released_at is not None
    client.force_login(panel[0])
    assert client.get(reverse("surveys:results", kwargs={"slug": "mayo-e2e", "number": 2})).status_code == 200
    actions = list(study.audit_events.order_by("created", "pk").values_list("action", flat=True))
    assert actions.count("invite") == 10 and actions.count("close") == 2 and actions[-1] == "release"
