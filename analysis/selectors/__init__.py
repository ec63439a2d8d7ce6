"""Reads for analysis: one query per frame, never one per item or per panelist.

The reads of the raw answers themselves, for their downloads, are in
`raw_answers`.

Frames are read through a plain cursor from the queryset's own SQL, because
building a model instance or a dict per row costs more than the whole
analysis once a round holds hundreds of thousands of ratings.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import pandas as pd
from django.db import connections
from django.db.models import Count, F, Prefetch, QuerySet

from surveys.models import (
    Answer,
    AnswerOption,
    Invitation,
    Item,
    ItemLink,
    ItemOption,
    Membership,
    ProtocolDeviation,
    Round,
    RoundFigures,
    Study,
    Submission,
)
from analysis.files.foreign.mapping import StudyTerms
from vignettes.models import Option, Vignette

class NoRoundToAnalyse(Exception):
    pass


def frame(queryset: QuerySet, columns: list[str]) -> pd.DataFrame:
    """The rows of a values_list() queryset as a DataFrame with these column names."""
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return pd.DataFrame.from_records(rows, columns=columns)


# Rows fetched at a time by whole_number_chunks.
FETCH_ROWS = 50_000


def whole_number_chunks(queryset: QuerySet) -> Iterator[np.ndarray]:
    """The rows of a values_list() of non-null whole numbers, as int64 arrays of up to FETCH_ROWS rows.

    A million ratings held as Python tuples take some 200 MiB; as an array,
    24 bytes a row.
    """
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(FETCH_ROWS):
            yield np.array(rows, dtype=np.int64)


def whole_number_frame(queryset: QuerySet, columns: list[str]) -> pd.DataFrame:
    """whole_number_chunks as one frame with these column names."""
    parts = list(whole_number_chunks(queryset))
    array = np.concatenate(parts) if parts else np.empty((0, len(columns)), dtype=np.int64)
    return pd.DataFrame(array, columns=columns)


class RoundNotClosed(NoRoundToAnalyse):
    """A round that is open or a draft: its answers are counted only when it closes (SPEC 5)."""


def study_rounds(*, study: Study) -> list[Round]:
    return list(study.rounds.order_by("number"))


def round_for_analysis(*, study: Study, number: int | None = None) -> Round:
    """Round `number` of the study, or by default its last closed round; only a closed round is analysed."""
    rounds = Round.objects.select_related("study").filter(study=study)
    if number is not None:
        found = rounds.filter(number=number).first()
        if found is None:
            raise NoRoundToAnalyse(f"study {study.slug} has no round {number}")
        if found.status != Round.Status.CLOSED:
            state = "a draft" if found.status == Round.Status.DRAFT else "open"
            raise RoundNotClosed(
                f"round {number} of study {study.slug} is {state}: its results exist only once it has closed"
            )
        return found
    found = rounds.filter(status=Round.Status.CLOSED).order_by("-number").first()
    if found is None:
        raise NoRoundToAnalyse(f"study {study.slug} has no closed round yet; name one with --round")
    return found


def vignettes_frame(*, study: Study) -> pd.DataFrame:
    return frame(
        Vignette.objects.filter(study=study).order_by("position", "pk").values_list("pk", "code", "title"),
        ["vignette_id", "vignette", "vignette_title"],
    )


def options_frame(*, study: Study) -> pd.DataFrame:
    return frame(
        Option.objects.filter(study=study).order_by("position", "pk").values_list("pk", "code", "name", "short"),
        ["option_id", "option", "option_name", "option_short"],
    )


def items_frame(*, rounds: Iterable[Round]) -> pd.DataFrame:
    """Every item of these rounds, in questionnaire order."""
    return frame(
        Item.objects.filter(round__in=rounds)
        .order_by("round__number", "position", "pk")
        .values_list("pk", "round__number", "code", "type", "text", "vignette_id", "scale_min", "scale_max"),
        ["item_id", "round", "statement", "type", "text", "vignette_id", "scale_min", "scale_max"],
    )


def item_options_frame(*, rounds: Iterable[Round]) -> pd.DataFrame:
    return frame(
        ItemOption.objects.filter(item__round__in=rounds)
        .order_by("item_id", "position", "pk")
        .values_list("item_id", "option_id"),
        ["item_id", "option_id"],
    )


def _rated(*, rounds: Iterable[Round]) -> QuerySet:
    """Ratings of these rounds given by participants who submitted them (drafts never count)."""
    return Answer.objects.filter(
        item__round__in=rounds,
        item__type__in=Item.RATED_TYPES,
        rating__isnull=False,
        participant__submissions__round=F("item__round"),
    )


def _chosen(*, rounds: Iterable[Round], types: tuple[str, ...]) -> QuerySet:
    """Options chosen in items of these types by participants who submitted the round."""
    return AnswerOption.objects.filter(
        answer__item__round__in=rounds,
        answer__item__type__in=types,
        answer__participant__submissions__round=F("answer__item__round"),
    )


def ratings_frame(*, rounds: Iterable[Round]) -> pd.DataFrame:
    """Ratings given by participants who submitted the item's round; blanks are absent.

    Participants are ids, enough to pair a panelist's ratings across rounds;
    joining their labels would cost a third of the query on a large round.
    """
    return whole_number_frame(
        _rated(rounds=rounds).values_list("item_id", "participant_id", "rating"),
        ["item_id", "participant", "rating"],
    )


def rating_counts_frame(*, rounds: Iterable[Round]) -> pd.DataFrame:
    """How many submitted panelists gave each rating to each rated item.

    Every statistic and verdict of an item follows from these counts, so the
    database counts and sends a few rows per item, not one per rating.
    """
    return frame(
        _rated(rounds=rounds)
        .values("item_id", "rating")
        .annotate(count=Count("pk"))
        .order_by()
        .values_list("item_id", "rating", "count"),
        ["item_id", "rating", "count"],
    )


def figures_protocols(*, rounds: Iterable[Round]) -> dict[int, dict | None]:
    """The protocol each of these rounds' figures were stored under (RoundFigures), None for a round with none."""
    return dict(Round.objects.filter(pk__in=rounds).values_list("pk", "figures__protocol"))


def figures_parts(*, rounds: Iterable[Round | int], parts: Sequence[str]) -> dict[int, tuple[dict, dict]]:
    """(protocol, {part: value}) of these parts (RoundFigures.PARTS) of the figures stored for these rounds."""
    rows = RoundFigures.objects.filter(round__in=rounds).values_list("round_id", "protocol", *parts)
    return {round_id: (protocol, dict(zip(parts, values))) for round_id, protocol, *values in rows}


def choice_counts_frame(*, rounds: Iterable[Round], types: tuple[str, ...]) -> pd.DataFrame:
    """Per item and option: how many submitted panelists chose it."""
    return frame(
        _chosen(rounds=rounds, types=types)
        .values("answer__item_id", "option_id")
        .annotate(count=Count("pk"))
        .order_by()
        .values_list("answer__item_id", "option_id", "count"),
        ["item_id", "option_id", "count"],
    )


def selections_frame(*, rounds: Iterable[Round], types: tuple[str, ...]) -> pd.DataFrame:
    """Options chosen in items of these types, by participants who submitted the round."""
    return frame(
        _chosen(rounds=rounds, types=types).values_list("answer__item_id", "answer__participant_id", "option_id", "rank"),
        ["item_id", "participant", "option_id", "rank"],
    )


def submissions_frame(*, study: Study) -> pd.DataFrame:
    """Who (by pseudonym, and its id for joining ratings) submitted which round."""
    return frame(
        Submission.objects.filter(round__study=study).values_list("round__number", "participant__label", "participant_id"),
        ["round", "participant", "participant_id"],
    )


def panel_counts(*, study: Study) -> tuple[int, int]:
    """How many panelists were invited (one per address) and how many joined: counts, never who (SPEC 5)."""
    invited = (
        Invitation.objects.filter(study=study, role=Membership.Role.PANELIST).values("email").distinct().count()
    )
    joined = Membership.objects.active().filter(study=study, role=Membership.Role.PANELIST).count()
    return invited, joined


def comments_frame(*, round: Round) -> pd.DataFrame:
    """The round's submitted comments with their item and pseudonym, in random order (SPEC 5)."""
    comments = frame(
        Answer.objects.filter(
            item__round=round,
            item__type=Item.Type.COMMENT,
            participant__submissions__round=F("item__round"),
        )
        .exclude(text="")
        .values_list("item__vignette__code", "item__vignette__title", "item__code", "participant__label", "text"),
        ["vignette", "vignette_title", "statement", "pseudonym", "comment"],
    )
    order = list(range(len(comments)))
    secrets.SystemRandom().shuffle(order)
    return comments.iloc[order].reset_index(drop=True)


def lineage_frame(*, rounds: Iterable[Round]) -> pd.DataFrame:
    """Edges of the lineage whose child item is in one of these rounds."""
    return frame(
        ItemLink.objects.filter(child__round__in=rounds).values_list("parent_id", "child_id", "operation"),
        ["parent_id", "child_id", "operation"],
    )


def comments_by_vignette(*, round: Round) -> list[tuple[str, list[str]]]:
    """The round's submitted comments per vignette, unattributed and shuffled (SPEC 5)."""
    rows = (
        Answer.objects.filter(
            item__round=round,
            item__type=Item.Type.COMMENT,
            participant__submissions__round=F("item__round"),
        )
        .exclude(text="")
        .order_by("item__vignette__position", "item__vignette_id")
        .values_list("item__vignette__title", "text")
    )
    grouped: dict[str, list[str]] = {}
    for title, text in rows:
        grouped.setdefault(title or "", []).append(text)
    shuffle = secrets.SystemRandom().shuffle
    for texts in grouped.values():
        shuffle(texts)
    return list(grouped.items())


def protocol_deviations(*, study: Study) -> list[ProtocolDeviation]:
    return list(ProtocolDeviation.objects.filter(study=study).order_by("made_at", "pk"))


def study_file_data(*, study: Study) -> dict:
    """The study as a study file (SPEC 4.1): its latest round's statements, so a study carries on as it stands."""
    latest = study.rounds.order_by("-number").first()
    statements = []
    if latest is not None:
        for item in (
            Item.objects.filter(round=latest, type=Item.Type.LIKERT)
            .select_related("vignette")
            .prefetch_related(Prefetch("item_options", queryset=ItemOption.objects.select_related("option")))
            .order_by("position", "pk")
        ):
            statements.append(
                {
                    "code": item.code,
                    "vignette": item.vignette.code,
                    "text": item.text,
                    "options": [link.option.code for link in item.item_options.all()],
                }
            )
    vignettes = []
    for v in study.vignettes.select_related("base").order_by("position", "pk"):
        entry = {"code": v.code, "title": v.title}
        if v.base_id:
            entry.update(base=v.base.code, change=v.change)
        else:
            entry["text"] = v.text
        vignettes.append(entry)
    threshold = float(study.not_recommended_threshold)
    return {
        "slug": study.slug,
        "title": study.title,
        **({"description": study.description} if study.description else {}),
        "scale": {"min": study.scale_min, "max": study.scale_max, "neutral": study.scale_neutral},
        "consensus": {"rule": study.consensus_rule, **study.consensus_params},
        "not_recommended_threshold": int(threshold) if threshold.is_integer() else threshold,
        "options": [
            {"code": o.code, "name": o.name, "short": o.short, "group": o.group}
            for o in study.options.order_by("position", "pk")
        ],
        "vignettes": vignettes,
        "statements": statements,
    }


def import_terms(*, study: Study) -> StudyTerms:
    """The study's codes and wording that a mapping of another tool's export is checked and proposed against.

    A statement's wording is its latest, as the export most likely asked it.
    """
    statements, not_recommended, vignettes = {}, {}, {}
    items = Item.objects.filter(round__study=study).select_related("vignette").order_by("round__number", "position")
    for item in items:
        if item.type in Item.RATED_TYPES:
            statements[item.code] = item.text
        elif item.type == Item.Type.NOT_RECOMMENDED and item.vignette is not None:
            not_recommended[item.vignette.code] = " ".join(filter(None, [item.text, item.vignette.title]))
            vignettes[item.vignette.code] = item.vignette.title
    options = {code: (name, short) for code, name, short in Option.objects.filter(study=study).values_list("code", "name", "short")}
    last = study.rounds.order_by("-number").values_list("number", flat=True).first() or 1
    return StudyTerms(
        statements=statements, not_recommended=not_recommended, options=options, last_round=last, vignettes=vignettes
    )
