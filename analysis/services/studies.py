"""What a checked study file (analysis.files.study) writes: the study, its content, and round 1."""

from django.db import transaction

from analysis.files.study import StudySpec
from surveys.models import AuditEvent, Item, ItemOption, Membership, Round, Study
from surveys.services import ServiceError
from surveys.services.audit import audit_record, shortened
from vignettes.models import Option, Vignette


@transaction.atomic
def study_import(*, spec: StudySpec, by=None) -> Study:
    """Writes a checked study file: study, options, vignettes, and round 1.

    The statements become the Likert items of a first consensus round (a
    draft), with a not-recommended multi-select and an optional comment per
    vignette, as in the Mayo consensus questionnaire.
    """
    if Study.objects.filter(slug=spec.slug).exists():
        raise ServiceError(f"{spec.source}: slug: a study {spec.slug!r} already exists", field="slug")
    study = Study.objects.create(
        slug=spec.slug,
        title=spec.title,
        description=spec.description,
        scale_min=spec.scale.min,
        scale_max=spec.scale.max,
        scale_neutral=spec.scale.neutral,
        consensus_rule=spec.rule,
        consensus_params=spec.rule_params,
        not_recommended_threshold=spec.not_recommended_threshold,
    )
    options = {
        option.code: option
        for option in Option.objects.bulk_create(
            Option(study=study, position=i, code=o.code, name=o.name, short=o.short, group=o.group)
            for i, o in enumerate(spec.options)
        )
    }
    vignettes = _vignettes_create(study=study, spec=spec)
    if spec.statements:
        _consensus_round_create(study=study, spec=spec, vignettes=vignettes, options=options)
    if by is not None:
        # Only a facilitator's import through the pages is their action; the
        # import_study command is the operator's and has no one to record.
        Membership.objects.create(study=study, user=by, role=Membership.Role.FACILITATOR)
        audit_record(
            study=study,
            by=by,
            action=AuditEvent.Action.CREATE,
            summary=f"Created the study from the study file {shortened(spec.source)}",
            detail={"source": str(spec.source)},
        )
    return study


def _vignettes_create(*, study: Study, spec: StudySpec) -> dict[str, Vignette]:
    # Bases first, so that the variations can point at them.
    positions = {v.code: i for i, v in enumerate(spec.vignettes)}
    vignettes = {}
    for pass_bases in (True, False):
        batch = [
            Vignette(
                study=study,
                code=v.code,
                title=v.title,
                text=v.text,
                change=v.change,
                base=None if pass_bases else vignettes[v.base],
                position=positions[v.code],
            )
            for v in spec.vignettes
            if (v.base is None) == pass_bases
        ]
        vignettes.update((v.code, v) for v in Vignette.objects.bulk_create(batch))
    return vignettes


def _consensus_round_create(
    *, study: Study, spec: StudySpec, vignettes: dict[str, Vignette], options: dict[str, Option]
) -> Round:
    round_ = Round.objects.create(study=study, number=1, kind=Round.Kind.CONSENSUS)
    items, item_options = [], []
    by_vignette = {v.code: [s for s in spec.statements if s.vignette == v.code] for v in spec.vignettes}
    for v in spec.vignettes:
        statements = by_vignette[v.code]
        if not statements:
            continue
        vignette = vignettes[v.code]
        for s in statements:
            item = Item(
                round=round_,
                code=s.code,
                type=Item.Type.LIKERT,
                text=s.text,
                vignette=vignette,
                scale_min=spec.scale.min,
                scale_max=spec.scale.max,
            )
            items.append(item)
            item_options += [(item, options[code]) for code in s.options]
        not_recommended = Item(
            round=round_,
            code=f"{v.code}:not-recommended",
            type=Item.Type.NOT_RECOMMENDED,
            text="Which of these options would you not recommend for this patient?",
            vignette=vignette,
            required=False,
        )
        items.append(not_recommended)
        item_options += [(not_recommended, option) for option in options.values()]
        items.append(
            Item(
                round=round_,
                code=f"{v.code}:comment",
                type=Item.Type.COMMENT,
                text="Comments on your reasoning (optional, shown to the panel without your name).",
                vignette=vignette,
                required=False,
            )
        )
    for position, item in enumerate(items):
        item.position = position
    Item.objects.bulk_create(items)
    positions: dict[int, int] = {}
    links = []
    for item, option in item_options:
        positions[item.pk] = positions.get(item.pk, -1) + 1
        links.append(ItemOption(item=item, option=option, position=positions[item.pk]))
    ItemOption.objects.bulk_create(links)
    return round_


# -- rounds --------------------------------------------------------------------
