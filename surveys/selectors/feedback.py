"""The panel's anonymous feedback on a closed round: distributions, shares, verdicts and comments (SPEC 5)."""

import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import BooleanField, Case, Exists, OuterRef, Value, When

from consensus import ItemStats, Scale, evaluate, half_away, item_stats
from surveys.models import Answer, AnswerOption, Item, Round, Study, Submission
from surveys.pseudonyms import participant_link_hash


def _mine(user, study_id: int, path: str) -> Case:
    # The keyed hash picks out this user's pseudonym without a separate query
    # and without anything on the page that could name another panelist.
    return Case(
        When(**{f"{path}link_hash": participant_link_hash(study_id=study_id, user_id=user.pk)}, then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


@dataclass
class Bar:
    value: int
    label: str
    count: int
    percent: float
    mine: bool


@dataclass
class OptionShare:
    option_id: int
    name: str
    count: int
    percent: float
    mine: bool
    mean_rank: float | None = None
    my_rank: int | None = None


@dataclass
class Feedback:
    """What the panel answered to an item (or the items it continues) in a round."""

    type: str
    text: str
    n: int
    bars: list[Bar] = field(default_factory=list)
    options: list[OptionShare] = field(default_factory=list)
    stats: ItemStats | None = None
    consensus: bool | None = None
    rule: str = ""
    my_rating: int | None = None
    i_left_blank: bool = False
    # Fewer answers than the study's minimum n: no distribution is shown, so
    # that in a panel of two neither can read the other's rating (SPEC 5).
    too_few: bool = False
    minimum: int = 0


def _submitted(path: str) -> Exists:
    return Exists(
        Submission.objects.filter(round=OuterRef(f"{path}item__round"), participant=OuterRef(f"{path}participant"))
    )


def round_feedback(*, round: Round, items: list[Item], user, panel: int | None, lineage: bool) -> dict[int, Feedback]:
    """The panel's feedback per item id of `items`, from submitted answers only.

    With `lineage` the feedback of an item is that of the item(s) it
    continues in the previous round (shown while voting on round N+1);
    without, it is the item's own round (results released after closing).
    """
    study = round.study
    key = "item__child_links__child_id" if lineage else "item_id"
    scope = {"item__child_links__child__round": round} if lineage else {"item__round": round}
    ratings = (
        Answer.objects.filter(_submitted(""), **scope)
        .annotate(mine=_mine(user, study.pk, "participant__"))
        .values_list(key, "rating", "mine")
    )
    option_scope = {f"answer__{k}": v for k, v in scope.items()}
    chosen = (
        AnswerOption.objects.filter(_submitted("answer__"), **option_scope)
        .annotate(mine=_mine(user, study.pk, "answer__participant__"))
        .values_list(f"answer__{key}", "option_id", "rank", "mine")
    )
    by_item: dict[int, list[tuple[int | None, bool]]] = defaultdict(list)
    for item_id, rating, mine in ratings:
        by_item[item_id].append((rating, mine))
    options_by_item: dict[int, list[tuple[int, int | None, bool]]] = defaultdict(list)
    for item_id, option_id, rank, mine in chosen:
        options_by_item[item_id].append((option_id, rank, mine))

    scale = study.scale
    feedback = {}
    for item in items:
        if lineage and not item.has_parent:
            continue
        text = item.parent_text if lineage else item.text
        if item.is_rated:
            feedback[item.pk] = _rated_feedback(item, text, by_item.get(item.pk, []), scale, study)
        elif item.type in Item.OPTION_LIST_TYPES and panel:
            if panel < study.minimum_n:
                feedback[item.pk] = Feedback(type=item.type, text=text, n=panel, too_few=True, minimum=study.minimum_n)
            else:
                feedback[item.pk] = _options_feedback(item, text, options_by_item.get(item.pk, []), panel)
    return feedback


def _rated_feedback(item: Item, text: str, answers: list, scale: Scale, study: Study) -> Feedback:
    ratings = [rating for rating, _mine in answers if rating is not None]
    mine = [rating for rating, is_mine in answers if is_mine]
    result = Feedback(
        type=item.type,
        text=text,
        n=len(ratings),
        my_rating=mine[0] if mine else None,
        i_left_blank=bool(mine) and mine[0] is None,
        too_few=len(ratings) < study.minimum_n,
        minimum=study.minimum_n,
    )
    if result.too_few:
        return result
    if item.type == Item.Type.CATEGORICAL:
        labels = {value: str(label) for value, label in Item.CATEGORICAL_LABELS.items()}
    else:
        labels = {value: str(value) for value in range(item.scale_min, item.scale_max + 1)}
        if (item.scale_min, item.scale_max) == (scale.min, scale.max) and ratings:
            result.stats = item_stats(ratings, scale)
            verdict = evaluate(ratings, study.consensus_rule, study.consensus_params, scale)
            result.consensus = verdict.consensus
            result.rule = study.describe_rule()
    counts = Counter(ratings)
    result.bars = [
        Bar(
            value=value,
            label=label,
            count=counts[value],
            percent=half_away(100 * counts[value] / len(ratings), 1) if ratings else 0.0,
            mine=value == result.my_rating,
        )
        for value, label in labels.items()
    ]
    return result


def _options_feedback(item: Item, text: str, chosen: list, panel: int) -> Feedback:
    counts = Counter(option_id for option_id, _rank, _mine in chosen)
    mine = {option_id: rank for option_id, rank, is_mine in chosen if is_mine}
    ranks = defaultdict(list)
    for option_id, rank, _mine in chosen:
        if rank is not None:
            ranks[option_id].append(rank)
    shares = [
        OptionShare(
            option_id=link.option_id,
            name=link.option.short or link.option.name,
            count=counts[link.option_id],
            percent=half_away(100 * counts[link.option_id] / panel, 1),
            mine=link.option_id in mine,
            mean_rank=half_away(sum(ranks[link.option_id]) / len(ranks[link.option_id]))
            if ranks[link.option_id]
            else None,
            my_rank=mine.get(link.option_id),
        )
        for link in item.item_options.all()
    ]
    if item.type == Item.Type.RANKING:
        shares.sort(key=lambda share: (share.mean_rank is None, share.mean_rank or 0))
    return Feedback(type=item.type, text=text, n=panel, options=shares)


def comments_for(*, round: Round, previous: bool, panel: int | None) -> dict[int | None, list[str]]:
    """Submitted comments by vignette id, shuffled: unattributed and in no telling order (SPEC 5).

    `panel` is how many submitted the round the comments come from; below the
    study's minimum n there are none to show.
    """
    if not panel or panel < round.study.minimum_n:
        return {}
    number = round.number - 1 if previous else round.number
    texts = (
        Answer.objects.filter(
            _submitted(""),
            item__round__study_id=round.study_id,
            item__round__number=number,
            item__type=Item.Type.COMMENT,
        )
        .exclude(text="")
        .values_list("item__vignette_id", "text")
    )
    by_vignette: dict[int | None, list[str]] = defaultdict(list)
    for vignette_id, text in texts:
        by_vignette[vignette_id].append(text)
    shuffle = secrets.SystemRandom().shuffle
    for texts_of_one in by_vignette.values():
        shuffle(texts_of_one)
    return dict(by_vignette)


def round_panel_size(*, round: Round) -> int:
    """How many panelists submitted the round: the n of its option shares."""
    return Submission.objects.filter(round=round).count()
