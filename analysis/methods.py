"""A methods summary for the paper, following the ACCORD reporting guideline where the data allows.

ACCORD (ACcurate COnsensus Reporting Document; Gattrell et al., PLOS Med
2024;21(1):e1004326) asks a consensus paper to report, among others: the
panel and how it was recruited, the number of rounds, the response rate of
each round, how consensus was defined, how anonymity was kept, what feedback
panelists saw between rounds, and how items changed between rounds. Rows
below cover those the platform knows; recruitment and the discussion
meetings are left for the authors to write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC

from django.db.models import Count

import consensus
from analysis import selectors
from analysis.tables import RoundData, statements_reaching_consensus
from surveys.models import ItemLink, Membership, Round, Study


@dataclass(frozen=True)
class MethodsSummary:
    rows: list[tuple[str, str]]

    def as_markdown(self) -> str:
        lines = ["| item | value |", "| --- | --- |"]
        lines += ["| {} | {} |".format(label, value.replace("|", "\\|")) for label, value in self.rows]
        return "\n".join(lines) + "\n"


def _day(moment) -> str:
    return moment.date().isoformat() if moment else "not recorded"


def _percent(part: int, whole: int) -> str:
    return f"{consensus.short(100 * part / whole, 0)}%" if whole else "n/a"


def methods_summary(*, study: Study, data: RoundData | None = None) -> MethodsSummary:
    """The study's methods in words; `data`, a round's data already read, lends its statistics to the rounds up to it.

    Without it, the last closed round's data is read once for every closed round, as the tables across rounds
    read theirs, instead of a set of queries per round.
    """
    rounds = list(study.rounds.annotate(item_count=Count("items")).order_by("number"))
    if data is None or not data.lends_earlier_rounds:
        closed = [round_ for round_ in rounds if round_.status == Round.Status.CLOSED]
        data = RoundData(closed[-1], study_rounds=rounds) if closed else None
    scale = study.scale
    rule, params = study.rule_and_params()
    submissions = selectors.submissions_frame(study=study)
    panel = max(
        study.memberships.active().filter(role=Membership.Role.PANELIST).count(),
        study.participants.count(),
    )
    rows = [
        ("Study", study.title),
        ("Design", "Modified Delphi: anonymous web questionnaires in rounds, with the panel's "
                   "aggregated answers fed back between rounds"),
        ("Panel", f"{panel} panelists"),
        ("Rating scale", f"{scale.min}-{scale.max}, {scale.min} complete disagreement, "
                         f"{scale.neutral} neutral, {scale.max} complete agreement"),
        ("Consensus definition", f"{consensus.describe(rule, params, scale)} "
                                 f"(rule {rule}; {consensus.RULES[rule].source})"),
        ("Missing answers", "A blank answer is not counted in that statement's n, mean or "
                            "minimum; panelists count for a round when they submitted it"),
        ("Not-recommended threshold", f"options that at least {float(study.not_recommended_threshold):g}% "
                                      "of the panelists who submitted the round would not recommend "
                                      "(inclusive)"),
        ("Number of rounds", str(len(rounds))),
        *_protocol_rows(study, rounds),
    ]
    previous: set[str] | None = None
    for round_ in rounds:
        submitted = set(submissions.loc[submissions["round"] == round_.number, "participant"])
        line = (
            f"{round_.get_kind_display()}, {round_.get_status_display().lower()}; "
            f"opened {_day(round_.opened_at)}, closed {_day(round_.closed_at)}; "
            f"{round_.item_count} items; {len(submitted)} of {panel} panelists submitted "
            f"({_percent(len(submitted), panel)})"
        )
        if round_.status == Round.Status.CLOSED and round_.kind == Round.Kind.CONSENSUS:
            line += f"; {_consensus_count(round_, data)}"
        rows.append((f"Round {round_.number}", line))
        if previous is not None:
            lost = len(previous - submitted)
            rows.append(
                (f"Attrition to round {round_.number}",
                 f"{lost} of {len(previous)} who submitted round {round_.number - 1} did not submit round "
                 f"{round_.number} ({_percent(lost, len(previous))})")
            )
        previous = submitted
    rows += [
        ("Changes between rounds", _lineage_summary(study)),
        ("Anonymity", "Answers are stored under per-study pseudonyms with no link to a person in the "
                      "database; facilitators see who has submitted, never what; comments are shown "
                      "unattributed and in random order"),
        ("Feedback between rounds", "For every item carried into the next round: the panel's "
                                    "distribution, median, interquartile range and mean, whether it "
                                    "reached consensus, the panelist's own previous answer and the "
                                    "anonymous comments"),
        ("Statistics", "Item percentiles (P25, P75) by linear interpolation (Hyndman-Fan type 7)"
                       f"{_rand_percentiles(rule, params)}; means and percentages rounded half away from "
                       "zero; change between rounds by the Wilcoxon signed-rank test on paired ratings"),
    ]
    return MethodsSummary(rows=rows)


def _protocol_rows(study: Study, rounds: list[Round]) -> list[tuple[str, str]]:
    """When the protocol was locked, and each deviation with its values before and after and its reason."""
    if study.protocol_locked_at is None:
        return [("Protocol", "Not locked yet: no round has opened")]
    rows = [("Protocol", f"Locked on {_moment(study.protocol_locked_at)}, when round 1 opened; the consensus "
                         "definition, rating scale, not-recommended threshold and minimum n were fixed then")]
    for number, deviation in enumerate(selectors.protocol_deviations(study=study), start=1):
        kept = [r.number for r in rounds if r.results_released_at and r.results_released_at < deviation.made_at]
        after = (f" Round(s) {', '.join(map(str, kept))}, released before it, keep the verdicts the panel "
                 "was shown." if kept else "")
        reason = deviation.reason.strip().rstrip(".")
        rows.append((f"Protocol deviation {number}",
                     f"{_moment(deviation.made_at)}: {deviation.describe()}. Reason: {reason}.{after}"))
    return rows


def _moment(value) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _rand_percentiles(rule: str, params: dict) -> str:
    """Which percentile definition the RAND/UCLA disagreement test used, when the study's rule is RAND/UCLA."""
    if rule != "rand_ucla" or params["method"] != "ipras":
        return ""
    return f"; the RAND/UCLA P30 and P70 by {consensus.rules.PERCENTILE_WORDS[params['percentiles']]}"


def _consensus_count(round_: Round, data: RoundData) -> str:
    """Under the round's own rule, from `data`, which lends every round up to its own (methods_summary chose it)."""
    source = data.of_round(round_) if round_.number <= data.round.number else RoundData(round_)
    reached, total = statements_reaching_consensus(source)
    return f"{reached} of {total} statements reached consensus"


def _lineage_summary(study: Study) -> str:
    counts = dict(
        ItemLink.objects.filter(child__round__study=study)
        .values_list("operation")
        .annotate(count=Count("pk"))
        .values_list("operation", "count")
    )
    if not counts:
        return "No item was carried from one round to the next"
    return ", ".join(
        f"{counts.get(op, 0)} {label.lower()}" for op, label in ItemLink.Operation.choices
    ) + " (items of a round continuing items of the round before)"
