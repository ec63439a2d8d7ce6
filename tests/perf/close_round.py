"""`make bench`: one round closed, and so counted, as the facilitator's Close button does it.

`python -m tests.commands tests.perf.close_round SLUG NUMBER`.
"""

from django.core.management.base import BaseCommand

from surveys.models import Answer, Round
from surveys.services.rounds import round_close


class Command(BaseCommand):
    help = "Close (and count) a round of a study."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("number", type=int)

    def handle(self, *args, slug, number, **options):
        round_ = round_close(round=Round.objects.get(study__slug=slug, number=number))
        counted = Answer.objects.filter(item__round=round_).count()
        self.stdout.write(f"round {number} closed: {counted:,} answers counted")
