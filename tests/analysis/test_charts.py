import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from analysis.charts import counts_from_row, distribution_svg, heat_colour, heatmap_from_items, heatmap_svg

NS = {"svg": "http://www.w3.org/2000/svg"}


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def bars(root: ET.Element) -> dict[int, ET.Element]:
    return {int(rect.get("data-point")): rect for rect in root.iterfind(".//svg:rect[@data-point]", NS)}


def test_a_distribution_is_an_accessible_image_with_a_title_and_a_description():
    root = parse(distribution_svg({1: 0, 5: 1, 9: 3}, neutral=5, title="Ratings of base-main"))

    assert root.get("role") == "img"
    assert root.get("aria-label") == "Ratings of base-main"
    assert root.find("svg:title", NS).text == "Ratings of base-main"
    desc = root.find("svg:desc", NS).text
    assert "4 ratings on a 1-9 scale" in desc
    assert "5: 1" in desc and "9: 3" in desc
    assert "Neutral point: 5." in desc


def test_a_distribution_has_one_bar_per_scale_point_with_missing_points_counted_as_zero():
    root = parse(distribution_svg({1: 0, 7: 2, 9: 4}, neutral=5, title="t"))

    found = bars(root)
    assert sorted(found) == list(range(1, 10))
    assert [int(found[p].get("data-count")) for p in range(1, 10)] == [0, 0, 0, 0, 0, 0, 2, 0, 4]


def test_bar_heights_are_proportional_to_the_counts():
    found = bars(parse(distribution_svg({1: 1, 2: 2, 3: 4}, neutral=2, title="t")))

    heights = {point: float(rect.get("height")) for point, rect in found.items()}
    assert heights[3] == pytest.approx(2 * heights[2], abs=0.01)
    assert heights[2] == pytest.approx(2 * heights[1], abs=0.01)


def test_the_neutral_point_is_marked_in_words_and_not_only_by_colour():
    root = parse(distribution_svg({1: 1, 5: 2, 9: 3}, neutral=5, title="t"))

    found = bars(root)
    assert "bar-neutral" in found[5].get("class")
    assert "bar-below" in found[4].get("class")
    assert "bar-above" in found[6].get("class")
    labels = [text.text for text in root.iterfind(".//svg:text[@class='neutral-label']", NS)]
    assert labels == ["neutral"]


def test_a_scale_without_a_neutral_point_marks_none():
    root = parse(distribution_svg({1: 1, 4: 2}, neutral=None, title="t"))

    assert not root.findall(".//svg:text[@class='neutral-label']", NS)
    assert all("bar-neutral" not in rect.get("class") for rect in bars(root).values())


def test_the_panelists_previous_answer_is_outlined_marked_and_named():
    root = parse(distribution_svg({1: 0, 7: 3, 9: 1}, neutral=5, highlight=7, title="t"))

    found = bars(root)
    assert "bar-highlight" in found[7].get("class")
    assert found[7].get("stroke-width") == "3"
    assert [p for p, rect in found.items() if "bar-highlight" in rect.get("class")] == [7]
    assert root.find(".//svg:path[@class='highlight-marker']", NS) is not None
    assert root.find(".//svg:text[@class='legend']", NS).text == "Your previous answer: 7"
    assert "Your previous answer: 7." in root.find("svg:desc", NS).text


def test_the_highlight_label_can_be_reworded_by_the_caller():
    root = parse(distribution_svg({1: 0, 9: 1}, neutral=5, highlight=9, title="t", highlight_label="You said"))

    assert root.find(".//svg:text[@class='legend']", NS).text == "You said: 9"


def test_a_highlight_off_the_scale_is_refused():
    with pytest.raises(ValueError, match="not a point of the scale"):
        distribution_svg({1: 0, 9: 1}, neutral=5, highlight=10, title="t")


def test_a_distribution_without_any_rating_draws_empty_bars():
    root = parse(distribution_svg({1: 0, 9: 0}, neutral=5, title="t"))

    assert all(float(rect.get("height")) == 0 for rect in bars(root).values())
    assert "0 ratings" in root.find("svg:desc", NS).text


def test_text_in_a_chart_is_escaped_so_it_cannot_inject_markup():
    svg = distribution_svg({1: 0, 9: 1}, neutral=5, title='<script>alert("x")</script> & "more"')

    assert "<script>" not in svg
    root = parse(svg)
    assert root.get("aria-label") == '<script>alert("x")</script> & "more"'
    assert root.find("svg:title", NS).text == '<script>alert("x")</script> & "more"'


def test_charts_carry_no_ids_scripts_or_style_attributes_so_many_can_share_a_page():
    svg = distribution_svg({1: 2, 9: 1}, neutral=5, highlight=1, title="t")
    svg += heatmap_svg([[7.5]], row_labels=["Base"], column_labels=["TMS"], low=1, high=9, mid=5, title="h")

    assert " id=" not in svg
    assert "<script" not in svg
    assert "style=" not in svg


def test_counts_are_read_from_the_items_tables_count_columns_with_blanks_as_zero():
    row = {"count_1": 2, "count_2": float("nan"), "count_3": 1, "count_5": 7}

    assert counts_from_row(row, low=1, high=4) == {1: 2, 2: 0, 3: 1, 4: 0}


def test_heat_colours_run_from_orange_through_near_white_to_purple():
    assert heat_colour(5, low=1, mid=5, high=9) == "#f7f7f7"
    assert heat_colour(1, low=1, mid=5, high=9) == "#e66101"
    assert heat_colour(9, low=1, mid=5, high=9) == "#5e3c99"
    # Off the scale clamps to its ends.
    assert heat_colour(12, low=1, mid=5, high=9) == "#5e3c99"


def test_a_heatmap_prints_every_mean_and_marks_cells_nobody_rated():
    root = parse(
        heatmap_svg(
            [[7.5, None], [2.0, 5.0]],
            row_labels=["Base clinical vignette", "70 years old"],
            column_labels=["TMS", "ECT"],
            low=1,
            high=9,
            mid=5,
            title="Means",
        )
    )

    texts = [text.text for text in root.iterfind("svg:text", NS)]
    assert {"7.50", "2.00", "5.00", "–"} <= set(texts)
    assert len(root.findall("svg:rect[@class='cell']", NS)) == 3
    assert len(root.findall("svg:rect[@class='cell cell-empty']", NS)) == 1
    desc = root.find("svg:desc", NS).text
    assert "3 of 4 cells rated" in desc
    assert "Highest: Base clinical vignette, TMS (7.50)" in desc
    assert "Lowest: 70 years old, ECT (2.00)" not in desc
    assert "Lowest: 70 years old, TMS (2.00)" in desc


def test_a_heatmap_clips_long_labels_but_keeps_them_whole_in_the_tooltip():
    long = "Diabetes and body mass index greater than 40 kg/m²"
    root = parse(heatmap_svg([[8.0]], row_labels=[long], column_labels=["TMS"], low=1, high=9, mid=5, title="t"))

    label = root.find("svg:text[@class='row-label']", NS)
    assert label.find("svg:title", NS).text == long
    assert label.text is None or len("".join(label.itertext())) < len(long) * 2
    assert "…" in "".join(label.itertext())


def test_a_heatmap_refuses_a_grid_that_does_not_match_its_labels():
    with pytest.raises(ValueError):
        heatmap_svg([[1.0, 2.0]], row_labels=["a"], column_labels=["x"], low=1, high=9, mid=5, title="t")


def items_table(rows):
    return pd.DataFrame(rows, columns=["vignette", "vignette_title", "statement", "options", "n", "mean"])


def test_the_items_heatmap_draws_single_option_items_in_study_option_order():
    items = items_table(
        [
            ("base", "Base", "base-tms", ["tms"], 10, 7.8),
            ("base", "Base", "base-ect", ["ect"], 10, 3.1),
            ("cad", "Coronary artery disease", "cad-tms", ["tms"], 9, 8.0),
            ("cad", "Coronary artery disease", "cad-main", ["tms", "sri"], 10, 8.4),
        ]
    )

    root = parse(
        heatmap_from_items(items, option_labels={"ect": "ECT", "tms": "TMS"}, low=1, high=9, mid=5, title="t")
    )

    columns = [text.find("svg:title", NS).text for text in root.iterfind("svg:text[@class='column-label']", NS)]
    rows = [text.find("svg:title", NS).text for text in root.iterfind("svg:text[@class='row-label']", NS)]
    assert columns == ["ECT", "TMS"]
    assert rows == ["Base", "Coronary artery disease"]
    cells = [rect.find("svg:title", NS).text for rect in root.iterfind("svg:rect[@class]", NS)
             if "cell" in rect.get("class")]
    assert cells == [
        "Base, ECT: mean 3.10",
        "Base, TMS: mean 7.80",
        "Coronary artery disease, ECT: not rated",
        "Coronary artery disease, TMS: mean 8.00",
    ]
    # The multi-option statement's 8.40 is attributed to no option.
    assert "8.40" not in ET.tostring(root, encoding="unicode")


def test_the_items_heatmap_pools_two_items_about_the_same_vignette_and_option():
    items = items_table(
        [
            ("base", "Base", "a", ["tms"], 3, 6.0),
            ("base", "Base", "b", ["tms"], 1, 2.0),
        ]
    )

    svg = heatmap_from_items(items, option_labels={"tms": "TMS"}, low=1, high=9, mid=5, title="t")

    # (3 x 6 + 1 x 2) / 4 ratings = 5.00
    assert "Base, TMS: mean 5.00" in svg


def test_the_items_heatmap_is_none_when_every_statement_names_several_options():
    items = items_table([("base", "Base", "base-main", ["sga", "tms"], 10, 8.4)])

    assert heatmap_from_items(items, option_labels={}, low=1, high=9, mid=5, title="t") is None
    assert heatmap_from_items(items.iloc[0:0], option_labels={}, low=1, high=9, mid=5, title="t") is None
