"""What a LaTeX table export must be: a booktabs longtable that pdflatex compiles."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

PREAMBLE = r"""\documentclass{article}
\usepackage[T1]{fontenc}
\usepackage{booktabs,longtable,array,pdflscape}
\begin{document}
"""


def assert_is_a_booktabs_longtable(latex: str, *, columns: int, rows: int) -> None:
    """One column spec per column, booktabs rules, and every row with columns - 1 unescaped ampersands."""
    lines = latex.strip().splitlines()
    begin = next(line for line in lines if line.startswith("\\begin{longtable}"))
    assert begin.count("}p{") == columns
    assert "\\end{longtable}" in lines[-3:]
    for rule in ("\\toprule", "\\midrule", "\\bottomrule"):
        assert rule in lines
    body = [line for line in lines if line.endswith("\\\\")]
    assert len(body) == rows + 1
    for line in body:
        assert len(re.findall(r"(?<!\\)&", line)) == columns - 1, line


def compile_latex(tables: dict[str, str], directory: Path) -> Path:
    """Every table `\\input` into one document, compiled by pdflatex; fails, never skips, without it."""
    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        pytest.fail("pdflatex is missing: `make test` installs it (apt-get install texlive-latex-recommended).")
    for name, latex in tables.items():
        (directory / f"{name}.tex").write_text(latex, encoding="utf-8")
    body = "\n\\clearpage\n".join(f"\\input{{{name}.tex}}" for name in tables)
    (directory / "paper.tex").write_text(PREAMBLE + body + "\n\\end{document}\n", encoding="utf-8")
    result = subprocess.run(  # noqa: S603 - a fixed program on files this test wrote
        [pdflatex, "-interaction=nonstopmode", "-halt-on-error", "paper.tex"],
        cwd=directory, capture_output=True, text=True, encoding="utf-8", errors="replace", timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    # longtable settles its column widths over two runs.
    subprocess.run(  # noqa: S603
        [pdflatex, "-interaction=nonstopmode", "-halt-on-error", "paper.tex"],
        cwd=directory, capture_output=True, timeout=120, check=True,
    )
    return directory / "paper.pdf"
