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
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.db import connection, transaction
from django.test import Client

from surveys.models import Answer, AnswerOption, Ballot, Participant, Round, Submission
from tests.factories import full_answers, pseudonym_of, round_with_every_item_type, sealed_answers, vote_url

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="gunicorn cannot share the in-memory SQLite database"),
]

ROOT = Path(__file__).resolve().parents[4]
# gunicorn's database sessions carry this name, telling them apart from the
# test run's own (the live server of the browser tests keeps one open).
APPLICATION_NAME = "killed-worker-test"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _request(port, method, path, *, cookies, body=None, timeout=30):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Referer"] = f"http://127.0.0.1:{port}{path}"
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                cookies[name] = rest.split(";", 1)[0]
        return response.status, response.read().decode()
    finally:
        conn.close()


def _wait_until_serving(port, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if _request(port, "GET", "/accounts/login/", cookies={}, timeout=5)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail("gunicorn did not start serving")


def _workers(master_pid: int) -> list[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return [int(pid) for pid in children]


def _gunicorn_sessions() -> list[tuple]:
    """(pid, state, wait event type) of each database session gunicorn's workers hold."""
    with connection.cursor() as cursor:
        # Inside a transaction PostgreSQL keeps showing the activity it first read, unless told to forget it.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT pid, state, wait_event_type FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = %s",
            [APPLICATION_NAME],
        )
        return cursor.fetchall()


def _session_report() -> str:
    """What gunicorn's sessions are doing and who blocks them, for a failure message."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT pid, state, wait_event_type, wait_event, pg_blocking_pids(pid), left(query, 80)"
            " FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return "; ".join(map(str, cursor.fetchall())) or "no other sessions"


def _wait_for(condition, what, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}: {_session_report()}")


@pytest.fixture
def gunicorn(transactional_db):
    """The app in gunicorn with one worker, on the test database; yields (port, master process)."""
    db = connection.settings_dict
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
            f"?application_name={APPLICATION_NAME}"
        ),
        "DEBUG": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--timeout", "60", "--graceful-timeout", "2", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
    )
    try:
        _wait_until_serving(port)
        yield port, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        # The test database is flushed next; no session of gunicorn's may hold it.
        _wait_for(lambda: not _gunicorn_sessions(), "gunicorn's database sessions to end")


def test_a_worker_killed_mid_submit_leaves_no_trace_and_the_retry_lands_whole(gunicorn, study, panelist):
    port, master = gunicorn
    round_ = round_with_every_item_type(study)
    client = Client()
    client.force_login(panelist)
    cookies = {"sessionid": client.cookies["sessionid"].value}
    url = vote_url(round_)

    status, page = _request(port, "GET", url, cookies=cookies)
    assert status == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urlencode({**full_answers(round_), "csrfmiddlewaretoken": token}, doseq=True)

    outcome = {}

    def submit():
        try:
            outcome["status"] = _request(port, "POST", url, cookies=dict(cookies), body=body)[0]
        except (OSError, http.client.HTTPException) as error:
            outcome["error"] = error

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE surveys_ballot IN EXCLUSIVE MODE")
        thread = threading.Thread(target=submit)
        thread.start()
        # The worker has locked the round's row and now waits to write the ballot.
        _wait_for(lambda: any(wait == "Lock" for _pid, _state, wait in _gunicorn_sessions()), "the submit to block")
        (blocked,) = [pid for pid, _state, wait in _gunicorn_sessions() if wait == "Lock"]
        assert _holds(blocked, "surveys_round", "RowShareLock")
        (worker,) = _workers(master.pid)
        os.kill(worker, signal.SIGKILL)
        thread.join(timeout=30)
        assert not thread.is_alive()
    assert "status" not in outcome, f"the killed worker answered {outcome}"
    assert isinstance(outcome["error"], (OSError, http.client.HTTPException))

    # The orphaned database session ends once it finds its client gone, and takes the vote with it.
    _wait_for(
        lambda: blocked not in [pid for pid, _state, _wait in _gunicorn_sessions()],
        "the killed worker's database session to end",
    )
    assert not Ballot.objects.exists()
    assert not Answer.objects.exists() and not AnswerOption.objects.exists() and not Submission.objects.exists()

    # gunicorn replaces the worker; the panelist presses Submit again.
    _wait_for(lambda: _workers(master.pid) not in ([], [worker]), "a new worker")
    _wait_until_serving(port)
    assert _request(port, "POST", url, cookies=dict(cookies), body=body)[0] == 302
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
    status, page = _request(port, "GET", manage, cookies=cookies)
    assert status == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    close = f"/studies/{study.slug}/rounds/{round_.number}/close/"
    body = urlencode({"csrfmiddlewaretoken": token})
    outcome = {}

    def close_round():
        try:
            outcome["status"] = _request(port, "POST", close, cookies=dict(cookies), body=body)[0]
        except (OSError, http.client.HTTPException) as error:
            outcome["error"] = error

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE surveys_answeroption IN EXCLUSIVE MODE")
        thread = threading.Thread(target=close_round)
        thread.start()
        # The count has written the pseudonym, the submission and the answers, and waits to write the options.
        _wait_for(lambda: any(wait == "Lock" for _pid, _state, wait in _gunicorn_sessions()), "the count to block")
        (blocked,) = [pid for pid, _state, wait in _gunicorn_sessions() if wait == "Lock"]
        assert _holds(blocked, "surveys_answer", "RowExclusiveLock")
        (worker,) = _workers(master.pid)
        os.kill(worker, signal.SIGKILL)
        thread.join(timeout=30)
        assert not thread.is_alive()
    assert "status" not in outcome, f"the killed worker answered {outcome}"

    _wait_for(
        lambda: blocked not in [pid for pid, _state, _wait in _gunicorn_sessions()],
        "the killed worker's database session to end",
    )
    round_.refresh_from_db()
    assert round_.status == Round.Status.OPEN
    assert not Participant.objects.exists() and not Answer.objects.exists() and not Submission.objects.exists()
    assert len(sealed_answers(round_, panelist)) == 6

    _wait_for(lambda: _workers(master.pid) not in ([], [worker]), "a new worker")
    _wait_until_serving(port)
    assert _request(port, "POST", close, cookies=dict(cookies), body=body)[0] == 302
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
