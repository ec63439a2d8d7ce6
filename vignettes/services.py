"""Writes to a study's content library: a vignette or variation, a treatment option; added, edited, removed."""

from django.db import transaction
from django.utils.translation import gettext as _

from surveys.models import AuditEvent, Item, ItemOption, Study
from surveys.services import ServiceError
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


def _edit(obj: Vignette | Option, kind: str, values: dict, by) -> None:
    """Saves the values that changed; the history keeps each one before and after. Codes never change here."""
    changes = {name: [getattr(obj, name), value] for name, value in values.items() if getattr(obj, name) != value}
    if not changes:
        return
    for name, (_old, new) in changes.items():
        setattr(obj, name, new)
    obj.full_clean(exclude=["study", "base", "code", "merged_from"])
    obj.save(update_fields=list(changes))
    audit_record(
        study=obj.study,
        by=by,
        action=AuditEvent.Action.EDIT,
        summary=f"Edited {kind} {obj.code}: {', '.join(changes)}",
        detail={"code": obj.code, "changes": changes},
    )


@transaction.atomic
def vignette_update(*, vignette: Vignette, title: str, text: str = "", change: str = "", by=None) -> Vignette:
    """New wording for a vignette or variation; its code and base stay, as the rounds and the analysis follow them.

    A round that has opened keeps the wording it showed (surveys Round.shown);
    the history keeps the old wording and the new.
    """
    base = vignette.base_id is None
    _edit(vignette, "vignette", {"title": title, "text": text if base else "", "change": "" if base else change}, by)
    return vignette


@transaction.atomic
def vignette_remove(*, vignette: Vignette, by=None) -> None:
    """Removes a vignette no round asks about, and that no variation is based on."""
    rounds = sorted(set(Item.objects.filter(vignette=vignette).values_list("round__number", flat=True)))
    if rounds:
        raise ServiceError(
            _("Round(s) %(rounds)s ask about this vignette: it stays, so that what the panel was asked stays on record. "
              "A draft round's items can be removed first.") % {"rounds": ", ".join(map(str, rounds))}
        )
    if vignette.variations.exists():
        raise ServiceError(_("Variations are based on this vignette; remove them first."))
    code = vignette.code
    vignette.delete()
    audit_record(
        study=vignette.study, by=by, action=AuditEvent.Action.EDIT, summary=f"Removed vignette {code}",
        detail={"code": code, "title": vignette.title},
    )


@transaction.atomic
def option_update(*, option: Option, name: str, short: str, group: str, by=None) -> Option:
    """New wording or group for a treatment option; its code stays. Opened rounds keep the wording they showed."""
    _edit(option, "option", {"name": name, "short": short, "group": group}, by)
    return option


@transaction.atomic
def option_remove(*, option: Option, by=None) -> None:
    """Removes an option no round offers and no merge came from or went to."""
    rounds = sorted(set(ItemOption.objects.filter(option=option).values_list("item__round__number", flat=True)))
    if rounds:
        raise ServiceError(
            _("Round(s) %(rounds)s offer this option: it stays, so that what the panel was asked stays on record. "
              "A draft round's items can be changed first.") % {"rounds": ", ".join(map(str, rounds))}
        )
    if option.merged_from.exists() or option.merged_into.exists():
        raise ServiceError(_("This option is part of a merge of options; it stays, as the merge is on record."))
    code = option.code
    option.delete()
    audit_record(
        study=option.study, by=by, action=AuditEvent.Action.EDIT, summary=f"Removed option {code}",
        detail={"code": code, "name": option.name},
    )
