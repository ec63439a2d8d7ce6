"""The panel's anonymous feedback on a closed round: distributions, shares, verdicts and comments (SPEC 5)."""

import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np
from django.db.models import Case, Count, F, IntegerField, Q, Subquery, Value, When

from consensus import ItemStats, assess, half_away, item_stats
from surveys.models import Answer, AnswerOption, Item, ItemLink, Participant, Round, RoundFigures, Study, Submission
from surveys.pseudonyms import participant_link_hash
from vignettes.models import Option


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
    """What the panel answered to an item (or the items it continues) in a round.

    `texts` holds the wording the panel answered: one item's, or, for an
    option list merged from several items, each one's.
    """

    type: str
    texts: list[str]
    n: int
    bars: list[Bar] = field(default_factory=list)
    options: list[OptionShare] = field(default_factory=list)
    stats: ItemStats | None = None
    consensus: bool | None = None
    rule: str = ""
    my_rating: int | None = None
    my_label: str = ""
    i_left_blank: bool = False
    # Fewer answers than the study's minimum n: no distribution is shown, so
    # that in a panel of two neither can read the other's rating (SPEC 5).
    too_few: bool = False
    minimum: int = 0


@dataclass(frozen=True)
class _Sources:
    """Where an item's feedback comes from: the items answered then, by the item shown now."""

    parents: dict[int, list[tuple[int, str]]]
    # The answered items, as a subquery, and the round they belong to.
    parent_ids: Subquery
    number: int
    # That round's protocol if its results were released (Round.protocol).
    protocol: dict | None = None


def round_feedback(
    *, round: Round, items: list[Item], user, panel: int | None, lineage: bool
) -> dict[int, list[Feedback]]:
    """The panel's feedback per item id of `items`, from submitted answers only.

    With `lineage` the feedback of an item is that of the item(s) it
    continues in the previous round (shown while voting on round N+1);
    without, it is the item's own round (results released after closing).
    A rated item continuing several items shows each one's ratings apart:
    pooled, a panelist would count once per item. An option list pools its
    items: an option's share is the panelists who marked it, or any option
    merged into it, in any of them. The queries do not grow with the number
    of items or panelists: rated items' counts are those stored at close
    (RoundFigures), else the database counts, as it counts option shares.
    """
    study = round.study
    sources = _sources(round=round, items=items, lineage=lineage)
    submitters = Submission.objects.filter(round__study_id=study.pk, round__number=sources.number).values(
        "participant_id"
    )
    mine = Subquery(
        Participant.objects.filter(
            study_id=study.pk, link_hash=participant_link_hash(study_id=study.pk, user_id=user.pk)
        )
        .order_by()
        .values("pk")[:1]
    )
    rated = [item for item in items if item.is_rated and item.pk in sources.parents]
    counts: dict[int, Counter] = defaultdict(Counter)
    my_ratings: dict[int, int | None] = {}
    figures = RoundFigures.objects.filter(round__study_id=study.pk, round__number=sources.number)
    stored = figures.values_list("counts", flat=True).first() if rated else None
    if stored is not None:
        # Counted when the round's answers were written (RoundFigures): only this panelist's own are read.
        wanted = {parent_id for item in rated for parent_id, _text in sources.parents[item.pk]}
        for item_id, pairs in stored.items():
            if int(item_id) in wanted:
                counts[int(item_id)] = Counter(dict(pairs))
        my_ratings = dict(
            Answer.objects.filter(
                item_id__in=wanted, participant_id=mine, participant__submissions__round__number=sources.number
            ).values_list("item_id", "rating")
        )
    elif rated:
        # "+ 0" keeps SQLite from reaching the ratings through the index of
        # who submitted, a row lookup per answer (0.6 s for 300,000): it
        # counts them in the index on (item, rating, participant) instead.
        # Blanks are counted too, but only to find this panelist's own.
        counted = (
            Answer.objects.alias(who=F("participant_id") + 0)
            .filter(item_id__in=sources.parent_ids, who__in=submitters)
            .values_list("item_id", "rating")
            .annotate(n=Count("*"), mine=Count("participant_id", filter=Q(participant_id=mine)))
            .order_by()
        )
        for item_id, rating, n, is_mine in counted:
            if rating is not None:
                counts[item_id][rating] = n
            if is_mine:
                my_ratings[item_id] = rating

    listed = [item for item in items if item.type in Item.OPTION_LIST_TYPES and item.pk in sources.parents]
    shares = _option_shares(study=study, items=listed, sources=sources, submitters=submitters, mine=mine) if panel else {}

    # Verdicts under the protocol the panel was shown them with.
    rule = _Rule(study.under_protocol(sources.protocol))
    feedback: dict[int, list[Feedback]] = {}
    for item in rated:
        feedback[item.pk] = [
            _rated_feedback(item, text, counts[parent_id], my_ratings, parent_id, rule)
            for parent_id, text in sources.parents[item.pk]
        ]
    for item in listed:
        if not panel:
            continue
        texts = [text for _parent, text in sources.parents[item.pk]]
        if panel < rule.minimum:
            one = Feedback(type=item.type, texts=texts, n=panel, too_few=True, minimum=rule.minimum)
        else:
            one = _options_feedback(item, texts, shares.get(item.pk, {}), panel)
        feedback[item.pk] = [one]
    return feedback


def _sources(*, round: Round, items: list[Item], lineage: bool) -> _Sources:
    if not lineage:
        return _Sources(
            parents={item.pk: [(item.pk, item.text)] for item in items},
            parent_ids=Subquery(Item.objects.filter(round=round).values("pk")),
            number=round.number,
            protocol=round.protocol,
        )
    links = ItemLink.objects.filter(child__round=round)
    parents: dict[int, list[tuple[int, str]]] = defaultdict(list)
    protocol = None
    for child_id, parent_id, text, protocol in links.order_by("parent__position", "parent_id").values_list(
        "child_id", "parent_id", "parent__text", "parent__round__protocol"
    ):
        parents[child_id].append((parent_id, text))
    return _Sources(
        parents=dict(parents), parent_ids=Subquery(links.values("parent_id")), number=round.number - 1, protocol=protocol
    )


def _merged_into(*, study: Study, items: list[Item]) -> dict[int, int]:
    """Each option merged, however many merges ago, into an option these items offer: old id -> offered id.

    The items come from surveys.selectors.panelist.round_items, whose
    options say whether they were merged from others.
    """
    links = [link for item in items for link in item.item_options.all()]
    if not any(link.merged for link in links):
        return {}
    offered = {link.option_id for link in links}
    edges = defaultdict(list)
    for merged, parent in Option.merged_from.through.objects.filter(from_option__study_id=study.pk).values_list(
        "from_option_id", "to_option_id"
    ):
        edges[merged].append(parent)
    into = {}
    for option_id in offered:
        stack = list(edges.get(option_id, ()))
        while stack:
            parent = stack.pop()
            if parent not in into and parent not in offered:
                into[parent] = option_id
                stack += edges.get(parent, ())
    return into


def _option_shares(*, study: Study, items: list[Item], sources: _Sources, submitters, mine) -> dict[int, dict]:
    """Per item id and offered option id: how many panelists chose it, their mean rank, and this user's choice."""
    if not items:
        return {}
    into = _merged_into(study=study, items=items)
    child_of = {parent_id: item.pk for item in items for parent_id, _text in sources.parents[item.pk]}
    by_target: dict[int, list[int]] = defaultdict(list)
    for old, target in into.items():
        by_target[target].append(old)
    target = (
        Case(
            *(When(option_id__in=olds, then=Value(new)) for new, olds in by_target.items()),
            default=F("option_id"),
            output_field=IntegerField(),
        )
        if by_target
        else F("option_id")
    )
    # "+ 0": as for the ratings, the answers are found by item, not by who submitted.
    chosen = (
        AnswerOption.objects.alias(who=F("answer__participant_id") + 0)
        .filter(answer__item_id__in=list(child_of), who__in=submitters)
        .annotate(target=target)
    )
    # Panelists per answered item and (merged) option. Merged options are
    # counted by panelist, as one who marked two of them counts once; every
    # other option once per answer, which is the same and spares the sort.
    pooled: dict[tuple[int, int], list[int]] = defaultdict(list)
    pooled_counts: Counter = Counter()
    panelists = Count("answer__participant_id", distinct=True) if by_target else Count("pk")
    for parent_id, option_id, participants in (
        chosen.values_list("answer__item_id", "target").annotate(n=panelists).order_by()
    ):
        key = (child_of[parent_id], option_id)
        pooled[key].append(parent_id)
        pooled_counts[key] += participants
    # This panelist's own marks, through their own answers' index.
    my_marks: dict[tuple[int, int], int | None] = {}
    for parent_id, option_id, rank in AnswerOption.objects.filter(
        answer__participant_id=mine, answer__item_id__in=list(child_of)
    ).values_list("answer__item_id", "option_id", "rank"):
        key = (child_of[parent_id], into.get(option_id, option_id))
        my_marks[key] = _better(my_marks.get(key), rank)
    # An option of an item merged from several counts its panelists once
    # over them all, and a ranking needs each panelist's best rank: both
    # need the rows, which are few (rankings, merged items).
    needs_people = {key for key, parents in pooled.items() if len(parents) > 1}
    rankings = {item.pk for item in items if item.type == Item.Type.RANKING}
    wanted = {parent for key in needs_people for parent in pooled[key]}
    wanted |= {parent for parent, child in child_of.items() if child in rankings}
    best_ranks: dict[tuple[int, int], dict[int, int | None]] = defaultdict(dict)
    if wanted:
        for parent_id, option_id, participant_id, rank in chosen.filter(answer__item_id__in=wanted).values_list(
            "answer__item_id", "target", "answer__participant_id", "rank"
        ):
            people = best_ranks[(child_of[parent_id], option_id)]
            people[participant_id] = _better(people.get(participant_id), rank)
    result: dict[int, dict] = defaultdict(dict)
    for key in pooled:
        child, option_id = key
        count = len(best_ranks[key]) if key in needs_people else pooled_counts[key]
        ranks = [rank for rank in best_ranks.get(key, {}).values() if rank is not None]
        result[child][option_id] = {
            "count": count,
            "ranks": ranks,
            "mine": key in my_marks,
            "my_rank": my_marks.get(key),
        }
    return result


def _better(rank: int | None, other: int | None) -> int | None:
    """The better (lower) of two ranks, either of which may be missing."""
    return other if rank is None or (other is not None and other < rank) else rank


class _Rule:
    """The study's scale and consensus rule, checked and put in words once for all its items."""

    def __init__(self, study: Study):
        self.scale = study.scale
        self.minimum = study.minimum_n
        self.code, self.params = study.rule_and_params()
        self.words = study.describe_rule()


def _rated_feedback(item: Item, text: str, counts: Counter, my_ratings: dict, parent_id: int, rule: _Rule) -> Feedback:
    n = sum(counts.values())
    answered = parent_id in my_ratings
    my_rating = my_ratings.get(parent_id)
    labels = _labels(item)
    result = Feedback(
        type=item.type,
        texts=[text],
        n=n,
        my_rating=my_rating,
        my_label=labels.get(my_rating, str(my_rating)) if my_rating is not None else "",
        i_left_blank=answered and my_rating is None,
        too_few=n < rule.minimum,
        minimum=rule.minimum,
    )
    if result.too_few:
        return result
    points = sorted(counts)
    ratings = np.repeat(np.array(points, dtype=float), [counts[point] for point in points])
    if item.type == Item.Type.CATEGORICAL:
        # Its own bands: "would not" (1-2) and "would" (3-4) recommend.
        result.stats = item_stats(ratings, Item.CATEGORICAL_SCALE)
    elif (item.scale_min, item.scale_max) == (rule.scale.min, rule.scale.max) and ratings.size:
        result.stats, verdict = assess(ratings, rule.code, rule.params, rule.scale)
        result.consensus = verdict.consensus
        result.rule = rule.words
    result.bars = [
        Bar(
            value=value,
            label=label,
            count=counts[value],
            percent=half_away(100 * counts[value] / n, 1) if n else 0.0,
            mine=value == result.my_rating,
        )
        for value, label in labels.items()
    ]
    return result


def _labels(item: Item) -> dict[int, str]:
    """Each point of the item's scale as the panel sees it: a 4-point item's words, a Likert item's number."""
    if item.type == Item.Type.CATEGORICAL:
        return {value: str(label) for value, label in Item.CATEGORICAL_LABELS.items()}
    return {value: str(value) for value in range(item.scale_min, item.scale_max + 1)}


def _options_feedback(item: Item, texts: list[str], shares: dict[int, dict], panel: int) -> Feedback:
    empty = {"count": 0, "ranks": [], "mine": False, "my_rank": None}
    options = []
    for link in item.item_options.all():
        share = shares.get(link.option_id, empty)
        ranks = share["ranks"]
        options.append(
            OptionShare(
                option_id=link.option_id,
                name=link.option.short or link.option.name,
                count=share["count"],
                percent=half_away(100 * share["count"] / panel, 1),
                mine=share["mine"],
                mean_rank=half_away(sum(ranks) / len(ranks)) if ranks else None,
                my_rank=share["my_rank"],
            )
        )
    if item.type == Item.Type.RANKING:
        options.sort(key=lambda share: (share.mean_rank is None, share.mean_rank or 0))
    return Feedback(type=item.type, texts=texts, n=panel, options=options)


def comments_for(*, round: Round, previous: bool, panel: int | None) -> dict[int | None, list[str]]:
    """Submitted comments by vignette id, shuffled: unattributed and in no telling order (SPEC 5).

    `panel` is how many submitted the round the comments come from; below the
    study's minimum n there are none to show.
    """
    if not panel or panel < round.study.minimum_n:
        return {}
    number = round.number - 1 if previous else round.number
    submitters = Submission.objects.filter(round__study_id=round.study_id, round__number=number).values(
        "participant_id"
    )
    comment_items = Item.objects.filter(
        round__study_id=round.study_id, round__number=number, type=Item.Type.COMMENT
    ).values("pk")
    # Found by item: "+ 0" keeps the planners from walking every answer of
    # every submitter (PostgreSQL took 0.45 s so for 1,000 panelists).
    texts = (
        Answer.objects.alias(who=F("participant_id") + 0)
        .filter(item_id__in=comment_items, who__in=submitters)
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


def previous_panel_size(*, round: Round) -> int:
    """How many panelists submitted the round before this one: the n of the feedback shown in this one."""
    return Submission.objects.filter(round__study_id=round.study_id, round__number=round.number - 1).count()
