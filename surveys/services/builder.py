"""Building a draft round: statements and vignette x option matrices added, items edited or removed, options merged.

Only a draft round changes here; once a round has opened, what the panel
was asked stays on record.
"""

from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from surveys.codes import free_code
from surveys.models import AuditEvent, Item, ItemLink, ItemOption, Round
from surveys.services import ServiceError
from surveys.services.audit import audit_record, shortened
from surveys.services.rounds import round_locked
from vignettes.models import Option, Vignette


def _draft_locked(round: Round) -> Round:
    round = round_locked(round)
    if round.status != Round.Status.DRAFT:
        raise ServiceError(
            _("Round %(number)s is %(status)s; only a draft round's items can change.")
            % {"number": round.number, "status": round.get_status_display().lower()}
        )
    return round


def ballot_fields(round: Round) -> int:
    """The fields the round's ballot posts at most (Item.ballot_fields), over all its items."""
    counted = round.items.annotate(offered=Count("item_options")).values_list("type", "offered")
    return sum(Item.ballot_fields(item_type, offered) for item_type, offered in counted)


def ballot_check(round: Round, adding: int, *, field: str | None = None) -> None:
    """Refuses an addition that would make the round's ballot too large to submit (settings.BALLOT_MAX_FIELDS)."""
    total = ballot_fields(round) + adding
    if total > settings.BALLOT_MAX_FIELDS:
        raise ServiceError(
            _("A round's ballot holds at most %(most)s answers (an option list counts one per option); this would "
              "make it %(total)s. Split the items over two rounds.") % {"most": settings.BALLOT_MAX_FIELDS,
                                                                         "total": total},
            field=field,
        )


@transaction.atomic
def statement_add(*, round: Round, vignette: Vignette, code: str, text: str, options: Sequence[Option], by=None) -> Item:
    """A new Likert statement in a draft round (a consensus statement, or an item the panel asked for)."""
    round = _draft_locked(round)
    if vignette.study_id != round.study_id or any(o.study_id != round.study_id for o in options):
        raise ServiceError(_("The vignette and options must belong to this study."))
    if round.items.filter(code=code).exists():
        raise ServiceError(_("Round %(number)s already has an item %(code)s.") % {"number": round.number, "code": code})
    ballot_check(round, 1)
    study = round.study
    item = Item.objects.create(
        round=round,
        code=code,
        type=Item.Type.LIKERT,
        text=text,
        vignette=vignette,
        scale_min=study.scale_min,
        scale_max=study.scale_max,
        position=round.items.count(),
    )
    ItemOption.objects.bulk_create(ItemOption(item=item, option=o, position=i) for i, o in enumerate(options))
    audit_record(
        study=study,
        by=by,
        action=AuditEvent.Action.EDIT,
        summary=f"Added statement {code} to round {round.number}",
        detail={"round": round.number},
    )
    return item


MATRIX_TEXT = {
    Item.Type.LIKERT: "{option} would be my main choice as the next treatment recommendation for this patient.",
    Item.Type.CATEGORICAL: "How would you rate {option} as the next treatment for this patient?",
    Item.Type.TOP_K: "Which option(s) would be your top choice(s) for this patient?",
    Item.Type.NOT_RECOMMENDED: "Which of these options would you not recommend for this patient?",
    Item.Type.RANKING: "Rank these options for this patient, best first.",
    Item.Type.COMMENT: "Comments on your reasoning (optional, shown to the panel without your name).",
}


@transaction.atomic
def matrix_add(
    *,
    round: Round,
    vignettes: Sequence[Vignette],
    options: Sequence[Option],
    item_type: str,
    max_choices: int | None = None,
    by=None,
) -> list[Item]:
    """Items over vignettes x options in a draft round, as the Mayo development surveys asked them.

    Likert and 4-point items: one per vignette and option. Top choices,
    not-recommended and ranking: one per vignette, offering every option.
    Comments: one per vignette.
    """
    round = _draft_locked(round)
    study = round.study
    if any(v.study_id != study.pk for v in vignettes) or any(o.study_id != study.pk for o in options):
        raise ServiceError(_("The vignettes and options must belong to this study."))
    if item_type == Item.Type.TOP_K and not (max_choices and 1 <= max_choices <= len(options)):
        raise ServiceError(_("Top choices need a number between 1 and the number of options."))
    rated = item_type == Item.Type.LIKERT
    planned: list[tuple[Item, list[Option]]] = []
    for vignette in vignettes:
        if item_type in Item.RATED_TYPES:
            for option in options:
                text = MATRIX_TEXT[item_type].format(option=option.name)
                planned.append((Item(round=round, code=f"{vignette.code}-{option.code}", type=item_type, text=text,
                                     vignette=vignette), [option]))
        else:
            code = f"{vignette.code}:{item_type.replace('_', '-')}"
            offered = [] if item_type == Item.Type.COMMENT else list(options)
            planned.append((Item(round=round, code=code, type=item_type, text=MATRIX_TEXT[item_type], vignette=vignette,
                                 max_choices=max_choices if item_type == Item.Type.TOP_K else None,
                                 required=item_type in (Item.Type.TOP_K, Item.Type.RANKING)), offered))
    taken = set(round.items.values_list("code", flat=True))
    clashes = sorted(item.code for item, _o in planned if item.code in taken)
    if clashes:
        raise ServiceError(_("The round already has items %(codes)s.") % {"codes": ", ".join(clashes[:5])})
    ballot_check(round, sum(Item.ballot_fields(item.type, len(offered)) for item, offered in planned))
    start = round.items.count()
    for position, (item, _o) in enumerate(planned, start=start):
        item.position = position
        if rated:
            item.scale_min, item.scale_max = study.scale_min, study.scale_max
    items = Item.objects.bulk_create([item for item, _o in planned])
    ItemOption.objects.bulk_create(
        ItemOption(item=item, option=option, position=i) for item, offered in planned for i, option in enumerate(offered)
    )
    audit_record(
        study=study,
        by=by,
        action=AuditEvent.Action.EDIT,
        summary=f"Added {len(items)} {Item.Type(item_type).label.lower()} item(s) to round {round.number}",
        detail={"round": round.number, "items": len(items)},
    )
    return items



@transaction.atomic
def item_update(*, item: Item, text: str, options: Sequence[Option] | None = None, by=None) -> Item:
    """Rewords an item of a draft round and, where it offers or names options, sets them.

    A carried item whose words now differ from the item it continues is
    "reworded" in its lineage, and "carried" again if the old words come back.
    """
    round = _draft_locked(item.round)
    item = Item.objects.get(pk=item.pk, round=round)
    text = text.strip()
    if not text:
        raise ServiceError(_("An item needs its text."))
    changed = []
    if text != item.text:
        item.text = text
        item.save(update_fields=["text"])
        changed.append("text")
    if options is not None and item.type in (Item.Type.LIKERT, *Item.OPTION_LIST_TYPES):
        if any(option.study_id != round.study_id for option in options):
            raise ServiceError(_("The options must belong to this study."))
        if item.type in Item.OPTION_LIST_TYPES and not options:
            raise ServiceError(_("This item needs at least one option to offer."))
        if item.type == Item.Type.TOP_K and len(options) < item.max_choices:
            raise ServiceError(_("Offer at least as many options as the panel picks."))
        # Options the item already has keep their place (a statement names them
        # in its own order); new ones follow in the order given.
        current = list(item.item_options.order_by("position").values_list("option_id", flat=True))
        given = [option.pk for option in options]
        grown = Item.ballot_fields(item.type, len(set(given))) - Item.ballot_fields(item.type, len(current))
        if grown > 0:
            ballot_check(round, grown, field="options")
        wanted = [pk for pk in current if pk in given] + [pk for pk in given if pk not in current]
        if current != wanted:
            item.item_options.all().delete()
            ItemOption.objects.bulk_create(
                ItemOption(item=item, option_id=pk, position=position) for position, pk in enumerate(wanted)
            )
            changed.append("options")
    links = ItemLink.objects.filter(child=item)
    links.filter(operation=ItemLink.Operation.CARRIED).exclude(parent__text=item.text).update(
        operation=ItemLink.Operation.REWORDED
    )
    links.filter(operation=ItemLink.Operation.REWORDED, parent__text=item.text).update(
        operation=ItemLink.Operation.CARRIED
    )
    if changed:
        audit_record(
            study=round.study,
            by=by,
            action=AuditEvent.Action.EDIT,
            summary=f"Edited the {' and '.join(changed)} of item {item.code} in round {round.number}",
            detail={"round": round.number, "item": item.code, "fields": changed},
        )
    return item


@transaction.atomic
def item_remove(*, item: Item, by=None) -> None:
    """Takes an item out of a draft round; nobody has answered it, and no later round continues it."""
    round = _draft_locked(item.round)
    code = item.code
    Item.objects.filter(pk=item.pk, round=round).delete()
    audit_record(
        study=round.study,
        by=by,
        action=AuditEvent.Action.EDIT,
        summary=f"Removed item {code} from round {round.number}",
        detail={"round": round.number, "item": code},
    )


@transaction.atomic
def item_move(*, item: Item, up: bool, by=None) -> None:
    """Moves an item of a draft round one place up or down; the panel answers in this order."""
    round = _draft_locked(item.round)
    items = list(round.items.order_by("position", "pk"))
    at = next(i for i, other in enumerate(items) if other.pk == item.pk)
    to = at - 1 if up else at + 1
    if not 0 <= to < len(items):
        return
    items[at], items[to] = items[to], items[at]
    for position, other in enumerate(items):
        other.position = position
    Item.objects.bulk_update(items, ["position"])
    audit_record(
        study=round.study,
        by=by,
        action=AuditEvent.Action.EDIT,
        summary=f"Moved item {item.code} {'up' if up else 'down'} in round {round.number}",
        detail={"round": round.number, "item": item.code, "position": to},
    )


@transaction.atomic
def options_merge(
    *, round: Round, options: Sequence[Option], code: str, name: str, short: str, group: str, by=None
) -> Option:
    """Asks several options as one from this draft round on, as the Mayo panel folded vortioxetine and
    vilazodone into "SRI not yet tried".

    The new option records what it was merged from. Items asked per option
    (a 4-point or Likert item about one option) become one item per vignette
    and type whose lineage names every item it replaces, as "merged"; items
    offering several options offer the new one in place of the old ones.
    The queries do not grow with the number of items.
    """
    round = _draft_locked(round)
    study = round.study
    old = {option.pk: option for option in options}
    if len(old) < 2:
        raise ServiceError(_("Choose at least two options to merge."))
    if any(option.study_id != study.pk for option in options):
        raise ServiceError(_("The options must belong to this study."))
    if Option.objects.filter(study=study, code=code).exists():
        raise ServiceError(_("This study already has %(code)s.") % {"code": code})
    merged = Option.objects.create(
        study=study, code=code, name=name, short=short, group=group, position=min(o.position for o in options)
    )
    merged.merged_from.set(options)

    items = list(
        round.items.select_related("vignette")
        .prefetch_related("item_options", "parent_links")
        .order_by("position", "pk")
    )
    per_option: dict[tuple, list[Item]] = {}
    listing: list[tuple[Item, list[ItemOption]]] = []
    for item in items:
        links = list(item.item_options.all())
        hit = [link for link in links if link.option_id in old]
        if not hit:
            continue
        if item.type in Item.RATED_TYPES and len(links) == 1:
            per_option.setdefault((item.vignette_id, item.type), []).append(item)
        else:
            listing.append((item, hit))

    taken = {item.code for item in items}
    keepers, dropped, edges = [], [], []
    for group_items in per_option.values():
        keeper, rest = group_items[0], group_items[1:]
        former = old[keeper.item_options.all()[0].option_id]
        if keeper.vignette is not None and keeper.code == f"{keeper.vignette.code}-{former.code}":
            keeper.code = free_code(f"{keeper.vignette.code}-{code}", taken)
            taken.add(keeper.code)
        if keeper.text == MATRIX_TEXT[keeper.type].format(option=former.name):
            keeper.text = MATRIX_TEXT[keeper.type].format(option=name)
        keepers.append(keeper)
        dropped += rest
        own = {link.parent_id for link in keeper.parent_links.all()}
        inherited = {link.parent_id for item in rest for link in item.parent_links.all()} - own
        edges += [ItemLink(parent_id=pk, child=keeper, operation=ItemLink.Operation.MERGED) for pk in sorted(inherited)]
    Item.objects.filter(pk__in=[item.pk for item in dropped]).delete()
    Item.objects.bulk_update(keepers, ["code", "text"])
    ItemOption.objects.filter(item__in=keepers).update(option=merged)
    ItemLink.objects.filter(child__in=keepers).update(operation=ItemLink.Operation.MERGED)
    ItemLink.objects.bulk_create(edges)

    ItemOption.objects.filter(item__in=[item for item, _hit in listing], option_id__in=old).delete()
    ItemOption.objects.bulk_create(
        ItemOption(item=item, option=merged, position=min(link.position for link in hit)) for item, hit in listing
    )
    # A top-3 of options of which two became one may now offer fewer than three.
    narrowed = []
    for item, hit in listing:
        offered = len(item.item_options.all()) - len(hit) + 1
        if item.type == Item.Type.TOP_K and item.max_choices > offered:
            item.max_choices = offered
            narrowed.append(item)
    Item.objects.bulk_update(narrowed, ["max_choices"])

    codes = [old[pk].code for pk in sorted(old, key=lambda pk: (old[pk].position, pk))]
    audit_record(
        study=study,
        by=by,
        action=AuditEvent.Action.MERGE,
        summary=(
            f"Merged options {shortened(', '.join(codes))} into {code} in round {round.number}: "
            f"{len(keepers) + len(dropped)} items asked per option became {len(keepers)}, "
            f"{len(listing)} items offer {code} instead"
        ),
        detail={"round": round.number, "option": code, "from": codes},
    )
    return merged
