"""Builds the studies the load test (`make loadtest`) votes in: `python -m tests.commands tests.load.setup`."""

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from surveys.models import Membership
from analysis.files.study import load_study_file
from analysis.services.studies import study_import
from surveys.services.rounds import round_open

MAYO = Path(settings.BASE_DIR) / "examples" / "mayo-trd.yaml"
PASSWORD = "load-test-panelist"


class Command(BaseCommand):
    help = "Imports the Mayo study N times with a panel each, opens round 1, and writes the accounts to a file."

    def add_arguments(self, parser):
        parser.add_argument("--studies", type=int, default=5)
        parser.add_argument("--panelists", type=int, default=40, help="per study")
        parser.add_argument("--output", required=True, help="JSON file of the panelists' accounts")

    @transaction.atomic
    def handle(self, *args, studies, panelists, output, **options):
        spec = load_study_file(MAYO)
        # One real (PBKDF2) hash for all: signing in still pays the full cost.
        password = make_password(PASSWORD)
        accounts = []
        for s in range(1, studies + 1):
            study = study_import(spec=replace(spec, slug=f"load-{s}", title=f"{spec.title} (load {s})"))
            users = get_user_model().objects.bulk_create(
                get_user_model()(username=f"load{s}-p{n:02d}", password=password) for n in range(1, panelists + 1)
            )
            Membership.objects.bulk_create(
                Membership(study=study, user=user, role=Membership.Role.PANELIST) for user in users
            )
            round_open(round=study.rounds.get(number=1), deadline=timezone.now() + timedelta(days=1))
            accounts += [{"username": user.username, "password": PASSWORD, "study": study.slug} for user in users]
        Path(output).write_text(json.dumps(accounts, indent=1), encoding="utf-8")
        self.stdout.write(f"{studies} studies, {len(accounts)} panelists, round 1 open; accounts in {output}")
