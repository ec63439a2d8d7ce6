"""The load test's panelists (`make loadtest`): sign in, open the round, save a draft, submit, revise.

Each simulated panelist takes one account from LOADTEST_ACCOUNTS, goes
through the scenario once, and stays, idle; when every account is done the
run ends. What each one last sent is written to LOADTEST_SENT for
`python -m tests.commands tests.load.verify`, which checks the database against it.
"""

import json
import os
import random
from collections import defaultdict
from html.parser import HTMLParser

import gevent
from locust import HttpUser, between, events, task
from locust.exception import StopUser

ACCOUNTS = json.load(open(os.environ["LOADTEST_ACCOUNTS"], encoding="utf-8"))
PENDING = list(reversed(ACCOUNTS))
SENT = []
NO_ANSWER = "none"


class VoteForm(HTMLParser):
    """The voting form's fields: radio groups and checkbox groups by name, and the CSRF token."""

    def __init__(self, html: str):
        super().__init__()
        self.radios, self.checkboxes, self.token = defaultdict(list), defaultdict(list), None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag != "input":
            return
        if attrs.get("name") == "csrfmiddlewaretoken":
            self.token = attrs["value"]
        elif attrs.get("type") == "radio" and attrs.get("value") != NO_ANSWER:
            self.radios[attrs["name"]].append(attrs["value"])
        elif attrs.get("type") == "checkbox":
            self.checkboxes[attrs["name"]].append(attrs["value"])


def csrf_token(html: str) -> str:
    return VoteForm(html).token


class Panelist(HttpUser):
    # A panelist reads before each step; without a pause 200 users would be a
    # denial-of-service test, not a panel.
    wait_time = between(1, 3)

    def post(self, url, data, name):
        with self.client.post(url, data=data, name=name, allow_redirects=False, catch_response=True) as response:
            if response.status_code != 302:
                response.failure(f"{name}: status {response.status_code}")
                raise StopUser()

    voted = False

    @task
    def vote(self):
        if self.voted:
            # A panelist who has voted stays, idle. One that stopped would be
            # replaced at once: during the ramp-up the runner tops the live
            # users up to its target every second, so the panelists voting at
            # once would grow by one a second (77 by the end of a 200-panelist
            # run) instead of holding near LOADTEST_RATE x the 6-8 s one
            # panelist takes.
            return
        if not PENDING:
            raise StopUser()
        account = PENDING.pop()
        login = self.client.get("/accounts/login/", name="login page")
        self.post(
            "/accounts/login/",
            {"username": account["username"], "password": account["password"], "csrfmiddlewaretoken": csrf_token(login.text)},
            name="sign in",
        )
        url = f"/studies/{account['study']}/rounds/1/"
        form = VoteForm(self.client.get(url, name="vote page").text)
        rng = random.Random(account["username"])
        answers = {name: rng.choice(values) for name, values in form.radios.items()}
        answers |= {name: rng.sample(values, rng.randint(1, 3)) for name, values in form.checkboxes.items()}

        draft = dict(list(answers.items())[: len(answers) // 2])
        self.wait()
        self.post(url, {**draft, "action": "draft", "csrfmiddlewaretoken": form.token}, name="save draft")
        self.wait()
        self.post(url, {**answers, "action": "submit", "csrfmiddlewaretoken": form.token}, name="submit")
        self.wait()
        for name in rng.sample(sorted(form.radios), min(3, len(form.radios))):
            answers[name] = rng.choice(form.radios[name])
        self.post(url, {**answers, "action": "submit", "csrfmiddlewaretoken": form.token}, name="revise")

        SENT.append(
            {
                "username": account["username"],
                "study": account["study"],
                "round": 1,
                "answers": {
                    name.removeprefix("item-"): sorted(map(int, value)) if isinstance(value, list) else int(value)
                    for name, value in answers.items()
                },
            }
        )
        self.voted = True
        if len(SENT) == len(ACCOUNTS):
            # The last panelist ends the run, from a greenlet of its own:
            # quitting kills every user's, and would stop halfway in this one.
            gevent.spawn(self.environment.runner.quit)


@events.test_stop.add_listener
def write_results(environment, **kwargs):
    """What was sent, and the figures per request (locust's CSV can miss the last seconds)."""
    with open(os.environ["LOADTEST_SENT"], "w", encoding="utf-8") as file:
        json.dump(SENT, file)
    stats = environment.stats
    figures = [
        {
            "name": entry.name,
            "requests": entry.num_requests,
            "errors": entry.num_failures,
            "p50": entry.get_response_time_percentile(0.50),
            "p95": entry.get_response_time_percentile(0.95),
            "p99": entry.get_response_time_percentile(0.99),
            "rps": entry.total_rps,
        }
        for entry in [*sorted(stats.entries.values(), key=lambda e: e.name), stats.total]
    ]
    figures[-1]["name"] = "all"
    figures[-1]["exceptions"] = len(stats.errors) and sum(error.occurrences for error in stats.errors.values())
    with open(os.environ["LOADTEST_FIGURES"], "w", encoding="utf-8") as file:
        json.dump(figures, file)
