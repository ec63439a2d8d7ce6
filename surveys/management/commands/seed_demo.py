from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from analysis.files.study import load_study_file
from analysis.services.studies import study_import
from surveys.models import Membership, Round, Study
from surveys.services.rounds import round_open
from surveys.services.studies import study_creators_group

MAYO_FILE = Path(settings.BASE_DIR) / "examples" / "mayo-trd.yaml"
PANEL_SIZE = 10


class Command(BaseCommand):
    help = "Load the Mayo example study with demo accounts and open its first round. Safe to run twice."

    @transaction.atomic
    def handle(self, *args, **options):
        spec = load_study_file(MAYO_FILE)
        study = Study.objects.filter(slug=spec.slug).first() or study_import(spec=spec)

        accounts = [("admin", None), ("facilitator", Membership.Role.FACILITATOR), ("analyst", Membership.Role.ANALYST)]
        accounts += [(f"panelist{i:02d}", Membership.Role.PANELIST) for i in range(1, PANEL_SIZE + 1)]
        User = get_user_model()
        for username, role in accounts:
            user, created = User.objects.get_or_create(
                username=username, defaults={"email": f"{username}@example.org"}
            )
            if created:
                user.set_password(f"demo-{username}")
                user.is_staff = user.is_superuser = role is None
                user.save()
            if role is not None:
                Membership.objects.get_or_create(study=study, user=user, defaults={"role": role})
            if role == Membership.Role.FACILITATOR:
                user.groups.add(study_creators_group())

        first = study.rounds.get(number=1)
        if first.status == Round.Status.DRAFT:
            first = round_open(round=first, deadline=timezone.now() + timedelta(days=14))

        self.stdout.write(f"Study {study.slug!r}: round 1 is {first.get_status_display().lower()}.")
        self.stdout.write("Demo accounts (user name / password):")
        for username, role in accounts:
            self.stdout.write(f"  {username:<12} demo-{username:<14} {role or 'staff (Django admin)'}")
