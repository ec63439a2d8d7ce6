"""`make bench`: the voting page of a large open round, as a panelist with a sealed ballot opens it.

`python -m tests.commands tests.perf.ballot_page SLUG NUMBER` serves the
round's voting page to one of its panelists (one with a submitted ballot,
so their answers are opened and shown) through Django's whole request
handling in this process, once to warm up and then five times, and prints
the median time, the page's size and the items it shows, as JSON. The page
shows the previous round's feedback for every item it continues.

On PostgreSQL it is timed twice: as the bulk loads left the tables, and
after VACUUM ANALYZE, which is what autovacuum does soon after a large
insert (PostgreSQL 13 on; the test server runs with autovacuum off): only
vacuumed tables let PostgreSQL count the ratings from the index alone, and
only analysed ones tell it how few items a round has. SQLite needs neither,
and is timed once.
"""

import json
import statistics
import time

from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client
from django.urls import reverse

from surveys.models import Ballot, Round

RUNS = 5


class Command(BaseCommand):
    help = "Time the voting page of a round for one of its panelists."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("number", type=int)

    def handle(self, *args, slug, number, **options):
        round_ = Round.objects.get(study__slug=slug, number=number)
        ballot = Ballot.objects.select_related("membership__user").filter(round=round_).order_by("pk").first()
        # The host a production setting allows, over https as SECURE_SSL_REDIRECT expects.
        client = Client(HTTP_HOST="localhost")
        client.force_login(ballot.membership.user)
        url = reverse("surveys:vote", kwargs={"slug": slug, "number": number})
        figures = {"items": round_.items.count(), **self._timed(client, url)}
        if connection.vendor == "postgresql":
            figures["seconds_as_loaded"] = figures["seconds"]
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
            figures["seconds"] = self._timed(client, url)["seconds"]
        figures["bytes_per_item"] = figures["bytes"] / figures["items"]
        self.stdout.write(json.dumps(figures))

    def _timed(self, client, url) -> dict:
        seconds = []
        for _ in range(RUNS + 1):
            start = time.perf_counter()
            response = client.get(url, secure=True)
            seconds.append(time.perf_counter() - start)
            if response.status_code != 200:
                raise RuntimeError(f"the voting page answered {response.status_code}")
        return {"seconds": statistics.median(seconds[1:]), "bytes": len(response.content)}
