"""The app in a real gunicorn on the test database, for tests that need real worker processes.

PostgreSQL only: gunicorn runs in other processes, which cannot reach the
in-memory SQLite database of the test run.
"""

import http.client
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


# gunicorn's database sessions carry this name, telling them apart from the
# test run's own (the live server of the browser tests keeps one open).
APPLICATION_NAME = "gunicorn-under-test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_request(port, method, path, *, cookies, body=None, timeout=30, content_type="application/x-www-form-urlencoded"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    if body is not None:
        headers["Content-Type"] = content_type
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


def wait_until_serving(port, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if http_request(port, "GET", "/accounts/login/", cookies={}, timeout=5)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail("gunicorn did not start serving")


def worker_pids(master_pid: int) -> list[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return [int(pid) for pid in children]


def gunicorn_sessions() -> list[tuple]:
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


def session_report() -> str:
    """What gunicorn's sessions are doing and who blocks them, for a failure message."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT pid, state, wait_event_type, wait_event, pg_blocking_pids(pid), left(query, 80)"
            " FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return "; ".join(map(str, cursor.fetchall())) or "no other sessions"


def wait_for(condition, what, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}: {session_report()}")


@contextmanager
def serve(*, workers: int = 1, timeout: int = 60):
    """The app in gunicorn with these workers and worker timeout, on the test database; yields (port, master)."""
    db = connection.settings_dict
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
            f"?application_name={APPLICATION_NAME}"
        ),
        "DEBUG": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--timeout", str(timeout), "--graceful-timeout", "2", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_until_serving(port)
        yield port, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        # The test database is flushed next; no session of gunicorn's may hold it.
        wait_for(lambda: not gunicorn_sessions(), "gunicorn's database sessions to end")
