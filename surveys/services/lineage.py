"""The next round, drafted from a closed one: every item keeps its lineage to the item(s) it continues.

This is the one place a round is made from another, whether a facilitator
drafts it or an import of answers needs a round the study does not have yet.
"""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from surveys.codes import free_code
from surveys.models import AuditEvent, Item, ItemLink, ItemOption, Round
from surveys.services import ServiceError
from surveys.services.audit import audit_record
from surveys.services.rounds import round_locked
from vignettes.models import Vignette


@dataclass(frozen=True)
class Merge:
    """Items of round N asked as one item in round N+1 (the Mayo panel folded two options into one)."""

    parents: tuple[int, ...]
    code: str
    text: str


@transaction.atomic
def round_create_next(
    *,
    round: Round,
    carry: Collection[int],
    rewordings: Mapping[int, str] | None = None,
    merges: Sequence[Merge] = (),
    drop_vignettes: Collection[int] = (),
    new_statements: Sequence[tuple[Vignette, str, Sequence[int]]] = (),
    kind: str | None = None,
    by=None,
) -> Round:
    """Drafts round N+1 from round N, every item keeping its lineage to the item(s) it continues.

    `carry` names the items of round N to ask again (all of them, those
    without consensus, or a selection: the caller chooses); `rewordings`
    gives a carried item new text; a merge asks several items as one; items
    of a dropped vignette (variation) are not carried. `new_statements`
    (vignette, text, option ids) become new Likert items with no lineage,
    e.g. statements drafted from a development round's top choices.
    """
    round = round_locked(round)
    if round.status != Round.Status.CLOSED:
        raise ServiceError(_("Close round %(number)s before preparing the next one.") % {"number": round.number})
    return _following_create(
        round=round,
        carry=carry,
        rewordings=rewordings or {},
        merges=merges,
        drop_vignettes=drop_vignettes,
        new_statements=new_statements,
        kind=kind,
        by=by,
    )


@transaction.atomic
def round_carry_all(*, round: Round, by=None) -> Round:
    """Round N+1 asking every item of round N again, for answers imported into a round the study lacks.

    Unlike round_create_next, round N may still be a draft: a file of
    answers to round N+1 says the panel was asked, wherever it was asked.
    """
    round = round_locked(round)
    return _following_create(round=round, carry=set(round.items.values_list("pk", flat=True)), by=by)


def _following_create(
    *,
    round: Round,
    carry: Collection[int],
    rewordings: Mapping[int, str] | None = None,
    merges: Sequence[Merge] = (),
    drop_vignettes: Collection[int] = (),
    new_statements: Sequence[tuple[Vignette, str, Sequence[int]]] = (),
    kind: str | None = None,
    by=None,
) -> Round:
    if Round.objects.filter(study=round.study, number=round.number + 1).exists():
        raise ServiceError(_("Round %(number)s already exists.") % {"number": round.number + 1})
    rewordings = rewordings or {}
    items = {item.pk: item for item in round.items.prefetch_related("item_options")}
    merged = {pk for merge in merges for pk in merge.parents}
    unknown = (set(carry) | set(rewordings) | merged) - items.keys()
    if unknown:
        raise ServiceError(_("Some items are not part of round %(number)s.") % {"number": round.number})
    if merged & set(carry):
        raise ServiceError(_("An item cannot be both carried on its own and merged."))
    codes = [merge.code for merge in merges]
    taken = {items[pk].code for pk in carry}
    if len(set(codes)) != len(codes) or set(codes) & taken:
        raise ServiceError(_("Each merged item needs a code of its own."), field="merge_code")
    # A code names one line of items across the rounds (analysis follows it),
    # so a merged or new item never takes a code another item has had.
    study_codes = set(Item.objects.filter(round__study=round.study).values_list("code", flat=True))
    for merge in merges:
        parents = [items[pk] for pk in merge.parents]
        _merge_check(parents)
        if merge.code in study_codes - {parent.code for parent in parents}:
            raise ServiceError(
                _("The code %(code)s belongs to another item of this study; give the merged item a code of its own.")
                % {"code": merge.code},
                field="merge_code",
            )

    following = Round.objects.create(study=round.study, number=round.number + 1, kind=kind or round.kind)
    children, edges, options = [], [], []
    for parent in sorted(items.values(), key=lambda item: (item.position, item.pk)):
        if parent.pk not in carry or parent.vignette_id in drop_vignettes:
            continue
        text = rewordings.get(parent.pk, parent.text).strip() or parent.text
        child = _item_copy(parent, round=following, text=text)
        children.append(child)
        operation = ItemLink.Operation.REWORDED if text != parent.text else ItemLink.Operation.CARRIED
        edges.append((parent.pk, child, operation))
        options.append((child, [link.option_id for link in parent.item_options.all()]))
    for merge in merges:
        parents = [items[pk] for pk in merge.parents]
        child = _item_copy(parents[0], round=following, text=merge.text.strip(), code=merge.code)
        children.append(child)
        edges += [(parent.pk, child, ItemLink.Operation.MERGED) for parent in parents]
        union = list(dict.fromkeys(link.option_id for parent in parents for link in parent.item_options.all()))
        options.append((child, union))
    study = round.study
    codes_used = study_codes | {child.code for child in children}
    for vignette, text, option_ids in new_statements:
        if vignette.study_id != study.pk:
            raise ServiceError(_("A new statement names a vignette of another study."))
        code = free_code(f"{vignette.code}-main", codes_used)
        codes_used.add(code)
        statement = Item(
            round=following,
            code=code,
            type=Item.Type.LIKERT,
            text=text.strip(),
            vignette=vignette,
            scale_min=study.scale_min,
            scale_max=study.scale_max,
        )
        children.append(statement)
        options.append((statement, list(option_ids)))
    if not children:
        raise ServiceError(
            _("Round %(number)s would ask nothing: carry, merge or draft at least one item.")
            % {"number": following.number},
            field="carry",
        )
    fields = sum(Item.ballot_fields(child.type, len(ids)) for child, ids in options)
    if fields > settings.BALLOT_MAX_FIELDS:
        raise ServiceError(
            _("A round's ballot holds at most %(most)s answers (an option list counts one per option); round "
              "%(number)s would need %(total)s. Carry fewer items.")
            % {"most": settings.BALLOT_MAX_FIELDS, "number": following.number, "total": fields},
            field="carry",
        )
    for position, child in enumerate(children):
        child.position = position
    Item.objects.bulk_create(children)
    ItemLink.objects.bulk_create(ItemLink(parent_id=pk, child=child, operation=op) for pk, child, op in edges)
    ItemOption.objects.bulk_create(
        ItemOption(item=child, option_id=option_id, position=i) for child, ids in options for i, option_id in enumerate(ids)
    )
    counts = {op: sum(1 for *_, o in edges if o == op) for op in ItemLink.Operation.values}
    audit_record(
        study=round.study,
        by=by,
        action=AuditEvent.Action.MERGE if merges else AuditEvent.Action.EDIT,
        summary=(
            f"Drafted round {following.number} from round {round.number}: {len(children)} items "
            f"({counts['carried']} carried, {counts['reworded']} reworded, {len(merges)} merged, "
            f"{len(new_statements)} new)"
        ),
        detail={"round": following.number, "from": round.number, "items": len(children)},
    )
    return following


# Items whose answers pool into one: ratings on one scale, or options marked
# (a panelist who marked any parent's option marked the merged one). A
# ranking orders its own options and a comment is its own text: neither pools.
POOLABLE_TYPES = (Item.Type.LIKERT, Item.Type.CATEGORICAL, Item.Type.NOT_RECOMMENDED, Item.Type.TOP_K)


def _merge_check(parents: Sequence[Item]) -> None:
    """Refuses a merge whose parents' answers could not be pooled into the merged item's."""
    types = {parent.type for parent in parents}
    if len(types) > 1:
        names = ", ".join(sorted(str(Item.Type(t).label) for t in types))
        raise ServiceError(
            _("Only items of one type can be merged; these are of several (%(types)s).") % {"types": names},
            field="merge",
        )
    (kind,) = types
    if kind not in POOLABLE_TYPES:
        raise ServiceError(
            _("%(type)s items cannot be merged: their answers do not pool into one.")
            % {"type": Item.Type(kind).label},
            field="merge",
        )
    if len({(parent.scale_min, parent.scale_max, parent.max_choices) for parent in parents}) > 1:
        raise ServiceError(
            _("These items are asked on different scales or with different numbers of choices; they cannot be merged."),
            field="merge",
        )


def _item_copy(item: Item, *, round: Round, text: str, code: str | None = None) -> Item:
    return Item(
        round=round,
        code=code or item.code,
        type=item.type,
        text=text,
        vignette_id=item.vignette_id,
        required=item.required,
        max_choices=item.max_choices,
        scale_min=item.scale_min,
        scale_max=item.scale_max,
    )
