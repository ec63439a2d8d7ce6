"""Reads of a study's content library, in the order the facilitator's page lists it."""

from django.db.models import QuerySet

from vignettes.models import Option, Vignette


def study_vignettes(*, study) -> QuerySet[Vignette]:
    """Base vignettes and variations, each variation with its base."""
    return Vignette.objects.filter(study=study).select_related("base").order_by("position", "pk")


def study_options(*, study) -> QuerySet[Option]:
    """Treatment options by group, as in the Mayo Table 2."""
    return Option.objects.filter(study=study).order_by("group", "position", "pk")
