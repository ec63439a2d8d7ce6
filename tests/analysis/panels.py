"""Synthetic panels for analysis tests: write submitted answers straight to the database.

These stand in for what the voting pages or import_responses write, so that
the analysis tests do not depend on either.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from django.utils import timezone

from analysis.services.figures import round_figures_refresh
from surveys.models import Answer, AnswerOption, Item, ItemLink, ItemOption, Participant, Round, Submission
from vignettes.models import Option


def panel(study, size: int) -> list[Participant]:
    """Participants P01..P<size> of `study`, created if missing."""
    labels = [f"P{number:02d}" for number in range(1, size + 1)]
    existing = {p.label: p for p in Participant.objects.filter(study=study, label__in=labels)}
    Participant.objects.bulk_create(Participant(study=study, label=label) for label in labels if label not in existing)
    return list(Participant.objects.filter(study=study, label__in=labels).order_by("label"))


def submit(round_: Round, participants: Iterable[Participant]) -> None:
    Submission.objects.bulk_create(Submission(round=round_, participant=p) for p in participants)


def rate(round_: Round, ratings: Mapping[str, Sequence[int | None]], *, submitted: bool = True) -> list[Participant]:
    """Record ratings per statement code; the i-th rating is panelist P<i+1>'s, None a blank.

    Every panelist of the longest list counts as having submitted the round,
    blanks included, as in SPEC 4.2.
    """
    size = max(len(values) for values in ratings.values())
    people = panel(round_.study, size)
    items = {item.code: item for item in Item.objects.filter(round=round_, code__in=ratings)}
    Answer.objects.bulk_create(
        Answer(
            participant=person,
            item=items[code],
            rating=value,
            scale_min=items[code].scale_min,
            scale_max=items[code].scale_max,
        )
        for code, values in ratings.items()
        for person, value in zip(people, values)
        if value is not None
    )
    if submitted:
        submit(round_, people)
    return people


def select(round_: Round, code: str, choices: Mapping[str, Sequence[str]]) -> None:
    """Record option choices of item `code`: {panelist label: [option codes, in rank order]}."""
    item = Item.objects.get(round=round_, code=code)
    options = {o.code: o for o in Option.objects.filter(study=round_.study)}
    people = {p.label: p for p in panel(round_.study, max(int(label[1:]) for label in choices))}
    answers = Answer.objects.bulk_create(Answer(participant=people[label], item=item) for label in choices)
    AnswerOption.objects.bulk_create(
        AnswerOption(answer=answer, option=options[option], rank=rank)
        for answer, picked in zip(answers, choices.values())
        for rank, option in enumerate(picked, start=1)
    )


def not_recommend(round_: Round, vignette: str, counts: Mapping[str, int]) -> None:
    """Have the first `count` panelists mark each option as not recommended for `vignette`."""
    choices: dict[str, list[str]] = {}
    for option, count in counts.items():
        for number in range(1, count + 1):
            choices.setdefault(f"P{number:02d}", []).append(option)
    select(round_, f"{vignette}:not-recommended", choices)


def close(round_: Round) -> Round:
    """The round closed over the answers written, its figures stored as the ballot box's close stores them."""
    round_.status = Round.Status.CLOSED
    round_.closed_at = timezone.now()
    round_.save(update_fields=["status", "closed_at"])
    round_figures_refresh(study=round_.study, from_number=round_.number)
    return round_


def carry(round_: Round) -> Round:
    """The next round, every item carried forward with its lineage."""
    following = Round.objects.create(study=round_.study, number=round_.number + 1, kind=round_.kind)
    for item in round_.items.prefetch_related("item_options"):
        options = list(item.item_options.all())
        parent_pk = item.pk
        item.pk = None
        item.round = following
        item.save()
        ItemOption.objects.bulk_create(ItemOption(item=item, option_id=o.option_id, position=o.position) for o in options)
        ItemLink.objects.create(parent_id=parent_pk, child=item, operation=ItemLink.Operation.CARRIED)
    return following


def comment(round_: Round, code: str, texts: Mapping[str, str]) -> None:
    """Record comments on item `code`: {panelist label: text}."""
    item = Item.objects.get(round=round_, code=code)
    people = {p.label: p for p in panel(round_.study, max(int(label[1:]) for label in texts))}
    Answer.objects.bulk_create(Answer(participant=people[label], item=item, text=text) for label, text in texts.items())
