"""`make bench` (`python -m tests.commands tests.perf.invitations`): how long a facilitator waits when inviting a panel of 500.

Runs in a throw-away test database (Django's test-database machinery, so the
development database is never touched), with the database task backend as
in production: the request must only queue the mail, never send it.
"""

import statistics
import time

from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import setup_test_environment, teardown_test_environment
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from surveys.models import Invitation, Membership, Study
from surveys.services.invitations import MAIL_BATCH

PANEL = 500


class Command(BaseCommand):
    help = "Time inviting 500 panelists through the invitations page, with the mail queued."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=3)

    def handle(self, *args, runs, **options):
        setup_test_environment()
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
        try:
            with override_settings(
                TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}},
                PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            ):
                seconds = [self._run(number) for number in range(1, runs + 1)]
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
            teardown_test_environment()
        self.stdout.write(
            f"invite {PANEL} panelists (one POST, mail queued in {-(-PANEL // MAIL_BATCH)} tasks): median {statistics.median(seconds):.2f} s, "
            f"runs {', '.join(f'{s:.2f}' for s in seconds)}; target < 1 s: "
            f"{'met' if statistics.median(seconds) < 1 else 'MISSED'}"
        )

    def _run(self, number: int) -> float:
        facilitator = get_user_model().objects.create_user(f"facilitator{number}", password="x")
        study = Study.objects.create(slug=f"bench-{number}", title="Invitation bench")
        Membership.objects.create(study=study, user=facilitator, role=Membership.Role.FACILITATOR)
        client = Client()
        client.force_login(facilitator)
        addresses = "\n".join(f"panelist{i}.{number}@example.org" for i in range(PANEL))
        queued_before = DBTaskResult.objects.count()
        start = time.perf_counter()
        response = client.post(
            reverse("surveys:study_invitations", kwargs={"slug": study.slug}), {"emails": addresses, "role": "panelist"}
        )
        seconds = time.perf_counter() - start
        queued = DBTaskResult.objects.count() - queued_before
        invited = Invitation.objects.filter(study=study).count()
        if response.status_code != 302 or invited != PANEL or queued != -(-PANEL // MAIL_BATCH) or mail.outbox:
            raise RuntimeError(
                f"unexpected: status {response.status_code}, {invited} invited, {queued} tasks queued, "
                f"{len(mail.outbox)} mails sent inline"
            )
        return seconds
