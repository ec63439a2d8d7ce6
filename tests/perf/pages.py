"""`make bench`: one facilitator's page or download of a large closed round, as the server serves it.

`python -m tests.commands tests.perf.pages SLUG NUMBER PAGE` signs in a
facilitator of the study (made here if there is none) and requests PAGE of
round NUMBER 1 + WARM_RUNS times through Django's whole request handling in
this process, with `DEBUG=0`: the first request is the one a fresh worker
serves (imports included), the others a warm worker's. A streamed download
is read to its end. It prints, as JSON, the first time and the median of
the others, the size, the status, and how far the process's peak memory
rose over the requests (the extra a worker needs for it).

PAGE is one of PAGES. Each runs in a process of its own, so one page's
memory is not another's.
"""

import json
import resource
import statistics
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.test import Client
from django.urls import reverse

from analysis.forms import REPORT, WORKBOOK
from surveys.models import Membership, Round

# Warm requests timed: their median is the page's figure, steadier than one request on a busy machine.
WARM_RUNS = 3
PAGES = {
    "results": ("analysis:results", {}),
    "raw-ratings.csv": ("analysis:download", {"table": "raw-ratings", "format": "csv"}),
    "raw-ratings.xlsx": ("analysis:download", {"table": "raw-ratings", "format": "xlsx"}),
    "workbook.xlsx": ("analysis:download", {"table": WORKBOOK, "format": "xlsx"}),
    "round-comparison.csv": ("analysis:download", {"table": "round-comparison", "format": "csv"}),
    "report.docx": ("analysis:download", {"table": REPORT}),
    "next-round": ("surveys:round_next", None),
}


class Command(BaseCommand):
    help = "Time one facilitator page or download of a closed round."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("number", type=int)
        parser.add_argument("page", choices=list(PAGES))

    def handle(self, *args, slug, number, page, **options):
        round_ = Round.objects.select_related("study").get(study__slug=slug, number=number)
        user, _ = get_user_model().objects.get_or_create(username=f"{slug}-bench-facilitator")
        Membership.objects.get_or_create(study=round_.study, user=user, role=Membership.Role.FACILITATOR)
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        name, query = PAGES[page]
        if query is None:
            url, params = reverse(name, kwargs={"slug": slug, "number": number}), {}
        else:
            url, params = reverse(name, kwargs={"slug": slug}), {"round": number, **query}
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        seconds, size, status = [], 0, 0
        for _ in range(1 + WARM_RUNS):
            start = time.perf_counter()
            response = client.get(url, params, secure=True)
            body = response.getvalue()
            seconds.append(time.perf_counter() - start)
            size, status = len(body), response.status_code
        extra = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        self.stdout.write(json.dumps(
            {"page": page, "status": status, "first": seconds[0], "seconds": statistics.median(seconds[1:]),
             "bytes": size, "streamed": response.streaming, "extra_mib": extra}
        ))
