"""A gunicorn worker killed in the middle of a submit, and in the middle of the count at close.

The app runs in a real gunicorn against the test database. The test holds a
lock on a table the request is about to write, so the worker stops inside
the request's transaction, with its first writes done but not committed. The
worker is then killed with SIGKILL, as the OOM killer or a crashed host
would. PostgreSQL must roll the transaction back, leaving no trace of the
request, and the retry on the worker gunicorn starts in its place must land
whole.

PostgreSQL only: gunicorn runs in another process, which cannot reach the
in-memory SQLite database of the test run.
"""

import http.client
import os
import re
import signal
import threading
from urllib.parse import urlencode

import pytest
from django.db import connection, transaction
from django.test import Client

from surveys.models import Answer, AnswerOption, Ballot, Participant, Round, Submission
from tests.factories import full_answers, pseudonym_of, round_with_every_item_type, sealed_answers, vote_url
from tests.gunicorn import gunicorn_sessions, http_request, serve, wait_for, wait_until_serving, worker_pids

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="gunicorn cannot share the in-memory SQLite database"),
]

@pytest.fixture
def gunicorn(transactional_db):
    """The app in gunicorn with one worker; (port, master process)."""
    with serve(workers=1, timeout=60) as server:
        yield server


def test_a_worker_killed_mid_submit_leaves_no_trace_and_the_retry_lands_whole(gunicorn, study, panelist):
    port, master = gunicorn
    round_ = round_with_every_item_type(study)
    client = Client()
    client.force_login(panelist)
    cookies = {"sessionid": client.cookies["sessionid"].value}
    url = vote_url(round_)

    status, page = http_request(port, "GET", url, cookies=cookies)
    assert status == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urlencode({**full_answers(round_), "csrfmiddlewaretoken": token}, doseq=True)

    outcome = {}

    def submit():
        try:
            outcome["status"] = http_request(port, "POST", url, cookies=dict(cookies), body=body)[0]
        except (OSError, http.client.HTTPException) as error:
            outcome["error"] = error

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE surveys_ballot IN EXCLUSIVE MODE")
        thread = threading.Thread(target=submit)
        thread.start()
        # The worker has locked the round's row and now waits to write the ballot.
        wait_for(lambda: any(wait == "Lock" for _pid, _state, wait in gunicorn_sessions()), "the submit to block")
        (blocked,) = [pid for pid, _state, wait in gunicorn_sessions() if wait == "Lock"]
        assert _holds(blocked, "surveys_round", "RowShareLock")
        (worker,) = worker_pids(master.pid)
        os.kill(worker, signal.SIGKILL)
        thread.join(timeout=30)
        assert not thread.is_alive()
    assert "status" not in outcome, f"the killed worker answered {outcome}"
    assert isinstance(outcome["error"], (OSError, http.client.HTTPException))

    # The orphaned database session ends once it finds its client gone, and takes the vote with it.
    wait_for(
        lambda: blocked not in [pid for pid, _state, _wait in gunicorn_sessions()],
        "the killed worker's database session to end",
    )
    assert not Ballot.objects.exists()
    assert not Answer.objects.exists() and not AnswerOption.objects.exists() and not Submission.objects.exists()

    # gunicorn replaces the worker; the panelist presses Submit again.
    wait_for(lambda: worker_pids(master.pid) not in ([], [worker]), "a new worker")
    wait_until_serving(port)
    assert http_request(port, "POST", url, cookies=dict(cookies), body=body)[0] == 302
    assert len(sealed_answers(round_, panelist)) == 6
    assert Ballot.objects.get().status == Ballot.Status.SUBMITTED


def test_a_worker_killed_mid_count_leaves_the_round_open_and_the_retry_counts_it_whole(
    gunicorn, study, panelist, facilitator
):
    port, master = gunicorn
    round_ = round_with_every_item_type(study)
    voter = Client()
    voter.force_login(panelist)
    assert voter.post(vote_url(round_), full_answers(round_)).status_code == 302
    client = Client()
    client.force_login(facilitator)
    cookies = {"sessionid": client.cookies["sessionid"].value}
    manage = f"/studies/{study.slug}/rounds/{round_.number}/manage/"
    status, page = http_request(port, "GET", manage, cookies=cookies)
    assert status == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    close = f"/studies/{study.slug}/rounds/{round_.number}/close/"
    body = urlencode({"csrfmiddlewaretoken": token})
    outcome = {}

    def close_round():
        try:
            outcome["status"] = http_request(port, "POST", close, cookies=dict(cookies), body=body)[0]
        except (OSError, http.client.HTTPException) as error:
            outcome["error"] = error

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE surveys_answeroption IN EXCLUSIVE MODE")
        thread = threading.Thread(target=close_round)
        thread.start()
        # The count has written the pseudonym, the submission and the answers, and waits to write the options.
        wait_for(lambda: any(wait == "Lock" for _pid, _state, wait in gunicorn_sessions()), "the count to block")
        (blocked,) = [pid for pid, _state, wait in gunicorn_sessions() if wait == "Lock"]
        assert _holds(blocked, "surveys_answer", "RowExclusiveLock")
        (worker,) = worker_pids(master.pid)
        os.kill(worker, signal.SIGKILL)
        thread.join(timeout=30)
        assert not thread.is_alive()
    assert "status" not in outcome, f"the killed worker answered {outcome}"

    wait_for(
        lambda: blocked not in [pid for pid, _state, _wait in gunicorn_sessions()],
        "the killed worker's database session to end",
    )
    round_.refresh_from_db()
    assert round_.status == Round.Status.OPEN
    assert not Participant.objects.exists() and not Answer.objects.exists() and not Submission.objects.exists()
    assert len(sealed_answers(round_, panelist)) == 6

    wait_for(lambda: worker_pids(master.pid) not in ([], [worker]), "a new worker")
    wait_until_serving(port)
    assert http_request(port, "POST", close, cookies=dict(cookies), body=body)[0] == 302
    participant = pseudonym_of(study, panelist)
    assert Answer.objects.filter(participant=participant).count() == 6
    assert AnswerOption.objects.filter(answer__participant=participant).count() == 6
    assert Submission.objects.filter(participant=participant).count() == 1


def _holds(pid: int, table: str, mode: str) -> bool:
    """Whether the database session `pid` holds a granted lock of `mode` on `table`."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks JOIN pg_class ON pg_class.oid = pg_locks.relation"
            " WHERE pg_class.relname = %s AND pg_locks.mode = %s AND pg_locks.granted AND pg_locks.pid = %s",
            [table, mode, pid],
        )
        return cursor.fetchone()[0] >= 1
