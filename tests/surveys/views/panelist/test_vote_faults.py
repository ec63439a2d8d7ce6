"""A database error in the middle of a submit.

The failure is the database's own: a trigger refuses the write of a submit
(the panelist's sealed ballot). The panelist must get a clear message and
their input back, and the database must hold exactly what it held before the
attempt.
"""

import re

import pytest
from django.db import OperationalError, connection

from surveys.models import Answer, Ballot, Submission
from tests.factories import full_answers, items_by_code, sealed_answers, vote_url

pytestmark = pytest.mark.django_db


def _refuse_writes(table):
    """SQL for triggers that make the database itself refuse every insert into and update of `table`."""
    return {
        "sqlite": [
            f"""CREATE TRIGGER refuse_{event}_{table} BEFORE {event} ON {table}
                BEGIN SELECT RAISE(ABORT, 'simulated disk failure'); END"""
            for event in ("INSERT", "UPDATE")
        ],
        "postgresql": [
            f"""CREATE FUNCTION refuse_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'simulated disk failure' USING ERRCODE = 'disk_full'; END $$""",
            f"""CREATE TRIGGER refuse_{table} BEFORE INSERT OR UPDATE ON {table}
                FOR EACH ROW EXECUTE FUNCTION refuse_{table}()""",
        ],
    }[connection.vendor]


def _allow_writes(table):
    return {
        "sqlite": [f"DROP TRIGGER refuse_{event}_{table}" for event in ("INSERT", "UPDATE")],
        "postgresql": [f"DROP TRIGGER refuse_{table} ON {table}", f"DROP FUNCTION refuse_{table}()"],
    }[connection.vendor]


def _execute(statements):
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _stored(round_, panelist):
    return (
        {code: (a.rating, a.text, a.options) for code, a in sealed_answers(round_, panelist).items()},
        list(Ballot.objects.values_list("status", flat=True)),
        Submission.objects.count() + Answer.objects.count(),
    )


def test_a_database_error_mid_submit_keeps_the_draft_and_gives_the_input_back(
    panelist_client, panelist, voting_round, caplog
):
    draft = full_answers(voting_round, action="save")
    assert panelist_client.post(vote_url(voting_round), draft).status_code == 302
    before = _stored(voting_round, panelist)
    assert before[1:] == (["draft"], 0)

    changed = {**full_answers(voting_round), f"item-{items_by_code(voting_round)['likert'].pk}": "3"}
    changed[f"item-{items_by_code(voting_round)['comment'].pk}"] = "Changed my mind: lithium first."
    _execute(_refuse_writes("surveys_ballot"))
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
    assert _stored(voting_round, panelist) == before
    assert "A vote could not be written" in caplog.text

    _execute(_allow_writes("surveys_ballot"))
    assert panelist_client.post(vote_url(voting_round), changed).status_code == 302
    assert sealed_answers(voting_round, panelist)["likert"].rating == 3
    assert list(Ballot.objects.values_list("status", flat=True)) == ["submitted"]


def test_a_database_error_while_saving_a_draft_stores_nothing_either(panelist_client, panelist, voting_round):
    _execute(_refuse_writes("surveys_ballot"))

    response = panelist_client.post(vote_url(voting_round), full_answers(voting_round, action="save"))

    assert response.status_code == 503
    assert not Ballot.objects.exists()
    assert not Answer.objects.exists() and not Submission.objects.exists()


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
