"""Reads for studies, rounds and items. Each owns its joins."""

import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
)

from consensus import ItemStats, Scale, describe, evaluate, item_stats
from surveys.models import (
    Answer,
    AnswerOption,
    AuditEvent,
    Item,
    ItemLink,
    ItemOption,
    Membership,
    Round,
    RoundCompletion,
    Study,
    Submission,
)
from surveys.services import participant_link_hash


# -- the panelist's pages ------------------------------------------------------


def panelist_membership(*, user, slug: str) -> Membership | None:
    return (
        Membership.objects.select_related("study", "user")
        .filter(user=user, study__slug=slug, role=Membership.Role.PANELIST)
        .first()
    )


def panelist_round(*, membership: Membership, number: int) -> Round | None:
    """The round, with this member's completion status and the size of the previous round's panel."""
    return (
        Round.objects.filter(study_id=membership.study_id, number=number)
        .annotate(
            completion_status=Subquery(
                RoundCompletion.objects.filter(round=OuterRef("pk"), membership=membership).values("status")[:1]
            ),
            previous_panel=Subquery(
                Submission.objects.filter(round__study=OuterRef("study"), round__number=OuterRef("number") - 1)
                .order_by()
                .values("round")
                .annotate(size=Count("pk"))
                .values("size")[:1]
            ),
        )
        .first()
    )


def round_items(*, round: Round) -> list[Item]:
    """The round's items in order, with their vignette (and its base), options and lineage."""
    first_parent = ItemLink.objects.filter(child=OuterRef("pk")).order_by("parent_id")
    return list(
        Item.objects.filter(round=round)
        .select_related("vignette", "vignette__base")
        .prefetch_related(
            Prefetch("item_options", queryset=ItemOption.objects.select_related("option").order_by("position"))
        )
        .annotate(
            has_parent=Exists(first_parent),
            parent_text=Subquery(first_parent.values("parent__text")[:1]),
        )
        .order_by("position", "pk")
    )


def _mine(user, study_id: int, path: str) -> Case:
    # The keyed hash picks out this user's pseudonym without a separate query
    # and without anything on the page that could name another panelist.
    return Case(
        When(**{f"{path}link_hash": participant_link_hash(study_id=study_id, user_id=user.pk)}, then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


def answers_of(*, user, round: Round) -> dict[int, Answer]:
    """The user's own answers in the round by item id, with their options."""
    link_hash = participant_link_hash(study_id=round.study_id, user_id=user.pk)
    answers = Answer.objects.filter(
        participant__study_id=round.study_id, participant__link_hash=link_hash, item__round=round
    ).prefetch_related(Prefetch("chosen", queryset=AnswerOption.objects.order_by("rank", "pk")))
    return {answer.item_id: answer for answer in answers}


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

    @property
    def has_mine(self) -> bool:
        return self.my_rating is not None or self.i_left_blank or any(o.mine for o in self.options)


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

    scale = Scale(study.scale_min, study.scale_max, study.scale_neutral)
    feedback = {}
    for item in items:
        if lineage and not item.has_parent:
            continue
        text = item.parent_text if lineage else item.text
        if item.type in (Item.Type.LIKERT, Item.Type.CATEGORICAL):
            feedback[item.pk] = _rated_feedback(item, text, by_item.get(item.pk, []), scale, study)
        elif item.type in (Item.Type.NOT_RECOMMENDED, Item.Type.TOP_K, Item.Type.RANKING) and panel:
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
    )
    if item.type == Item.Type.CATEGORICAL:
        labels = {value: str(label) for value, label in Item.CATEGORICAL_LABELS.items()}
    else:
        labels = {value: str(value) for value in range(item.scale_min, item.scale_max + 1)}
        if (item.scale_min, item.scale_max) == (scale.min, scale.max) and ratings:
            result.stats = item_stats(ratings, scale)
            verdict = evaluate(ratings, study.consensus_rule, study.consensus_params, scale)
            result.consensus = verdict.consensus
            result.rule = describe(study.consensus_rule, study.consensus_params, scale)
    counts = Counter(ratings)
    result.bars = [
        Bar(
            value=value,
            label=label,
            count=counts[value],
            percent=round(100 * counts[value] / len(ratings), 1) if ratings else 0.0,
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
            percent=round(100 * counts[link.option_id] / panel, 1),
            mine=link.option_id in mine,
            mean_rank=round(sum(ranks[link.option_id]) / len(ranks[link.option_id]), 2)
            if ranks[link.option_id]
            else None,
            my_rank=mine.get(link.option_id),
        )
        for link in item.item_options.all()
    ]
    if item.type == Item.Type.RANKING:
        shares.sort(key=lambda share: (share.mean_rank is None, share.mean_rank or 0))
    return Feedback(type=item.type, text=text, n=panel, options=shares)


def comments_for(*, round: Round, previous: bool) -> dict[int | None, list[str]]:
    """Submitted comments by vignette id, shuffled: unattributed and in no telling order (SPEC 5)."""
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


# -- the panelist's home -------------------------------------------------------


def answered_counts(*, user, rounds: list[Round]) -> dict[int, int]:
    """How many items of each round the user has answered, by round id, in one query."""
    if not rounds:
        return {}
    mine = Q()
    for study_id in {round.study_id for round in rounds}:
        mine |= Q(
            participant__study_id=study_id,
            participant__link_hash=participant_link_hash(study_id=study_id, user_id=user.pk),
        )
    return dict(
        Answer.objects.filter(mine, item__round__in=rounds)
        .order_by()
        .values("item__round")
        .annotate(count=Count("pk"))
        .values_list("item__round", "count")
    )


def memberships_for_user(*, user) -> list[Membership]:
    """The user's memberships for the home page, each round with its item count and this user's status."""
    rounds = Round.objects.order_by("number").annotate(
        item_count=Subquery(
            Item.objects.filter(round=OuterRef("pk")).order_by().values("round").annotate(n=Count("pk")).values("n")[:1]
        ),
        completion_status=Subquery(
            RoundCompletion.objects.filter(round=OuterRef("pk"), membership__user=user).values("status")[:1]
        ),
    )
    return list(
        Membership.objects.filter(user=user)
        .select_related("study")
        .prefetch_related(Prefetch("study__rounds", queryset=rounds))
        .order_by("study__title")
    )


# -- facilitators (issue 5) ---------------------------------------------------------


@dataclass
class Completion:
    """Where the panel stands in a round: counts, and who has not submitted (for reminders).

    Built from memberships and RoundCompletion only, never from answers (SPEC 5).
    """

    panel: int
    submitted: int
    drafts: int
    not_started: int
    waiting: list[Membership]

    @property
    def percent_submitted(self) -> float:
        return 100 * self.submitted / self.panel if self.panel else 0.0


def round_completion(*, round: Round) -> Completion:
    status = RoundCompletion.objects.filter(round=round, membership=OuterRef("pk")).values("status")[:1]
    members = list(
        Membership.objects.filter(study_id=round.study_id, role=Membership.Role.PANELIST)
        .select_related("user")
        .annotate(completion=Subquery(status))
        .order_by("user__username")
    )
    submitted = sum(m.completion == RoundCompletion.Status.SUBMITTED for m in members)
    drafts = sum(m.completion == RoundCompletion.Status.DRAFT for m in members)
    return Completion(
        panel=len(members),
        submitted=submitted,
        drafts=drafts,
        not_started=len(members) - submitted - drafts,
        waiting=[m for m in members if m.completion != RoundCompletion.Status.SUBMITTED],
    )


def facilitated_round(*, user, slug: str, number: int) -> Round | None:
    """Round `number` of a study `user` facilitates, or None (the caller answers 404)."""
    return (
        Round.objects.select_related("study")
        .filter(
            study__slug=slug,
            number=number,
            study__memberships__user=user,
            study__memberships__role=Membership.Role.FACILITATOR,
        )
        .first()
    )


def study_history(*, study: Study) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(study=study).select_related("actor"))


def round_items_with_lineage(*, round: Round) -> list[Item]:
    """The round's items in order, each with the item(s) of the round before that it continues."""
    return list(
        Item.objects.filter(round=round)
        .select_related("vignette")
        .prefetch_related(Prefetch("parent_links", queryset=ItemLink.objects.select_related("parent")))
        .order_by("position", "pk")
    )


def items_without_consensus(*, round: Round, items: list[Item]) -> set[int]:
    """Statements that did not reach consensus, with the other items of their vignettes."""
    from analysis.tables import build_table

    verdicts = build_table("recommendations", round=round, include_all=True)
    reached = set(verdicts.loc[verdicts["consensus"].astype(bool), "statement"])
    open_statements = [i for i in items if i.type == Item.Type.LIKERT and i.code not in reached]
    vignettes = {i.vignette_id for i in open_statements}
    return {i.pk for i in open_statements} | {
        i.pk for i in items if i.type != Item.Type.LIKERT and i.vignette_id in vignettes
    }


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


@dataclass
class StatementDraft:
    vignette: object
    options: list
    text: str


def statement_drafts(*, round: Round, threshold: float) -> list[StatementDraft]:
    """Per vignette, a consensus statement naming the options at least `threshold`% of the panel put in their top choices.

    The Mayo panel drafted its consensus questionnaire this way from surveys 2-3.
    """
    from analysis.tables import build_table

    table = build_table("top-choices", round=round)
    if table.empty:
        return []
    vignettes = {v.code: v for v in round.study.vignettes.all()}
    options = {o.code: o for o in round.study.options.all()}
    drafts = []
    for code, rows in table.groupby("vignette", sort=False):
        chosen = [options[c] for c in rows.loc[rows["percent"] >= threshold, "option"]]
        text = ""
        if chosen:
            listed = _spoken_list([o.short for o in chosen])
            text = f"{listed} would be my main choice(s) as the next treatment recommendation for this patient."
        drafts.append(StatementDraft(vignette=vignettes[code], options=chosen, text=text))
    return drafts


def _spoken_list(names: list[str]) -> str:
    """"A", "A or B", "A, B, or C", as the Mayo statements read."""
    if len(names) <= 2:
        return " or ".join(names)
    return ", ".join(names[:-1]) + ", or " + names[-1]


def round_item(*, round: Round, pk: int) -> Item | None:
    """One item of the round, with its options in order and the items it continues."""
    return (
        Item.objects.filter(round=round, pk=pk)
        .select_related("vignette")
        .prefetch_related(
            Prefetch("item_options", queryset=ItemOption.objects.select_related("option").order_by("position")),
            Prefetch("parent_links", queryset=ItemLink.objects.select_related("parent__round")),
        )
        .first()
    )
