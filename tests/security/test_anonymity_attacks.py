"""Attacks on SPEC 5's promise, from the stored data alone: no route may link people to answers beyond chance.

For each of several seeds a study runs through the pages: a panel of ten
votes two rounds in a random order, over several days, with drafts, a
revision, comments, a reminder, a panelist who only drafts, a reopen of
round 1 and a late joiner in round 2. The facilitator polls the completion
list after every vote and tries to download the open round's raw answers.
Then an attacker who holds the database (and, for one route, the study
archive) but no key tries each route the audit used:

- the order of ids, of rows on disk (SQLite rowid, PostgreSQL ctid) and of
  first sign-ins, set against the order in which pseudonyms appear;
- PostgreSQL's xmin, the transaction that wrote a row;
- every date and time column on either side, and the sign-in log's days;
- draft-only panelists against pseudonyms with answers but no submission;
- the facilitator's pages, polled after every vote;
- the archive's rows and ids.

Who took part in which round (attendance) is known to the attacker by
assumption: with pseudonyms stable across rounds, attendance alone links a
person who is the only one of their pattern (SPEC 5, the residual). So each
route matches people to pseudonyms within attendance classes, and a guess
at random within the classes gets, on average, one right per class. Over
the seeds, no route may do better than that, within three standard errors.

Everything is read with SQL that names tables and columns of either design,
so the module runs against the design before the ballot box too; there,
every route linked nearly everyone (checked by hand, noted in the change).
"""

from __future__ import annotations

import io
import json
import math
import random
import re
import zipfile
from collections import defaultdict
from datetime import datetime, timedelta, timezone as dt_timezone
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from surveys.models import Membership, Round, Study
from surveys.pseudonyms import participant_link_hash
from tests.conftest import MAYO_FILE

pytestmark = pytest.mark.django_db(transaction=True)

SEEDS = range(12)
PANEL = 10
PASSWORD = "a-long-test-password"
START = datetime(2026, 3, 2, 9, 0, tzinfo=dt_timezone.utc)


# -- the study, run through the pages ------------------------------------------------------


class Run:
    """One seed's study: who voted when, and what the facilitator's pages showed after each vote."""

    def __init__(self, seed: int):
        self.seed = seed
        self.rng = random.Random(seed)
        self.slug = f"attack-{seed}"
        self.users: list = []
        self.polls: list[tuple[set[str], int | None, set[str]]] = []

    @property
    def study(self) -> Study:
        return Study.objects.get(slug=self.slug)

    def at(self, day: int, minute: int):
        """Every clock the request reads says this moment: the day and time a person acts."""
        moment = START + timedelta(days=day, minutes=minute)
        return mock.patch("django.utils.timezone.now", return_value=moment)

    def build(self) -> None:
        call_command("import_study", str(MAYO_FILE), stdout=io.StringIO())
        Study.objects.filter(slug="mayo-trd").update(slug=self.slug)
        User = get_user_model()
        self.facilitator = User.objects.create_user(f"{self.slug}-facilitator", password=PASSWORD)
        Membership.objects.create(study=self.study, user=self.facilitator, role=Membership.Role.FACILITATOR)
        for number in range(PANEL):
            self.join(f"{self.slug}-p{number:02d}")
        self.boss = Client()
        self.boss.force_login(self.facilitator)

    def join(self, username: str):
        user = get_user_model().objects.create_user(username, email=f"{username}@example.org", password=PASSWORD)
        Membership.objects.create(study=self.study, user=user, role=Membership.Role.PANELIST)
        self.users.append(user)
        return user

    def step(self, name: str, number: int, data=None, day: int = 0) -> None:
        url = reverse(f"surveys:{name}", kwargs={"slug": self.slug, "number": number})
        with self.at(day, 0):
            response = self.boss.post(url, data or {})
        assert response.status_code == 302, (name, response.status_code)

    def ballot(self, round_: Round) -> dict:
        items = list(round_.items.prefetch_related("item_options").order_by("position"))
        data = {}
        for item in items:
            name = f"item-{item.pk}"
            if item.type == "likert":
                data[name] = str(self.rng.randint(1, 9))
            elif item.type == "not_recommended":
                offered = [str(link.option_id) for link in item.item_options.all()]
                data[name] = self.rng.sample(offered, self.rng.randint(0, 3))
            elif item.type == "comment" and self.rng.random() < 0.5:
                data[name] = "Because " + "the risk " * self.rng.randint(1, 40)
        return data

    def vote(self, user, round_: Round, *, day: int, minute: int, submit: bool = True, draft_first: bool = False):
        client = Client()
        url = reverse("surveys:vote", kwargs={"slug": self.slug, "number": round_.number})
        with self.at(day, minute):
            response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
            assert response.status_code == 302
            if draft_first or not submit:
                assert client.post(url, {**self.ballot(round_), "action": "draft"}).status_code == 302
            if submit:
                assert client.post(url, {**self.ballot(round_), "action": "submit"}).status_code == 302
        self.poll(round_)

    def poll(self, round_: Round) -> None:
        """The facilitator reloads the completion list and tries the open round's raw answers."""
        manage = self.boss.get(reverse("surveys:round_manage", kwargs={"slug": self.slug, "number": round_.number}))
        waiting = set(re.findall(r'<li class="list-inline-item">([^<(]+?)(?: <span|</li>)', manage.content.decode()))
        raw = self.boss.get(
            reverse("analysis:download", kwargs={"slug": self.slug}),
            {"table": "raw-ratings", "format": "csv", "round": round_.number},
        )
        labels = set()
        if raw.status_code == 200:
            labels = {line.split(",")[1] for line in raw.getvalue().decode().splitlines()[1:] if line}
        self.polls.append(({w.strip() for w in waiting}, raw.status_code, labels))

    def run(self) -> None:
        self.build()
        rng = self.rng
        first = self.study.rounds.get(number=1)
        self.step("round_open", 1, {"deadline": (START + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")})
        drafter, reviser = rng.sample(self.users, 2)
        order = rng.sample(self.users, len(self.users))
        for rank, user in enumerate(order):
            day = rng.randint(0, 4)
            self.vote(user, first, day=day, minute=rank, submit=user is not drafter, draft_first=rng.random() < 0.3)
            if rank == PANEL // 2:
                self.step("round_remind", 1, {"note": "Please vote."}, day=day)
        self.vote(reviser, first, day=5, minute=0)
        self.step("round_close", 1, day=6)
        self.step("round_open", 1, day=6)
        late_voter = rng.choice([u for u in self.users if u is not drafter])
        self.vote(late_voter, first, day=7, minute=0)
        self.step("round_close", 1, day=8)
        self.step("round_release", 1, day=8)

        late = self.join(f"{self.slug}-late")
        self.step("round_next", 1, {"mode": "all", "kind": "consensus"}, day=9)
        self.step("round_open", 2, {"deadline": (START + timedelta(days=40)).strftime("%Y-%m-%dT%H:%M")}, day=9)
        second = self.study.rounds.get(number=2)
        # The drafter and one other stay away from round 2; the late joiner votes.
        absent = rng.choice([u for u in self.users if u not in (drafter, late)])
        voters = [u for u in self.users if u not in (drafter, absent)]
        for rank, user in enumerate(rng.sample(voters, len(voters))):
            self.vote(user, second, day=10 + rng.randint(0, 3), minute=rank)
        self.step("round_close", 2, day=14)
        self.archive = self.export()
        self.late = late

    def export(self) -> bytes:
        buffer = io.BytesIO()
        path = f"/tmp/{self.slug}-{id(self)}.zip"
        call_command("export_study", self.slug, "--output", path, "--force", stdout=io.StringIO())
        with open(path, "rb") as file:
            buffer.write(file.read())
        return buffer.getvalue()


# -- what the attacker reads: SQL over tables of either design -----------------------------------


def rows(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def tables() -> set[str]:
    return set(connection.introspection.table_names())


def person_table() -> str:
    """The person-side table written when a panelist saves or submits: ballots, or the old completions."""
    return "surveys_ballot" if "surveys_ballot" in tables() else "surveys_roundcompletion"


def pseudonyms(study_id: int) -> list[int]:
    return [pk for (pk,) in rows("SELECT id FROM surveys_participant WHERE study_id = %s", [study_id])]


def attendance_of_pseudonyms(study_id: int) -> dict[int, frozenset]:
    seen = defaultdict(set)
    for participant, number in rows(
        "SELECT s.participant_id, r.number FROM surveys_submission s JOIN surveys_round r ON r.id = s.round_id "
        "WHERE r.study_id = %s",
        [study_id],
    ):
        seen[participant].add(number)
    return {pk: frozenset(seen[pk]) for pk in pseudonyms(study_id)}


def first_answer(study_id: int, order: str) -> dict[int, float]:
    """Per pseudonym, the rank of its first answer in `order` (id, rowid or ctid)."""
    ranked = rows(
        f"SELECT a.participant_id FROM surveys_answer a JOIN surveys_participant p ON p.id = a.participant_id "  # nosec
        f"WHERE p.study_id = %s ORDER BY {order}",
        [study_id],
    )
    first = {}
    for rank, (participant,) in enumerate(ranked):
        first.setdefault(participant, rank)
    return first


def person_first_write(study_id: int, users: list) -> dict[str, float]:
    table = person_table()
    ranked = rows(
        f"SELECT u.username FROM {table} t JOIN surveys_membership m ON m.id = t.membership_id "  # nosec
        "JOIN auth_user u ON u.id = m.user_id WHERE m.study_id = %s ORDER BY t.id",
        [study_id],
    )
    first = {}
    for rank, (username,) in enumerate(ranked):
        first.setdefault(username, rank)
    return first


def first_sign_in(users: list) -> dict[str, float]:
    ranked = rows(
        "SELECT username FROM axes_accesslog WHERE username IN (%s) ORDER BY attempt_time, id"
        % ", ".join(["%s"] * len(users)),
        [u.username for u in users],
    )
    first = {}
    for rank, (username,) in enumerate(ranked):
        first.setdefault(username, rank)
    return first


def sign_in_days(users: list) -> dict[str, set]:
    days = defaultdict(set)
    for username, moment in rows(
        "SELECT username, attempt_time FROM axes_accesslog WHERE username IN (%s)"
        % ", ".join(["%s"] * len(users)),
        [u.username for u in users],
    ):
        days[username].add(str(moment)[:10])
    return days


def date_columns(table: str) -> list[str]:
    with connection.cursor() as cursor:
        description = connection.introspection.get_table_description(cursor, table)
    return [
        column.name
        for column in description
        if re.search(r"date|time", str(connection.introspection.get_field_type(column.type_code, column)), re.I)
    ]


def pseudonym_days(study_id: int) -> dict[int, set]:
    """Every day any date column of the pseudonymous tables gives a pseudonym."""
    days = defaultdict(set)
    for table, key in (("surveys_answer", "participant_id"), ("surveys_submission", "participant_id")):
        for column in date_columns(table):
            for participant, value in rows(
                f"SELECT t.{key}, t.{column} FROM {table} t JOIN surveys_participant p ON p.id = t.{key} "  # nosec
                "WHERE p.study_id = %s",
                [study_id],
            ):
                days[participant].add(str(value)[:10])
    return days


def xmins(sql: str, params) -> dict:
    found = defaultdict(set)
    for key, xmin in rows(sql, params):
        found[key].add(str(xmin))
    return found


# -- matching within attendance classes --------------------------------------------------------


def match(people: dict[str, frozenset], pseudonym_classes: dict[int, frozenset], person_key, pseudonym_key, rng):
    """Pairs people with pseudonyms of the same attendance, each side in the order its key gives (ties at random)."""
    guess = {}
    for pattern in set(people.values()):
        left = [p for p, a in people.items() if a == pattern]
        right = [q for q, a in pseudonym_classes.items() if a == pattern]
        rng.shuffle(left)
        rng.shuffle(right)
        left.sort(key=lambda p: person_key(p))
        right.sort(key=lambda q: pseudonym_key(q))
        guess.update(zip(left, right))
    return guess


def overlap_match(people, pseudonym_classes, person_sets, pseudonym_sets, rng):
    """Pairs each person with the pseudonym of their class whose set (of days, of transactions) overlaps theirs most."""
    guess = {}
    for pattern in set(people.values()):
        left = [p for p, a in people.items() if a == pattern]
        right = [q for q, a in pseudonym_classes.items() if a == pattern]
        rng.shuffle(left)
        free = set(right)
        for person in left:
            if not free:
                break
            ranked = sorted(free, key=lambda q: (-len(person_sets.get(person, set()) & pseudonym_sets.get(q, set())), rng.random()))
            guess[person] = ranked[0]
            free.discard(ranked[0])
    return guess


def attack(run: Run) -> tuple[dict[str, int], int]:
    """How many people each route links to their true pseudonym, and how many attendance classes there are."""
    study = run.study
    rng = random.Random(run.seed * 7919)
    truth = {}
    for user in run.users:
        found = rows(
            "SELECT id FROM surveys_participant WHERE study_id = %s AND link_hash = %s",
            [study.pk, participant_link_hash(study_id=study.pk, user_id=user.pk)],
        )
        if found:
            truth[user.username] = found[0][0]
    classes = attendance_of_pseudonyms(study.pk)
    # What attendance gives the attacker: each person's rounds, as their pseudonym's submissions show.
    people = {username: classes[pk] for username, pk in truth.items()}
    baseline = len(set(people.values()))

    users = [u for u in run.users if u.username in truth]
    membership = dict(rows("SELECT u.username, m.id FROM surveys_membership m JOIN auth_user u ON u.id = m.user_id "
                           "WHERE m.study_id = %s", [study.pk]))
    written, signed = person_first_write(study.pk, users), first_sign_in(users)
    by_id, by_pseudonym_id = first_answer(study.pk, "a.id"), {pk: pk for pk in classes}
    physical = first_answer(study.pk, "a.ctid" if connection.vendor == "postgresql" else "a.rowid")
    late = math.inf
    routes = {
        "first write id ~ first answer id": match(people, classes, lambda p: written.get(p, late),
                                                  lambda q: by_id.get(q, late), rng),
        "first sign-in ~ first answer id": match(people, classes, lambda p: signed.get(p, late),
                                                 lambda q: by_id.get(q, late), rng),
        "join order ~ pseudonym id": match(people, classes, lambda p: membership[p], lambda q: by_pseudonym_id[q], rng),
        "first write id ~ row on disk": match(people, classes, lambda p: written.get(p, late),
                                              lambda q: physical.get(q, late), rng),
        "sign-in days ~ answer days": overlap_match(people, classes, sign_in_days(users), pseudonym_days(study.pk), rng),
    }
    if connection.vendor == "postgresql":
        table = person_table()
        person_x = xmins(
            f"SELECT u.username, t.xmin FROM {table} t JOIN surveys_membership m ON m.id = t.membership_id "  # nosec
            "JOIN auth_user u ON u.id = m.user_id WHERE m.study_id = %s",
            [study.pk],
        )
        answer_x = xmins(
            "SELECT a.participant_id, a.xmin FROM surveys_answer a JOIN surveys_participant p ON p.id = a.participant_id "
            "WHERE p.study_id = %s",
            [study.pk],
        )
        routes["xmin"] = overlap_match(people, classes, person_x, answer_x, rng)
    routes["draft status ~ answers without submission"] = status_route(run, people, classes, rng)
    routes["facilitator's pages, polled"] = polling_route(run, people, classes, rng)
    routes["archive ids"] = archive_route(run, people, classes, rng)
    return {name: sum(guess.get(p) == truth[p] for p in truth) for name, guess in routes.items()}, baseline


def status_route(run, people, classes, rng):
    """Drafters on the person side against pseudonyms with answers but no submission in a round."""
    study = run.study
    table = person_table()
    drafting = {u for (u,) in rows(
        f"SELECT u.username FROM {table} t JOIN surveys_membership m ON m.id = t.membership_id "  # nosec
        "JOIN auth_user u ON u.id = m.user_id WHERE m.study_id = %s AND t.status = 'draft'",
        [study.pk],
    )}
    unsubmitted = {p for (p,) in rows(
        "SELECT DISTINCT a.participant_id FROM surveys_answer a JOIN surveys_item i ON i.id = a.item_id "
        "JOIN surveys_participant p ON p.id = a.participant_id WHERE p.study_id = %s AND NOT EXISTS ("
        "SELECT 1 FROM surveys_submission s WHERE s.participant_id = a.participant_id AND s.round_id = i.round_id)",
        [study.pk],
    )}
    return match(people, classes, lambda p: p not in drafting, lambda q: q not in unsubmitted, rng)


def polling_route(run, people, classes, rng):
    """Whoever left the waiting list at a poll, paired with the pseudonym that appeared in the raw answers then."""
    guess, seen = {}, set()
    label_of = dict(rows("SELECT label, id FROM surveys_participant WHERE study_id = %s", [run.study.pk]))
    previous = None
    for waiting, status, labels in run.polls:
        if previous is not None and status == 200:
            left = [name for name in previous - waiting]
            new = [label for label in labels - seen]
            if len(left) == 1 and len(new) == 1 and new[0] in label_of:
                guess[left[0]] = label_of[new[0]]
        seen |= labels
        previous = waiting
    rest = match({p: a for p, a in people.items() if p not in guess},
                 {q: a for q, a in classes.items() if q not in guess.values()},
                 lambda p: rng.random(), lambda q: rng.random(), rng)
    return {**rest, **guess}


def archive_route(run, people, classes, rng):
    """The first-write route on the archive alone: person-side row ids against answer ids, old ids to labels."""
    with zipfile.ZipFile(io.BytesIO(run.archive)) as archive:
        names = set(archive.namelist())

        def table(name: str) -> list[dict]:
            if "records.json" in names:
                content = json.loads(archive.read("records.json"))["tables"][name]
                return [dict(zip(content["columns"], row)) for row in content["rows"]]
            manifest = json.loads(archive.read("archive.json"))
            columns = manifest["tables"][name]["columns"]
            return [dict(zip(columns, json.loads(line))) for line in archive.read(f"tables/{name}.jsonl").splitlines()]

        users = {row["id"]: row["username"] for row in table("users")}
        members = {row["id"]: users[row["user_id"]] for row in table("memberships")}
        person_rows = table("ballots" if "tables/ballots.jsonl" in names else "round_completions")
        participants = {row["id"]: row["label"] for row in table("participants")}
        answers = table("answers")
    written = {}
    for row in sorted(person_rows, key=lambda r: r["id"]):
        written.setdefault(members[row["membership_id"]], row["id"])
    first = {}
    for row in sorted(answers, key=lambda r: r["id"]):
        first.setdefault(participants[row["participant_id"]], row["id"])
    label_of = dict(rows("SELECT id, label FROM surveys_participant WHERE study_id = %s", [run.study.pk]))
    return match(people, classes, lambda p: written.get(p, math.inf), lambda q: first.get(label_of[q], math.inf), rng)


# -- the test ---------------------------------------------------------------------------------


def test_no_route_links_people_to_answers_beyond_what_attendance_gives():
    scores, baselines = defaultdict(list), []
    for seed in SEEDS:
        run = Run(seed)
        run.run()
        # No open round's answers left the server while the facilitator polled.
        assert {status for _waiting, status, _labels in run.polls} == {409}
        correct, baseline = attack(run)
        baselines.append(baseline)
        for route, hits in correct.items():
            scores[route].append(hits)
    expected = sum(baselines) / len(baselines)
    # A random guess within attendance classes gets one right per class on average, with a
    # variance of at most one per class: three standard errors of the mean over the seeds.
    margin = 3 * math.sqrt(expected / len(baselines))
    report = {route: round(sum(hits) / len(hits), 2) for route, hits in scores.items()}
    print(f"\nchance {expected:.2f} ± {margin:.2f} right of {PANEL + 1} per seed; routes: {report}")
    for route, mean in report.items():
        assert mean <= expected + margin, f"{route}: {mean} right on average, chance is {expected:.2f} ± {margin:.2f}"
    assert len(report) >= 8, report
