"""The load test's own tools: its setup builds open studies, and its check catches a lost or altered answer."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from surveys.models import Answer, Item, Round
from tests.factories import count
from tests.load import setup, verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def voted(tmp_path, client):
    """Two studies of two panelists; the first panelist submits the whole round."""
    accounts = tmp_path / "accounts.json"
    call_command(setup.Command(), "--studies", "2", "--panelists", "2", "--output", str(accounts))
    account = json.loads(accounts.read_text())[0]
    round_ = Round.objects.get(study__slug=account["study"], number=1)
    sent = {}
    for item in round_.items.prefetch_related("item_options"):
        if item.type == Item.Type.NOT_RECOMMENDED:
            sent[str(item.pk)] = sorted(link.option_id for link in item.item_options.all())[:2]
        elif item.type == Item.Type.LIKERT:
            sent[str(item.pk)] = 8
    client.force_login(get_user_model().objects.get(username=account["username"]))
    response = client.post(
        reverse("surveys:vote", args=[account["study"], 1]),
        {**{f"item-{pk}": value for pk, value in sent.items()}, "action": "submit"},
    )
    assert response.status_code == 302
    record = tmp_path / "sent.json"
    record.write_text(json.dumps([{**account, "round": 1, "answers": sent}]))
    return str(record)


def test_setup_opens_round_one_of_each_study_for_its_panel(voted):
    assert Round.objects.filter(number=1, status=Round.Status.OPEN).count() == 2
    assert get_user_model().objects.filter(username__startswith="load").count() == 4


def test_the_check_closes_the_rounds_and_passes_when_every_answer_is_the_last_one_sent(voted, capsys):
    call_command(verify.Command(), voted, "--panelists", "1")

    assert "problems: 0" in capsys.readouterr().out
    assert Round.objects.get(study__slug=json.loads(open(voted).read())[0]["study"]).status == Round.Status.CLOSED


def count_every_round():
    for round_ in Round.objects.filter(status=Round.Status.OPEN):
        count(round_)


def test_the_check_fails_on_an_altered_answer(voted):
    count_every_round()
    answer = Answer.objects.filter(rating=8).first()
    answer.rating = 7
    answer.save()

    with pytest.raises(CommandError, match="lost, doubled or altered"):
        call_command(verify.Command(), voted, "--panelists", "1")


def test_the_check_fails_on_a_lost_answer(voted):
    count_every_round()
    Answer.objects.filter(rating=8).first().delete()

    with pytest.raises(CommandError, match="lost, doubled or altered"):
        call_command(verify.Command(), voted, "--panelists", "1")


def test_the_check_fails_when_a_panelist_never_finished(voted):
    with pytest.raises(CommandError):
        call_command(verify.Command(), voted, "--panelists", "2")
