"""A gunicorn worker killed in the middle of a submit (issue 6, part 2).

The app runs in a real gunicorn against the test database. The test holds a
lock on the submissions table, so the worker stops inside the submit's
transaction: its answers are written but not committed, and it waits to write
the Submission. The worker is then killed with SIGKILL, as the OOM killer or
a crashed host would. PostgreSQL must roll the transaction back, leaving no
trace of the vote, and the panelist's retry on the worker gunicorn starts in
its place must land whole.

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

from surveys.models import Answer, AnswerOption, RoundCompletion, Submission
from surveys.services.participants import participant_for
from tests.factories import full_answers, round_with_every_item_type, vote_url

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
            cursor.execute("LOCK TABLE surveys_submission IN EXCLUSIVE MODE")
        thread = threading.Thread(target=submit)
        thread.start()
        # The worker's answers are written and it now waits to record the Submission.
        _wait_for(lambda: any(wait == "Lock" for _pid, _state, wait in _gunicorn_sessions()), "the submit to block")
        (blocked,) = [pid for pid, _state, wait in _gunicorn_sessions() if wait == "Lock"]
        # ...and it has written answers: it holds a write lock on their table.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks JOIN pg_class ON pg_class.oid = pg_locks.relation"
                " WHERE pg_class.relname = 'surveys_answer' AND pg_locks.mode = 'RowExclusiveLock'"
                " AND pg_locks.granted AND pg_locks.pid = %s",
                [blocked],
            )
            assert cursor.fetchone()[0] == 1
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
    assert not Answer.objects.exists() and not AnswerOption.objects.exists()
    assert not RoundCompletion.objects.exists() and not Submission.objects.exists()

    # gunicorn replaces the worker; the panelist presses Submit again.
    _wait_for(lambda: _workers(master.pid) not in ([], [worker]), "a new worker")
    _wait_until_serving(port)
    assert _request(port, "POST", url, cookies=dict(cookies), body=body)[0] == 302
    participant = participant_for(study=study, user=panelist)
    assert Answer.objects.filter(participant=participant).count() == 6
    assert AnswerOption.objects.filter(answer__participant=participant).count() == 6
    assert Submission.objects.filter(participant=participant).count() == 1
    assert RoundCompletion.objects.get().status == RoundCompletion.Status.SUBMITTED
