"""Votes and round steps racing each other on PostgreSQL.

Real threads, each with its own database connection, post through the
pages as the people would. Where a race needs a window to be a race, the
service is held inside its transaction, with its locks, until the test has
seen PostgreSQL itself report the other side waiting for that lock; then
the test lets go. The interleaving is the one the test names, not the one
the scheduler happened to pick, however slow the machine.

SQLite takes one writer at a time for the whole file and has no row locks,
so these races cannot happen there; the module runs on PostgreSQL only,
which CI always provides.
"""

import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse

from surveys.models import Answer, AnswerOption, AuditEvent, Ballot, Membership, Round, Submission
from surveys.services import rounds, voting
from tests.factories import (
    MembershipFactory,
    UserFactory,
    count,
    full_answers,
    items_by_code,
    pseudonym_of,
    sealed_answers,
    vote_url,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and concurrent writers need PostgreSQL"),
]

# Requests still running when a test ends, joined before the database is flushed.
_STARTED: list[threading.Thread] = []


def _in_thread(work):
    """Runs `work` in a thread with its own connection; `.result` holds its return value or exception."""

    def run():
        try:
            thread.result = work()
        except BaseException as error:  # noqa: BLE001 - reported by the test, not swallowed
            thread.result = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.result = None
    thread.start()
    _STARTED.append(thread)
    return thread


def _finish(*threads):
    for thread in threads:
        thread.join(timeout=30)
        assert not thread.is_alive(), "a request never came back"
    return [thread.result for thread in threads]


def _wait_for_lock_waiters(count, timeout=10):
    """Until `count` other sessions of this database wait for a lock, as PostgreSQL reports it."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND backend_type = 'client backend' AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] >= count:
                return
            time.sleep(0.01)
    pytest.fail(f"{count} session(s) never queued for the lock")


@pytest.fixture
def release():
    """Lets held services go on; set by the test once the others queue, and at the end whatever happened."""
    event = threading.Event()
    yield event
    event.set()
    for thread in _STARTED:
        thread.join(timeout=30)
    _STARTED.clear()


def _held(monkeypatch, module, name, *, release=None, entered=None, commits=None):
    """Makes <module>.<name>, once it has done its work, keep its transaction open until `release` is set.

    With `commits`, each transaction that called it appends (name, moment) once it has committed.
    """
    real = getattr(module, name)

    def held(*args, **kwargs):
        result = real(*args, **kwargs)
        if commits is not None:
            transaction.on_commit(lambda: commits.append((name, time.monotonic())))
        if entered is not None:
            entered.set()
        if release is not None:
            assert release.wait(30), "the test never let the held service go on"
        return result

    monkeypatch.setattr(module, name, held)


def close_url(round_):
    return reverse("surveys:round_close", kwargs={"slug": round_.study.slug, "number": round_.number})


def _client_for(user):
    client = Client()
    client.force_login(user)
    return client


def _post_status(client, url, data):
    return lambda: client.post(url, data).status_code


def _panelists(study, count, prefix):
    return [
        MembershipFactory(study=study, role=Membership.Role.PANELIST, user=UserFactory(username=f"{prefix}{i}")).user
        for i in range(count)
    ]


def _stored_answers(participant):
    """item code -> (rating, text, sorted (option, rank) pairs) of the participant's answers."""
    stored = {}
    for answer in Answer.objects.filter(participant=participant).select_related("item").prefetch_related("chosen"):
        options = sorted((chosen.option_id, chosen.rank) for chosen in answer.chosen.all())
        stored[answer.item.code] = (answer.rating, answer.text, options)
    return stored


def test_two_tabs_submitting_at_once_leave_one_whole_answer_set(monkeypatch, release, study, panelist, voting_round):
    items = items_by_code(voting_round)
    first = full_answers(voting_round)
    second = {
        **full_answers(voting_round),
        f"item-{items['likert'].pk}": "2",
        f"item-{items['categorical'].pk}": "1",
        f"item-{items['comment'].pk}": "Second tab",
    }
    entered = threading.Event()
    _held(monkeypatch, voting, "_ballot_write", release=release, entered=entered)
    tabs = [_client_for(panelist), _client_for(panelist)]

    one = _in_thread(_post_status(tabs[0], vote_url(voting_round), first))
    assert entered.wait(10)
    two = _in_thread(_post_status(tabs[1], vote_url(voting_round), second))
    _wait_for_lock_waiters(1)
    release.set()

    assert _finish(one, two) == [302, 302]
    # The second tab waited for the first and then replaced its ballot whole.
    assert Ballot.objects.get().status == "submitted"
    count(voting_round)
    stored = _stored_answers(pseudonym_of(study, panelist))
    assert stored["likert"][0] == 2 and stored["categorical"][0] == 1 and stored["comment"][1] == "Second tab"
    assert len(stored["top"][2]) == 2 and len(stored["rank"][2]) == 3 and len(stored["avoid"][2]) == 1
    assert Answer.objects.count() == 6
    assert Submission.objects.count() == 1


def test_two_tabs_of_a_first_time_voter_make_one_pseudonym(study, panelist, voting_round):
    tabs = [_client_for(panelist) for _ in range(4)]
    barrier = threading.Barrier(len(tabs))

    def submit(tab):
        def work():
            barrier.wait()
            return tab.post(vote_url(voting_round), full_answers(voting_round)).status_code

        return work

    assert _finish(*[_in_thread(submit(tab)) for tab in tabs]) == [302] * 4
    assert Ballot.objects.count() == 1 and len(sealed_answers(voting_round, panelist)) == 6
    count(voting_round)
    assert study.participants.count() == 1
    assert Answer.objects.count() == 6 and Submission.objects.count() == 1


def test_a_close_during_submits_lets_each_vote_land_whole_or_be_refused_whole(monkeypatch, release, study, voting_round):
    facilitator = MembershipFactory(study=study, role=Membership.Role.FACILITATOR).user
    early, late = _panelists(study, 3, "early"), _panelists(study, 3, "late")
    # Signed in beforehand: a sign-in writes rows that would queue behind the votes' locks.
    early_clients, late_clients = [_client_for(user) for user in early], [_client_for(user) for user in late]
    facilitator_client = _client_for(facilitator)
    entered, commits = threading.Event(), []
    _held(monkeypatch, voting, "_ballot_write", release=release, entered=entered, commits=commits)
    # The close writes its audit event inside its transaction: its commit is the moment of closing.
    _held(monkeypatch, rounds, "audit_record", commits=commits)
    url = vote_url(voting_round)

    in_flight = [_in_thread(_post_status(client, url, full_answers(voting_round))) for client in early_clients]
    assert entered.wait(10)
    _wait_for_lock_waiters(len(early) - 1)
    close = _in_thread(
        _post_status(facilitator_client, close_url(voting_round), {})
    )
    _wait_for_lock_waiters(len(early))
    # These arrive while the close is queued for the round: they must see it closed.
    after = [_in_thread(_post_status(client, url, full_answers(voting_round))) for client in late_clients]
    _wait_for_lock_waiters(len(early) + len(late))
    release.set()

    early_status, [close_status], late_status = _finish(*in_flight), _finish(close), _finish(*after)
    assert close_status == 302
    assert early_status == [302] * len(early)
    assert late_status == [403] * len(late)
    voting_round.refresh_from_db()
    assert voting_round.status == Round.Status.CLOSED
    for user in early:
        participant = pseudonym_of(study, user)
        assert len(_stored_answers(participant)) == 6
        assert Submission.objects.filter(participant=participant).exists()
    landed = {pseudonym_of(study, user).pk for user in early}
    assert set(Answer.objects.values_list("participant", flat=True)) == landed
    assert set(AnswerOption.objects.values_list("answer__participant", flat=True)) == landed
    assert Submission.objects.count() == len(early)
    assert Ballot.objects.count() == len(early)
    # Every vote that landed committed before the close did.
    assert [name for name, _moment in sorted(commits, key=lambda c: c[1])] == ["_ballot_write"] * len(early) + [
        "audit_record"
    ]


def test_two_facilitators_closing_at_once_close_the_round_once(monkeypatch, release, study, voting_round):
    facilitators = [MembershipFactory(study=study, role=Membership.Role.FACILITATOR).user for _ in range(2)]
    entered = threading.Event()
    _held(monkeypatch, rounds, "audit_record", release=release, entered=entered)
    url = close_url(voting_round)

    first = _in_thread(_post_status(_client_for(facilitators[0]), url, {}))
    assert entered.wait(10)
    second = _in_thread(_post_status(_client_for(facilitators[1]), url, {}))
    _wait_for_lock_waiters(1)
    release.set()

    # The second waited for the first, then found the round closed: a refusal, not a second close.
    assert _finish(first, second) == [302, 409]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CLOSE).count() == 1
    voting_round.refresh_from_db()
    assert voting_round.status == Round.Status.CLOSED
