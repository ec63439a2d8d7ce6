"""What a LaTeX table export must be for TeX to compile it."""

import re


def assert_is_a_plain_tabular(latex: str, *, columns: int, rows: int) -> None:
    """Structure a standard LaTeX `tabular` compiles: one column spec per column, and
    every row with exactly columns - 1 unescaped ampersands, ended by \\\\."""
    lines = latex.strip().splitlines()
    assert lines[0] == "\\begin{tabular}{" + "l" * columns + "}"
    assert lines[-1] == "\\end{tabular}"
    assert "booktabs" not in latex and "\\toprule" not in latex
    body = [line for line in lines[1:-1] if line != "\\hline"]
    assert len(body) == rows + 1
    for line in body:
        assert line.endswith("\\\\")
        assert len(re.findall(r"(?<!\\)&", line)) == columns - 1
