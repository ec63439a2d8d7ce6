"""A database error in the middle of a submit (issue 6, part 2).

The failure is the database's own: a trigger refuses the last write of a
submit (the Submission row), after the answers have been written in the same
transaction. The panelist must get a clear message and their input back, and
the database must hold exactly what it held before the attempt.
"""

import re

import pytest
from django.db import OperationalError, connection

from surveys.models import Answer, AnswerOption, RoundCompletion, Submission
from surveys.services.participants import participant_for
from tests.factories import full_answers, items_by_code, vote_url

pytestmark = pytest.mark.django_db

def _refuse_inserts(table):
    """SQL for a trigger that makes the database itself refuse every insert into `table`."""
    return {
        "sqlite": [
            f"""CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table}
                BEGIN SELECT RAISE(ABORT, 'simulated disk failure'); END""",
        ],
        "postgresql": [
            f"""CREATE FUNCTION refuse_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'simulated disk failure' USING ERRCODE = 'disk_full'; END $$""",
            f"""CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table}
                FOR EACH ROW EXECUTE FUNCTION refuse_{table}()""",
        ],
    }[connection.vendor]


def _allow_inserts(table):
    return {
        "sqlite": [f"DROP TRIGGER refuse_{table}"],
        "postgresql": [f"DROP TRIGGER refuse_{table} ON {table}", f"DROP FUNCTION refuse_{table}()"],
    }[connection.vendor]


def _execute(statements):
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _stored(participant):
    return (
        list(
            Answer.objects.filter(participant=participant)
            .order_by("item__code")
            .values_list("item__code", "rating", "text")
        ),
        list(
            AnswerOption.objects.filter(answer__participant=participant)
            .order_by("answer__item__code", "option_id")
            .values_list("answer__item__code", "option_id", "rank")
        ),
        list(RoundCompletion.objects.values_list("status", flat=True)),
        Submission.objects.count(),
    )


def test_a_database_error_mid_submit_keeps_the_draft_and_gives_the_input_back(
    panelist_client, panelist, voting_round, caplog
):
    draft = full_answers(voting_round, action="save")
    assert panelist_client.post(vote_url(voting_round), draft).status_code == 302
    participant = participant_for(study=voting_round.study, user=panelist)
    before = _stored(participant)
    assert before[2:] == (["draft"], 0)

    changed = {**full_answers(voting_round), f"item-{items_by_code(voting_round)['likert'].pk}": "3"}
    changed[f"item-{items_by_code(voting_round)['comment'].pk}"] = "Changed my mind: lithium first."
    _execute(_refuse_inserts("surveys_submission"))
    response = panelist_client.post(vote_url(voting_round), changed)

    assert response.status_code == 503
    page = response.content.decode()
    assert "could not be saved because of a problem on our side" in page
    assert "Nothing of this attempt was stored" in page
    # The panelist's new input is on the page again, not the stored draft.
    assert "Changed my mind: lithium first." in page
    likert = items_by_code(voting_round)["likert"].pk
    checked = re.findall(rf'<input[^>]*name="item-{likert}"[^>]*>', page)
    assert [tag for tag in checked if "checked" in tag and 'value="3"' in tag], checked
    assert _stored(participant) == before
    assert "A vote could not be written" in caplog.text

    _execute(_allow_inserts("surveys_submission"))
    assert panelist_client.post(vote_url(voting_round), changed).status_code == 302
    answers = dict(Answer.objects.filter(participant=participant).values_list("item__code", "rating"))
    assert answers["likert"] == 3
    assert Submission.objects.count() == 1
    assert list(RoundCompletion.objects.values_list("status", flat=True)) == ["submitted"]


def test_a_database_error_while_saving_a_draft_stores_nothing_either(panelist_client, panelist, voting_round):
    _execute(_refuse_inserts("surveys_roundcompletion"))

    response = panelist_client.post(vote_url(voting_round), full_answers(voting_round, action="save"))

    assert response.status_code == 503
    assert not Answer.objects.exists() and not AnswerOption.objects.exists()
    assert not RoundCompletion.objects.exists() and not Submission.objects.exists()


def test_the_page_for_a_failed_submit_needs_no_database(panelist_client, voting_round, monkeypatch):
    """A lost connection fails every query after the failed write too; the page must still come back."""
    gone = []

    def refuse_once_gone(execute, sql, params, many, context):
        if gone:
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    def submit_as_the_connection_drops(**kwargs):
        gone.append(True)
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("surveys.services.voting.answers_submit", submit_as_the_connection_drops)
    data = {**full_answers(voting_round), f"item-{items_by_code(voting_round)['comment'].pk}": "Keep this text."}

    with connection.execute_wrapper(refuse_once_gone):
        response = panelist_client.post(vote_url(voting_round), data)

    assert response.status_code == 503
    page = response.content.decode()
    assert "could not be saved because of a problem on our side" in page
    assert "Keep this text." in page
