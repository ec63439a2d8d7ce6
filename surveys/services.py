"""Writes to studies, rounds, items and participants. Every one is atomic."""

import hashlib
import hmac
import secrets
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from surveys.models import Item, ItemOption, Membership, Participant, Round, Study
from surveys.studyfile import StudyFileError, StudySpec
from vignettes.models import Option, Vignette


class ServiceError(Exception):
    """A request that the rules of the study refuse; the message is for the user."""


# -- participants (SPEC 5) ---------------------------------------------------


def participant_link_hash(*, study_id: int, user_id: int) -> str:
    """The keyed hash that links a user to their pseudonym in one study.

    The key is in settings (the environment), not the database, so the
    database alone cannot say whose answers are whose.
    """
    message = f"participant:{study_id}:{user_id}".encode()
    return hmac.new(settings.PARTICIPANT_LINK_KEY.encode(), message, hashlib.sha256).hexdigest()


def _next_labels(*, study: Study, count: int) -> list[str]:
    taken = Participant.objects.filter(study=study).count()
    return [f"P{number:02d}" for number in range(taken + 1, taken + count + 1)]


@transaction.atomic
def participants_assign(*, study: Study) -> int:
    """Gives every panelist of the study a pseudonym, in random order.

    Pseudonyms are numbered P01, P02 ... in a shuffled order of the panel, so
    neither the label nor the row order follows the order people joined.
    Returns how many were created.
    """
    user_ids = list(
        Membership.objects.filter(study=study, role=Membership.Role.PANELIST).values_list("user_id", flat=True)
    )
    existing = set(Participant.objects.filter(study=study).values_list("link_hash", flat=True))
    hashes = [
        link_hash
        for link_hash in (participant_link_hash(study_id=study.pk, user_id=uid) for uid in user_ids)
        if link_hash not in existing
    ]
    secrets.SystemRandom().shuffle(hashes)
    labels = _next_labels(study=study, count=len(hashes))
    Participant.objects.bulk_create(
        Participant(study=study, label=label, link_hash=link_hash) for label, link_hash in zip(labels, hashes)
    )
    return len(hashes)


@transaction.atomic
def participant_for(*, study: Study, user) -> Participant:
    """The pseudonym of `user` in `study`, created on first use."""
    link_hash = participant_link_hash(study_id=study.pk, user_id=user.pk)
    participant = Participant.objects.filter(study=study, link_hash=link_hash).first()
    if participant is None:
        # Lock the study row so that two first answers cannot take one label.
        Study.objects.select_for_update().get(pk=study.pk)
        (label,) = _next_labels(study=study, count=1)
        participant = Participant.objects.create(study=study, label=label, link_hash=link_hash)
    return participant


# -- studies -------------------------------------------------------------------


@transaction.atomic
def study_import(*, spec: StudySpec, by=None) -> Study:
    """Writes a checked study file: study, options, vignettes, and round 1.

    The statements become the Likert items of a first consensus round (a
    draft), with a not-recommended multi-select and an optional comment per
    vignette, as in the Mayo consensus questionnaire.
    """
    if Study.objects.filter(slug=spec.slug).exists():
        raise StudyFileError([f"{spec.source}: slug: a study {spec.slug!r} already exists"])
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
        Membership.objects.create(study=study, user=by, role=Membership.Role.FACILITATOR)
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


@transaction.atomic
def round_open(*, round: Round, deadline: datetime | None = None) -> Round:
    """Opens a draft round for voting and gives the panel its pseudonyms."""
    round = Round.objects.select_for_update().get(pk=round.pk)
    if round.status != Round.Status.DRAFT:
        raise ServiceError(f"Round {round.number} is {round.get_status_display().lower()}, not a draft.")
    if not round.items.exists():
        raise ServiceError(f"Round {round.number} has no items yet.")
    if deadline is not None and deadline <= timezone.now():
        raise ServiceError("The deadline must lie in the future.")
    round.status = Round.Status.OPEN
    round.opened_at = timezone.now()
    round.deadline = deadline
    round.save(update_fields=["status", "opened_at", "deadline"])
    participants_assign(study=round.study)
    return round
