"""Writes to a study's content library: a vignette or variation, a treatment option."""

from django.db import transaction

from surveys.models import AuditEvent, Study
from surveys.services.audit import audit_record
from vignettes.models import Option, Vignette


@transaction.atomic
def vignette_add(
    *, study: Study, code: str, title: str, text: str = "", base: Vignette | None = None, change: str = "", by=None
) -> Vignette:
    """A base vignette (its whole text) or a variation of one (the aspect it changes), last in the study's order."""
    vignette = Vignette.objects.create(
        study=study,
        code=code,
        title=title,
        text=text,
        base=base,
        change=change,
        position=Vignette.objects.filter(study=study).count(),
    )
    kind = "variation" if base is not None else "vignette"
    audit_record(
        study=study, by=by, action=AuditEvent.Action.EDIT, summary=f"Added {kind} {code}", detail={"code": code}
    )
    return vignette


@transaction.atomic
def option_add(*, study: Study, code: str, name: str, short: str, group: str, by=None) -> Option:
    """A treatment option, last in the study's order."""
    option = Option.objects.create(
        study=study, code=code, name=name, short=short, group=group, position=Option.objects.filter(study=study).count()
    )
    audit_record(
        study=study, by=by, action=AuditEvent.Action.EDIT, summary=f"Added option {code}", detail={"code": code}
    )
    return option
