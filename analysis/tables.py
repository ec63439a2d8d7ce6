"""The analysis tables of a round, built with pandas from a few whole-round queries.

Every table is a DataFrame whose columns are the export's columns, so the
web page, the command and every file format show the same thing. The
column names of `recommendations` and `not-recommended` are fixed by SPEC 4.3.

A closed round's counts, statistics and verdicts come from the figures
stored at its close (RoundFigures); a round without them is computed from
its answers, by the same functions.

Past 400 lines on purpose: RoundData, the frames every table reads, sits
with the tables that read them, so that what a table costs in queries is
read beside the frames it asks for.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property

import numpy as np
import pandas as pd
from django.db.models import Q, QuerySet

import consensus
from analysis import selectors
from analysis.selectors import raw_answers
from analysis.printing import THREE_DECIMALS
from surveys.models import Item, Round, RoundFigures

RECOMMENDATION_COLUMNS = [
    "vignette", "vignette_title", "statement", "text", "options",
    "n", "min", "mean", "median", "all_above_neutral", "consensus",
]
NOT_RECOMMENDED_COLUMNS = ["vignette", "vignette_title", "option", "option_name", "count", "n", "percent"]
TOP_CHOICE_COLUMNS = [
    "vignette", "vignette_title", "option", "option_name", "count", "n", "percent",
]

COUNTED_CHOICE_TYPES = (Item.Type.NOT_RECOMMENDED, Item.Type.TOP_K)
# The parts of the stored figures (RoundFigures.PARTS) in the groups they are
# read in, each on first use. The changes are read for one round at a time:
# a round's hold every lineage link up to it, half of its figures, and the
# round comparison reads nothing else. The other parts are small, and most
# tables read them all, for every round read.
ROUND_PARTS = ("changes",)
FIGURE_PARTS = (ROUND_PARTS, tuple(part for part in RoundFigures.PARTS if part not in ROUND_PARTS))


class StoredFigures:
    """A round's stored figures, each part (RoundFigures.PARTS) read when a table first asks for it.

    A page decodes only the parts it shows: at 1,200 statements the figures
    of four rounds are 8 MB of JSON, and the round comparison reads one
    round's changes alone.
    """

    def __init__(self, data: RoundData, round_id: int):
        self._data, self._round_id = data, round_id

    def __getitem__(self, part: str):
        # Empty if a reopen or a deviation changed the figures since their protocol was read: the tables compute.
        return self._data.stored_parts(part, round_id=self._round_id).get(self._round_id, {}).get(part, {})


class RoundData:
    """What the tables of one round read, each frame queried once on first use.

    Tables across rounds (the final tables, the flow) read every closed round
    up to this one: their frames are queried once for all those rounds, and
    `of_round` gives each earlier round's RoundData as a slice of them, so
    the number of queries does not grow with the rounds either.
    """

    def __init__(
        self,
        round: Round,
        *,
        rule: str | None = None,
        history: RoundData | None = None,
        study_rounds: list[Round] | None = None,
        one_round: bool = False,
    ):
        self.round = round
        # Read this round alone, for a table of this round only: a third of the work in a three-round study.
        self._one_round = one_round
        # A round whose results the panel has seen keeps the protocol it saw
        # them under; another rule is the sensitivity table's.
        self.study = round.study_as_shown
        self.scale = self.study.scale
        self.rule, self.params = self.study.rule_and_params(rule)
        # The rule asked for (None: each round's own), which earlier rounds' data follow.
        self._rule_asked = rule
        # The RoundData of the last round, whose frames this one slices.
        self._history = history
        # The groups of stored figures read so far (stored_parts), by group and round (None: every round read).
        self._parts: dict[tuple, dict[int, dict]] = {}
        # The study's rounds, when the caller has read them already.
        self._study_rounds = study_rounds
        # Earlier rounds' data, made once each (of_round), so their statistics are computed once.
        self._earlier: dict[int, RoundData] = {}
        # The changes of every lineage link read, once computed (item_changes).
        self._changes: dict[str, dict] | None = None

    def of_round(self, round: Round) -> RoundData:
        """An earlier closed round's data, from the frames already read, made once for every table that asks."""
        root = self._history or self
        if round.pk == root.round.pk:
            return root
        if root._one_round:
            raise ValueError(f"the data of round {root.round.number} alone holds no other round")
        if round.pk not in root._earlier:
            root._earlier[round.pk] = RoundData(round, rule=self._rule_asked, history=root)
        return root._earlier[round.pk]

    @property
    def lends_earlier_rounds(self) -> bool:
        """Whether of_round gives the rounds before this one each judged by its own protocol's rule."""
        return self._rule_asked is None and not (self._history or self)._one_round

    @cached_property
    def earlier_rounds(self) -> list[Round]:
        """This round and every round before it, for tables that follow the lineage."""
        if self._history is not None:
            return [r for r in self._history.earlier_rounds if r.number <= self.round.number]
        rounds = self._study_rounds if self._study_rounds is not None else selectors.study_rounds(study=self.study)
        return [r for r in rounds if r.number <= self.round.number]

    @cached_property
    def closed_rounds(self) -> list[Round]:
        """The closed rounds up to this one, this one included: what tables across rounds read."""
        return [r for r in self.earlier_rounds if r.status == Round.Status.CLOSED or r.pk == self.round.pk]

    @property
    def _frame_rounds(self) -> QuerySet:
        """closed_rounds as a subquery, so that a frame over them costs one query, not two."""
        if self._one_round:
            return Round.objects.filter(pk=self.round.pk)
        return Round.objects.filter(study=self.study, number__lte=self.round.number).filter(
            Q(status=Round.Status.CLOSED) | Q(pk=self.round.pk)
        )

    @cached_property
    def vignettes(self) -> pd.DataFrame:
        if self._history is not None:
            return self._history.vignettes
        frame = selectors.vignettes_frame(study=self.study)
        frame["vignette_order"] = range(len(frame))
        return frame

    @cached_property
    def options(self) -> pd.DataFrame:
        if self._history is not None:
            return self._history.options
        frame = selectors.options_frame(study=self.study)
        frame["option_order"] = range(len(frame))
        return frame

    @cached_property
    def all_items(self) -> pd.DataFrame:
        """Items of every closed round up to this one, in questionnaire order."""
        return selectors.items_frame(rounds=self._frame_rounds)

    @cached_property
    def items(self) -> pd.DataFrame:
        """Items of this round with their vignette, in questionnaire order."""
        source = (self._history or self).all_items
        frame = source[source["round"] == self.round.number].reset_index(drop=True)
        frame["item_order"] = range(len(frame))
        return frame.merge(self.vignettes, on="vignette_id", how="left")

    @cached_property
    def all_item_options(self) -> pd.DataFrame:
        frame = selectors.item_options_frame(rounds=self._frame_rounds)
        return frame.merge(self.options[["option_id", "option"]], on="option_id")

    @cached_property
    def item_options(self) -> pd.DataFrame:
        source = (self._history or self).all_item_options
        return source[source["item_id"].isin(self.items["item_id"])]

    @cached_property
    def _stored_protocols(self) -> dict[int, dict | None]:
        """The protocol of the figures stored for each round read (RoundFigures), None for a round with none."""
        if self._history is not None:
            return self._history._stored_protocols
        return selectors.figures_protocols(rounds=self._frame_rounds)

    def stored_parts(self, part: str, *, round_id: int | None = None) -> dict[int, dict]:
        """The group of stored parts (FIGURE_PARTS) that holds `part`, by round id and part.

        Read by one query on first use, for every round read, or for round
        `round_id` alone for a part of ROUND_PARTS. A round whose figures
        were taken away or stored under another protocol since their
        protocol was read is left out, and counted from its answers.
        """
        root = self._history or self
        (group,) = (group for group in FIGURE_PARTS if part in group)
        key = (group, round_id if group is ROUND_PARTS else None)
        if key not in root._parts:
            rounds = root._frame_rounds if key[1] is None else [round_id]
            read = selectors.figures_parts(rounds=rounds, parts=group)
            protocols = root._stored_protocols
            root._parts[key] = {
                round_id: parts for round_id, (protocol, parts) in read.items() if protocol == protocols.get(round_id)
            }
        return root._parts[key]

    @cached_property
    def _rounds_to_count(self) -> QuerySet | None:
        """The rounds read whose counts are not stored, as a subquery; None when every one's are."""
        stored = self.stored_parts("counts")
        missing = [round_id for round_id in self._stored_protocols if round_id not in stored]
        return Round.objects.filter(pk__in=missing) if missing else None

    @cached_property
    def figures(self) -> StoredFigures | None:
        """This round's stored figures, when they were computed under the protocol this data reads the round by.

        The verdicts depend on the protocol's rule and parameters, the
        statistics and changes on its scale. Figures stored under any other
        protocol than the round's (a deviation they were not refreshed for)
        are not read, and everything is computed afresh.
        """
        protocol = self._stored_protocols.get(self.round.pk)
        if protocol is None or protocol != self.study.protocol():
            return None
        return StoredFigures(self, self.round.pk)

    @property
    def judged_as_stored(self) -> bool:
        """Whether the stored verdicts are this data's: stored under its protocol, and its own rule asked."""
        return self.figures is not None and self.rule == self.study.consensus_rule

    @cached_property
    def all_rating_counts(self) -> pd.DataFrame:
        """Ratings per item and point: stored at each round's close, counted in the database for a round without."""
        stored = [
            (int(item_id), rating, count)
            for parts in self.stored_parts("counts").values()
            for item_id, counts in parts["counts"].items()
            for rating, count in counts
        ]
        counted = None if self._rounds_to_count is None else selectors.rating_counts_frame(rounds=self._rounds_to_count)
        return _joined(stored, counted, ["item_id", "rating", "count"]).sort_values(["item_id", "rating"])

    @cached_property
    def rating_counts(self) -> pd.DataFrame:
        """How many submitted panelists gave each rating to each rated item of this round."""
        source = (self._history or self).all_rating_counts
        return source[source["item_id"].isin(self.items["item_id"])]

    @cached_property
    def ratings_by_item(self) -> dict[int, np.ndarray]:
        """Each rated item's ratings, sorted, rebuilt from the database's counts."""
        return {
            item_id: np.repeat(group["rating"].to_numpy(dtype=float), group["count"].to_numpy())
            for item_id, group in self.rating_counts.groupby("item_id", sort=False)
        }

    def ratings_of(self, item_id: int) -> np.ndarray:
        return self.ratings_by_item.get(item_id, np.array([], dtype=float))

    @cached_property
    def submitted(self) -> int:
        """The panel of the round: participants who submitted it (SPEC 2, Table 4's n)."""
        submissions = self.submissions
        return int((submissions["round"] == self.round.number).sum())

    @cached_property
    def submissions(self) -> pd.DataFrame:
        if self._history is not None:
            return self._history.submissions
        return selectors.submissions_frame(study=self.study)

    @cached_property
    def statement_rows(self) -> list[dict]:
        """Every rated item's statistics and verdict, computed once for all the tables and figures that print them."""
        return _all_statement_rows(self)

    def items_of(self, *types: str) -> pd.DataFrame:
        return self.items[self.items["type"].isin(types)]

    def option_codes(self) -> dict[int, list[str]]:
        return self.item_options.groupby("item_id", sort=False)["option"].agg(list).to_dict()

    @cached_property
    def panel(self) -> tuple[int, int, int]:
        """Panelists invited and joined (counts from the person side) and pseudonyms known."""
        if self._history is not None:
            return self._history.panel
        return (*selectors.panel_counts(study=self.study), self.study.participants.count())

    @cached_property
    def all_ratings(self) -> pd.DataFrame:
        """Every counted rating of the closed rounds read, by participant id: for paired tests.

        An earlier round's data reads the last round's, which holds its items' ratings too.
        """
        if self._history is not None:
            return self._history.all_ratings
        return selectors.ratings_frame(rounds=self._frame_rounds)

    @cached_property
    def rating_rows(self) -> dict[int, np.ndarray]:
        """Each item's positions in all_ratings, found once for every paired table (comparison, attrition)."""
        if self._history is not None:
            return self._history.rating_rows
        return self.all_ratings.groupby("item_id").indices

    @cached_property
    def lineage(self) -> pd.DataFrame:
        """The lineage edges into the closed rounds up to this one."""
        return selectors.lineage_frame(rounds=self._frame_rounds)

    @cached_property
    def all_choice_counts(self) -> pd.DataFrame:
        """Choices per item and option, stored or counted as all_rating_counts."""
        stored = [tuple(row) for parts in self.stored_parts("choices").values() for row in parts["choices"]]
        counted = (
            None
            if self._rounds_to_count is None
            else selectors.choice_counts_frame(rounds=self._rounds_to_count, types=COUNTED_CHOICE_TYPES)
        )
        return _joined(stored, counted, ["item_id", "option_id", "count"])

    @cached_property
    def choice_counts(self) -> pd.DataFrame:
        """How often each option was chosen, one query for the not-recommended and top-choice items."""
        source = (self._history or self).all_choice_counts
        return source[source["item_id"].isin(self.items["item_id"])]


def _joined(stored: list[tuple], counted: pd.DataFrame | None, columns: list[str]) -> pd.DataFrame:
    """Stored count rows and those counted in the database, as one frame of whole numbers."""
    frames = [frame for frame in (pd.DataFrame(stored, columns=columns), counted) if frame is not None and len(frame)]
    if not frames:
        return pd.DataFrame({column: pd.Series(dtype="int64") for column in columns})
    return pd.concat(frames, ignore_index=True).astype("int64")


def _statement_rows(data: RoundData, *, types: tuple[str, ...]) -> list[dict]:
    """Per rated item of these types: its statistics and its verdict under the chosen rule, in questionnaire order."""
    return [{**row, "options": list(row["options"])} for row in data.statement_rows if row["type"] in types]


def assessed(data: RoundData, item_id: int, item_type: str) -> tuple[dict, dict | None]:
    """A rated item's statistics (ItemStats.as_dict) and, for a Likert statement, its verdict under the rule.

    Read from the round's stored figures when they hold the rule's verdicts;
    computed from the ratings otherwise, as the stored ones were.
    """
    key = str(item_id)
    if data.judged_as_stored and key in data.figures["stats"]:
        verdict = data.figures["verdicts"].get(key)
        return dict(data.figures["stats"][key]), None if verdict is None else dict(verdict)
    ratings = data.ratings_of(item_id)
    scale = Item.scale_of_type(item_type, data.scale)
    if item_type != Item.Type.LIKERT:
        return consensus.item_stats(ratings, scale).as_dict(), None
    stats, verdict = consensus.assess(ratings, data.rule, data.params, scale)
    return stats.as_dict(), {
        "consensus": verdict.consensus, "status": verdict.status, "reasons": "; ".join(verdict.reasons),
    }


def _all_statement_rows(data: RoundData) -> list[dict]:
    codes = data.option_codes()
    rows = []
    for item in data.items_of(*Item.RATED_TYPES).itertuples(index=False):
        stats, verdict = assessed(data, item.item_id, item.type)
        row = {
            "vignette": item.vignette,
            "vignette_title": item.vignette_title,
            "statement": item.statement,
            "type": item.type,
            "text": item.text,
            "options": codes.get(item.item_id, []),
            **_printed(stats),
        }
        if verdict is not None:
            row.update(rule=data.rule, **verdict)
        else:
            row.update(rule="", consensus=None, status="not rated for consensus", reasons="")
        rows.append(row)
    return rows


def _printed(stats: dict) -> dict:
    """Statistics as every table prints them: half away from zero, to two decimals (p-values three)."""
    return {
        name: consensus.half_away(value, 3 if name in THREE_DECIMALS else 2) if isinstance(value, float) else value
        for name, value in stats.items()
    }


def _whole(value: float | None) -> int | float | None:
    """Ratings are whole points; show a min of 6.0 as 6."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def statement_verdicts(data: RoundData) -> dict[int, dict]:
    """Table 3's row of every Likert statement of the round, by item id, whether it reached consensus or not."""
    rows = {}
    for item_id, row in zip(data.items_of(Item.Type.LIKERT)["item_id"], _statement_rows(data, types=(Item.Type.LIKERT,))):
        rows[int(item_id)] = {
            "vignette": row["vignette"],
            "vignette_title": row["vignette_title"],
            "statement": row["statement"],
            "text": row["text"],
            "options": row["options"],
            "n": row["n"],
            "min": _whole(row["min"]),
            "mean": row["mean"],
            "median": _whole(row["median"]),
            "all_above_neutral": row["min"] is not None and row["min"] > data.scale.neutral,
            "consensus": row["consensus"],
        }
    return rows


def recommendations(data: RoundData, *, include_all: bool = False) -> pd.DataFrame:
    """Table 3: per vignette, the statements that reached consensus (all of them with include_all)."""
    rows = [row for row in statement_verdicts(data).values() if include_all or row["consensus"]]
    return pd.DataFrame(rows, columns=RECOMMENDATION_COLUMNS)


def _option_counts(data: RoundData, item_type: str) -> pd.DataFrame:
    """Per item of this type and each of its options: how many submitted panelists chose it."""
    offered = data.item_options.merge(data.items_of(item_type)[["item_id"]], on="item_id")
    table = (
        offered.merge(data.choice_counts, on=["item_id", "option_id"], how="left")
        .fillna({"count": 0})
        .merge(data.items[["item_id", "item_order", "vignette", "vignette_title"]], on="item_id")
        .merge(data.options[["option_id", "option_name", "option_order"]], on="option_id")
    )
    table["count"] = table["count"].astype(int)
    table["n"] = data.submitted
    table["percent"] = (
        (100 * table["count"] / data.submitted).map(lambda share: consensus.half_away(share, 1))
        if data.submitted
        else np.nan
    )
    return table


def not_recommended(data: RoundData, *, include_all: bool = False) -> pd.DataFrame:
    """Table 4: options that at least the study's threshold of the panel would not recommend.

    The threshold is inclusive and compared in exact arithmetic
    (count x 100 >= threshold x n), so 5 of 10 meets 50% and 1 of 3 never
    rounds its way up to 33.33%.
    """
    table = _option_counts(data, Item.Type.NOT_RECOMMENDED)
    if not include_all:
        threshold = Decimal(data.study.not_recommended_threshold)
        listed = [data.submitted > 0 and Decimal(count * 100) >= threshold * data.submitted for count in table["count"]]
        table = table[pd.Series(listed, index=table.index, dtype=bool)]
    table = table.sort_values(["item_order", "option_order"])
    return table[NOT_RECOMMENDED_COLUMNS].reset_index(drop=True)


def top_choices(data: RoundData, *, include_all: bool = False) -> pd.DataFrame:
    """How often each option was among a vignette's top choices, most chosen first.

    Top choices are equally recommended, as the Mayo questionnaire asked them
    ("your top 1-3 treatment choices (equally recommended)"), so the table has
    no first place: an order of preference is asked with a ranking item.
    Drafts the next round's consensus statements from a development round.
    """
    table = _option_counts(data, Item.Type.TOP_K)
    table = table.sort_values(["item_order", "count", "option_order"], ascending=[True, False, True])
    return table[TOP_CHOICE_COLUMNS].reset_index(drop=True)


def items(data: RoundData, *, include_all: bool = False) -> pd.DataFrame:
    """Every rated item with all its statistics and its verdict under the rule."""
    rows = _statement_rows(data, types=Item.RATED_TYPES)
    return pd.DataFrame(rows)


def verdicts_by_rule(data: RoundData, item_id: int) -> dict[str, list]:
    """A Likert statement's [consensus, status] under every rule, the study's own parameters for its own rule."""
    if data.judged_as_stored and str(item_id) in data.figures["sensitivity"]:
        return data.figures["sensitivity"][str(item_id)]
    ratings = data.ratings_of(item_id)
    verdicts = {}
    for code in consensus.RULES:
        verdict = consensus.evaluate(ratings, code, data.params if code == data.rule else None, data.scale)
        verdicts[code] = [verdict.consensus, verdict.status]
    return verdicts


def sensitivity(data: RoundData, *, include_all: bool = False) -> pd.DataFrame:
    """Every statement's verdict under every rule, the study's own parameters for its own rule."""
    rows = []
    for item in data.items_of(Item.Type.LIKERT).itertuples(index=False):
        stats, _verdict = assessed(data, item.item_id, item.type)
        row = {
            "vignette": item.vignette,
            "statement": item.statement,
            "n": stats["n"],
            "mean": consensus.half_away(stats["mean"]),
            "median": stats["median"],
        }
        verdicts = verdicts_by_rule(data, item.item_id)
        for code in consensus.RULES:
            row[code], row[f"{code}_status"] = verdicts[code]
        row["rules_agree"] = len({verdicts[code][0] for code in consensus.RULES}) == 1
        rows.append(row)
    columns = ["vignette", "statement", "n", "mean", "median"]
    columns += [c for code in consensus.RULES for c in (code, f"{code}_status")] + ["rules_agree"]
    return pd.DataFrame(rows, columns=columns)


def rankings(data: RoundData, *, include_all: bool = False) -> pd.DataFrame:
    """Per ranking item: the options by mean rank, and the panel's concordance (Kendall's W).

    A panelist who ranked only some options is taken to tie the rest below
    them, the usual reading of a partial ranking; one who ranked none is not
    counted.
    """
    chosen = selectors.selections_frame(rounds=[data.round], types=(Item.Type.RANKING,))
    offered = data.option_codes()
    rows = []
    for item in data.items_of(Item.Type.RANKING).itertuples(index=False):
        codes = offered.get(item.item_id, [])
        answers = chosen[chosen["item_id"] == item.item_id].merge(data.options[["option_id", "option"]], on="option_id")
        table = answers.pivot_table(index="participant", columns="option", values="rank", aggfunc="first")
        table = table.reindex(columns=codes).fillna(len(codes) + 1)
        row = {"vignette": item.vignette, "statement": item.statement, "raters": len(table), "options": len(codes)}
        if len(table) >= 2 and len(codes) >= 2:
            try:
                row.update(_printed(consensus.kendalls_w(table.to_numpy()).as_dict()))
            except ValueError:
                # Every panelist tied every option: W is undefined, and left blank.
                pass
        order = table.mean().sort_values(kind="stable") if len(table) else pd.Series(dtype=float)
        row["mean_ranks"] = [f"{code} ({consensus.fixed(mean)})" for code, mean in order.items()]
        rows.append(row)
    columns = ["vignette", "statement", "raters", "options", "w", "chi2", "df", "p", "mean_ranks"]
    return pd.DataFrame(rows, columns=columns)


def statements_reaching_consensus(data: RoundData) -> tuple[int, int]:
    """How many of the round's statements reached consensus, of how many."""
    rows = _statement_rows(data, types=(Item.Type.LIKERT,))
    return sum(bool(row["consensus"]) for row in rows), len(rows)


def item_changes(data: RoundData) -> dict[str, dict]:
    """RoundChange.as_dict of every lineage link between Likert statements of the rounds read, by "parent-child" ids.

    Read from the round's stored figures when there are any; computed from
    the paired ratings otherwise, as the stored ones were.
    """
    if data._changes is None and data.figures is not None:
        stored = data.figures["changes"]
        # Every link stored: one made later (by the admin) has its change computed with the rest.
        if all(f"{link.parent_id}-{link.child_id}" in stored for link in _likert_links(data)):
            data._changes = {link: dict(change) for link, change in stored.items()}
    if data._changes is None:
        data._changes = _changes_computed(data)
    return data._changes


def _changes_computed(data: RoundData) -> dict[str, dict]:
    """item_changes with no figures stored for the round: each link's change computed once.

    The links into earlier rounds are taken from a round that has them
    already, on the same scale: the last round's data computed them all, or
    the round before this one stored them.
    """
    links = _likert_links(data)
    known: dict[str, dict] = {}
    earlier = [r for r in data.closed_rounds if r.number < data.round.number]
    if data._history is not None:
        if data._history.scale == data.scale:
            known = item_changes(data._history)
    elif earlier and not data._one_round:
        previous = data.of_round(earlier[-1])
        if previous.figures is not None and previous.scale == data.scale:
            known = item_changes(previous)
    changes = {}
    missing = []
    for link in links:
        key = f"{link.parent_id}-{link.child_id}"
        if key in known:
            changes[key] = known[key]
        else:
            missing.append(link)
    if not missing:
        return changes
    ratings = data.all_ratings
    participants, points = ratings["participant"].to_numpy(), ratings["rating"].to_numpy(dtype=float)
    rows_of = data.rating_rows

    def by_item(item_id: int) -> pd.Series:
        """The item's ratings by participant, sliced out when a link asks for them."""
        where = rows_of.get(item_id)
        if where is None:
            return pd.Series(dtype=float)
        return pd.Series(points[where], index=participants[where])

    for link in missing:
        change = consensus.compare_rounds(by_item(link.parent_id), by_item(link.child_id), data.scale)
        changes[f"{link.parent_id}-{link.child_id}"] = change.as_dict()
    return changes


def _likert_links(data: RoundData) -> list:
    """The lineage links of the rounds read between two Likert statements: those the round comparison reports."""
    likert = set(data.all_items.loc[data.all_items["type"] == Item.Type.LIKERT, "item_id"])
    return [link for link in data.lineage.itertuples(index=False) if {link.parent_id, link.child_id} <= likert]


def round_comparison(data: RoundData, *, include_all: bool = False) -> pd.DataFrame:
    """Per rated item, how its ratings moved from the item it continues, round by round."""
    all_items = data.all_items[data.all_items["type"] == Item.Type.LIKERT]
    changes = item_changes(data)
    vignettes = data.vignettes.set_index("vignette_id")["vignette"]
    info = {item["item_id"]: item for item in all_items.to_dict("records")}
    rows = []
    for link in data.lineage.itertuples(index=False):
        change = changes.get(f"{link.parent_id}-{link.child_id}")
        if change is None or link.parent_id not in info or link.child_id not in info:
            continue
        before, after = info[link.parent_id], info[link.child_id]
        rows.append(
            {
                "vignette": vignettes.get(after["vignette_id"]),
                "statement": after["statement"],
                "round": int(after["round"]),
                "from_statement": before["statement"],
                "from_round": int(before["round"]),
                "operation": link.operation,
                **_printed(change),
            }
        )
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=["vignette", "statement", "round", "from_statement", "from_round", "operation"])
    return frame.sort_values(["round", "vignette", "statement"], kind="stable").reset_index(drop=True)


def raw_ratings(data: RoundData, *, include_all: bool = False) -> pd.DataFrame:
    frame = raw_answers.raw_ratings_frame(round=data.round)
    frame["rating"] = frame["rating"].astype("Int64")
    return frame


def raw_not_recommended(data: RoundData, *, include_all: bool = False) -> pd.DataFrame:
    return raw_answers.raw_selections_frame(round=data.round)
