"""The synthetic study of `make bench`, and the two consensus tables by pandas alone.

Nothing here imports Django: `python -m tests.perf.synthetic --study ... --ratings
... --not-recommended ... --round N --output-dir DIR` computes the
recommendations and not-recommended tables straight from the files, which is
the figure the export command is measured against (see docs/performance.md).
"""

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

SLUG = "bench"
RATING_SCALE = {"min": 1, "max": 9, "neutral": 5}
CONSENSUS = {"rule": "mayo", "above_neutral": 5, "mean_above": 7}
THRESHOLD = 50
BLANK_SHARE = 0.01


@dataclass(frozen=True)
class BenchSize:
    panelists: int = 1_000
    vignettes: int = 30
    statements_per_vignette: int = 10
    options: int = 11
    rounds: int = 3

    @property
    def statements(self) -> int:
        return self.vignettes * self.statements_per_vignette


@dataclass(frozen=True)
class BenchFiles:
    slug: str
    study: Path
    ratings: Path
    not_recommended: Path
    rating_rows: int
    selection_rows: int


def _codes(prefix: str, count: int) -> list[str]:
    width = max(2, len(str(count)))
    return [f"{prefix}{i:0{width}d}" for i in range(1, count + 1)]


def generate(directory: Path, size: BenchSize = BenchSize(), *, seed: int = 2026) -> BenchFiles:
    """Writes a study file and the two response files of SPEC 4.2 into `directory`.

    A third of the statements draw ratings of 6-9 apart from a dissent that
    fades to nothing by the last round, so they reach consensus there; the
    rest are rated anywhere on the scale. 1% of ratings are blank. Each
    vignette has two options most of the panel would not recommend.
    """
    rng = np.random.default_rng(seed)
    directory = Path(directory)
    options = _codes("o", size.options)
    vignettes = _codes("v", size.vignettes)
    statements = [f"{v}-s{j:02d}" for v in vignettes for j in range(1, size.statements_per_vignette + 1)]
    panelists = _codes("P", size.panelists)
    study = {
        "slug": SLUG,
        "title": f"Synthetic benchmark: {size.panelists} panelists x {size.statements} statements",
        "scale": RATING_SCALE,
        "consensus": CONSENSUS,
        "not_recommended_threshold": THRESHOLD,
        "options": [
            {"code": o, "name": f"Option {o}", "short": o, "group": "add" if i < size.options // 2 else "switch"}
            for i, o in enumerate(options)
        ],
        "vignettes": [{"code": vignettes[0], "title": "Base vignette", "text": "A synthetic patient."}]
        + [
            {"code": v, "title": f"Variation {v}", "base": vignettes[0], "change": f"The base vignette, varied ({v})."}
            for v in vignettes[1:]
        ],
        "statements": [
            {
                "code": s,
                "vignette": s.split("-")[0],
                "text": f"Statement {s} would be my main choice.",
                "options": [options[k % size.options] for k in range(i, i + 1 + i % 3)],
            }
            for i, s in enumerate(statements)
        ],
    }
    study_path = directory / "study.json"
    study_path.write_text(json.dumps(study, indent=1))

    shape = (size.rounds, size.panelists, size.statements)
    agreed = rng.random(size.statements) < 1 / 3
    dissent = rng.random(shape) < np.linspace(0.1, 0.0, size.rounds)[:, None, None]
    ratings = np.where(
        agreed & ~dissent,
        rng.choice([6, 7, 8, 9], p=[0.1, 0.2, 0.35, 0.35], size=shape),
        rng.integers(1, 10, size=shape),
    ).ravel()
    rows = ratings.size
    frame = pd.DataFrame(
        {
            "round": np.repeat(np.arange(1, size.rounds + 1), size.panelists * size.statements),
            "panelist": pd.Categorical.from_codes(
                np.tile(np.repeat(np.arange(size.panelists), size.statements), size.rounds), categories=panelists
            ),
            "statement": pd.Categorical.from_codes(
                np.tile(np.arange(size.statements), size.rounds * size.panelists), categories=statements
            ),
            "rating": pd.array(np.where(rng.random(rows) < BLANK_SHARE, np.nan, ratings), dtype="Int8"),
        }
    )
    ratings_path = directory / "ratings.csv"
    frame.to_csv(ratings_path, index=False)

    likelihood = rng.uniform(0.05, 0.32, size=(size.vignettes, size.options))
    for row in likelihood:
        row[rng.choice(size.options, size=min(2, size.options), replace=False)] = rng.uniform(0.55, 0.75)
    chosen = rng.random((size.rounds, size.panelists, size.vignettes, size.options)) < likelihood
    r, p, v, o = np.nonzero(chosen)
    selections = pd.DataFrame(
        {
            "round": r + 1,
            "panelist": pd.Categorical.from_codes(p, categories=panelists),
            "vignette": pd.Categorical.from_codes(v, categories=vignettes),
            "option": pd.Categorical.from_codes(o, categories=options),
        }
    )
    not_recommended_path = directory / "not_recommended.csv"
    selections.to_csv(not_recommended_path, index=False)
    return BenchFiles(
        slug=SLUG,
        study=study_path,
        ratings=ratings_path,
        not_recommended=not_recommended_path,
        rating_rows=rows,
        selection_rows=len(selections),
    )


def reference_tables(
    *, study: Path, ratings: Path, not_recommended: Path, round_number: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Table 3 and Table 4 of one round, from the files alone.

    Recommendations: per statement, over the non-blank ratings of the
    round, n, min, mean (2 dp), median, all above neutral, and consensus
    (min above neutral and mean above the threshold); only statements with
    consensus are listed. Not recommended: per vignette and option, the
    panelists choosing it over those who submitted the round (in either
    file), listed at or above the threshold.
    """
    spec = json.loads(Path(study).read_text())
    above, mean_above = spec["consensus"]["above_neutral"], spec["consensus"]["mean_above"]
    threshold = spec["not_recommended_threshold"]
    codes = {"panelist": "category", "statement": "category", "vignette": "category", "option": "category"}
    rated = pd.read_csv(ratings, dtype=codes)
    chosen = pd.read_csv(not_recommended, dtype=codes)
    rated = rated[rated["round"] == round_number]
    chosen = chosen[chosen["round"] == round_number]

    statements = pd.DataFrame(spec["statements"])[["code", "vignette", "text"]].rename(columns={"code": "statement"})
    vignettes = pd.DataFrame(spec["vignettes"])[["code", "title"]]
    vignettes.columns = ["vignette", "vignette_title"]
    stats = (
        rated.dropna(subset=["rating"])
        .groupby("statement", observed=True)["rating"]
        .agg(n="count", min="min", mean="mean", median="median")
        .reset_index()
    )
    stats["all_above_neutral"] = stats["min"] > above
    stats["consensus"] = stats["all_above_neutral"] & (stats["mean"] > mean_above)
    stats["mean"] = stats["mean"].round(2)
    recommendations = (
        statements.merge(vignettes, on="vignette")
        .merge(stats, on="statement")
        .query("consensus")[
            ["vignette", "vignette_title", "statement", "text", "n", "min", "mean", "median", "all_above_neutral",
             "consensus"]
        ]
        .reset_index(drop=True)
    )

    panel = len(set(rated["panelist"].unique()) | set(chosen["panelist"].unique()))
    options = pd.DataFrame(spec["options"])[["code", "name"]]
    options.columns = ["option", "option_name"]
    counts = chosen.groupby(["vignette", "option"], observed=True).size().rename("count").reset_index()
    counts["n"] = panel
    # Compared in whole numbers, so that exactly the threshold is listed.
    counts = counts[counts["count"] * 100 >= threshold * panel].copy()
    counts["percent"] = (100 * counts["count"] / panel).round(1)
    table = (
        counts.astype({"vignette": str, "option": str}).merge(vignettes, on="vignette").merge(options, on="option")
    )
    # In the study file's order of vignettes, then of options.
    table["vignette"] = pd.Categorical(table["vignette"], categories=vignettes["vignette"])
    table["option"] = pd.Categorical(table["option"], categories=options["option"])
    columns = ["vignette", "vignette_title", "option", "option_name", "count", "n", "percent"]
    not_recommended_table = table.sort_values(["vignette", "option"])[columns].reset_index(drop=True)
    return recommendations, not_recommended_table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Table 3 and Table 4 of one round, by pandas alone.")
    parser.add_argument("--study", type=Path, required=True)
    parser.add_argument("--ratings", type=Path, required=True)
    parser.add_argument("--not-recommended", type=Path, required=True)
    parser.add_argument("--round", type=int, required=True)
    parser.add_argument("--output-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    recommendations, not_recommended = reference_tables(
        study=args.study, ratings=args.ratings, not_recommended=args.not_recommended, round_number=args.round
    )
    recommendations.to_csv(args.output_dir / "reference-recommendations.csv", index=False)
    not_recommended.to_csv(args.output_dir / "reference-not-recommended.csv", index=False)
    json.dump({"seconds": time.perf_counter() - start}, sys.stdout)


if __name__ == "__main__":
    main()
