from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from analysis.services.figures import round_figures_refresh
from surveys.models import Round, Study


class Command(BaseCommand):
    help = (
        "Store the figures of every closed round (RoundFigures) of one study or of all: for rounds closed before "
        "figures were stored, which the results pages otherwise compute from the answers on each view."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", nargs="?", help="the study's slug; default: every study with a closed round")

    def handle(self, *args, slug, **options):
        studies = Study.objects.filter(rounds__status=Round.Status.CLOSED).distinct().order_by("slug")
        if slug is not None:
            studies = studies.filter(slug=slug)
            if not studies.exists():
                raise CommandError(f"no study with slug {slug!r} has a closed round")
        for study in studies:
            with transaction.atomic():
                stored = round_figures_refresh(study=study)
            self.stdout.write(f"Stored the figures of {stored} closed round(s) of {study.slug!r}.")
