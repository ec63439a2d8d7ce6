"""The paper's figures: drawn with matplotlib from the tables' own figures, as PNG (300 dpi), PDF and SVG."""

import io
import struct
import xml.etree.ElementTree as ET
import zlib

import numpy as np
import pytest
from django.core.management import call_command
from django.urls import reverse

from analysis import figures
from analysis.tables import RoundData
from tests.analysis.studies import three_rounds

pytestmark = pytest.mark.django_db


@pytest.fixture
def rounds(mayo_study):
    return three_rounds(mayo_study)


def bar_heights(figure, axis=0) -> list[float]:
    return [patch.get_height() for patch in figure.axes[axis].patches]


def png_dpi(content: bytes) -> float:
    """Dots per inch from the PNG's pHYs chunk (pixels per metre)."""
    assert content.startswith(b"\x89PNG")
    at = content.index(b"pHYs")
    per_metre, _y, unit = struct.unpack(">IIB", content[at + 4 : at + 13])
    assert unit == 1
    return per_metre * 0.0254


def test_the_distributions_draw_each_statement_s_counts(rounds):
    data = RoundData(rounds[0])
    figure = figures.distributions(data)

    axes = [ax for ax in figure.axes if ax.get_visible()]
    assert [ax.get_title() for ax in axes] == [
        "base-main *", "sud-main", "age70-main", "metabolic-main *", "cad-main", "seizures-main", "sensitivity-main",
    ]
    # sud-main in round 1: four 6s and six 7s on the 1-9 scale.
    assert bar_heights(figure, 1) == [0, 0, 0, 0, 0, 4, 6, 0, 0]
    assert "sud-main: 10 ratings (4 at 6, 6 at 7)" in figures.describe("distributions", data)


def test_the_heatmap_gives_a_multi_option_statement_s_mean_to_each_option_it_names(rounds):
    titles, options, means, reached = figures.heatmap_cells(RoundData(rounds[0]))

    base = titles.index("Base clinical vignette")
    # base-main names SGA, TMS and ketamine/esketamine, with a mean of 8 and consensus.
    named = {options[j]: means[base, j] for j in range(len(options)) if not np.isnan(means[base, j])}
    assert named == {"Augmentation with SGA": 8.0, "TMS": 8.0, "Ketamine/esketamine": 8.0}
    assert all(reached[base, options.index(name)] for name in named)
    # Options no base statement names are blank, not zero.
    assert np.isnan(means[base, options.index("MAO-I")]) if "MAO-I" in options else True


def test_the_consensus_figure_counts_each_round_s_statements(rounds):
    data = RoundData(rounds[2])
    counts = figures.consensus_counts(data)

    assert counts.values.tolist() == [[1, 2, 5], [2, 3, 1], [3, 1, 1]]
    figure = figures.consensus(data)
    assert bar_heights(figure) == [2, 3, 1, 5, 1, 1]


def test_the_flow_figure_draws_the_flow_table(rounds):
    figure = figures.flow_figure(RoundData(rounds[2]))

    assert bar_heights(figure) == [0, 0, 10, 9, 9]


@pytest.mark.parametrize("name", ["distributions", "heatmap", "consensus", "flow"])
def test_every_figure_is_a_300_dpi_png_a_pdf_and_an_svg(rounds, name, tmp_path):
    files = {}
    for fmt in figures.FIGURE_FORMATS:
        path = tmp_path / f"{name}.{fmt}"
        call_command("export_consensus", "mayo-trd", "--figure", name, "--format", fmt, "--output", str(path))
        files[fmt] = path.read_bytes()

    assert png_dpi(files["png"]) == pytest.approx(300, abs=0.1)
    assert files["pdf"].startswith(b"%PDF")
    assert ET.fromstring(files["svg"]).tag.endswith("svg")


def test_the_same_data_draws_the_same_bytes(rounds, tmp_path):
    def draw():
        out = tmp_path / "figure.pdf"
        call_command("export_consensus", "mayo-trd", "--figure", "consensus", "--format", "pdf", "--output", str(out))
        return out.read_bytes()

    assert draw() == draw()


def test_the_results_page_shows_every_figure_with_its_description_and_downloads(client, rounds, mayo_analyst):
    client.force_login(mayo_analyst)
    page = client.get(reverse("analysis:results", args=["mayo-trd"])).content.decode()

    for name in figures.FIGURES:
        for fmt in figures.FIGURE_FORMATS:
            url = reverse("analysis:figure", args=["mayo-trd", 3, name, fmt])
            assert url in page
    figure = client.get(reverse("analysis:figure", args=["mayo-trd", 3, "flow", "png"]))
    assert figure.status_code == 200 and figure["Content-Type"] == "image/png"
    assert figure["Content-Disposition"] == 'attachment; filename="mayo-trd-round-3-flow.png"'
    assert 'alt="Invited: 0; Joined: 0; Round 1: 10; Round 2: 9; Round 3: 9"' in page
