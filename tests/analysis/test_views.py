import io
import json
import re
import xml.etree.ElementTree as ET

import pandas as pd
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from analysis.exports import FORMATS
from analysis.catalog import TABLES
from surveys.models import Item, ItemLink, ItemOption, Round, RoundFigures
from tests.analysis.panels import close, not_recommend, panel, rate, select, submit
from tests.factories import ItemFactory, MembershipFactory, UserFactory
from vignettes.models import Option, Vignette

pytestmark = pytest.mark.django_db

# Mayo round 1: base-main reaches consensus (all above 5, mean 7.89);
# sud-main does not (a rating of 5), cad-main has a blank and reaches it.
RATINGS = {
    "base-main": [6, 6, 6, 8, 9, 9, 9, 9, 9],
    "sud-main": [5, 8, 9, 9, 9, 9, 9, 9, 9],
    "cad-main": [8, 8, 8, 8, 9, 9, 9, 9, None],
}

# The results page, whatever the panel and item count:
#  1 session, 2 user, 3 membership with study (the 404 check),
#  4 the study's rounds (the round choices), 5 the round to analyse,
#  then the tables' frames, one query each, over every closed round up to
#  this one at once: 6 items, 7 item options, 8 the protocol of the figures
#  stored at each round's close, 9 the figures (rating and option counts,
#  statistics, verdicts, the attrition check), 10 their changes (read apart:
#  analysis.tables.FIGURE_PARTS), 11 lineage; 12 vignettes, 13 options,
#  14 ranked options, 15 submissions; for the flow 16 invited, 17 joined and
#  18 the pseudonyms known; and 19 the comments. The figures are described
#  in words from the same frames, and drawn by their own URLs.
PAGE_QUERIES = 19


def member(study, role, username):
    return MembershipFactory(study=study, role=role, user=UserFactory(username=username)).user


@pytest.fixture
def round1(mayo_study):
    round_ = mayo_study.rounds.get(number=1)
    rate(round_, RATINGS)
    not_recommend(round_, "base", {"maoi": 5, "tca": 4})
    return close(round_)


def results_url(study, **params):
    url = reverse("analysis:results", args=[study.slug])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def download_url(study, **params):
    return reverse("analysis:download", args=[study.slug]) + "?" + "&".join(f"{k}={v}" for k, v in params.items())


def page(client, study, **params) -> str:
    response = client.get(results_url(study, **params))
    assert response.status_code == 200
    return response.content.decode()


def statement_card(html: str, code: str) -> str:
    start = html.index(f'id="statement-{code}"')
    return html[start : html.index("</article>", start)]


# -- who may read -------------------------------------------------------------------


def test_a_facilitator_of_the_study_sees_its_results(client, mayo_study, round1, mayo_facilitator):
    client.force_login(mayo_facilitator)

    html = page(client, mayo_study)

    assert "Results of round 1 (Consensus)" in html
    assert "Recommendations (Table 3)" in html


def test_an_analyst_of_the_study_sees_its_results(mayo_analyst_client, mayo_study, round1):
    assert "Recommendations (Table 3)" in page(mayo_analyst_client, mayo_study)


def test_a_panelist_of_the_study_gets_404(client, mayo_study, round1, mayo_panelist):
    client.force_login(mayo_panelist)

    assert client.get(results_url(mayo_study)).status_code == 404
    assert client.get(download_url(mayo_study, table="items", format="csv")).status_code == 404
    assert client.get(reverse("analysis:figure", args=[mayo_study.slug, 1, "heatmap", "svg"])).status_code == 404


def test_an_outsider_gets_404(client, mayo_study, round1, outsider):
    client.force_login(outsider)

    assert client.get(results_url(mayo_study)).status_code == 404
    assert client.get(download_url(mayo_study, table="items", format="csv")).status_code == 404
    assert client.get(reverse("analysis:figure", args=[mayo_study.slug, 1, "heatmap", "svg"])).status_code == 404


def test_the_facilitator_of_another_study_gets_404(client, mayo_study, round1, study, facilitator):
    client.force_login(facilitator)

    assert client.get(results_url(mayo_study)).status_code == 404


def test_a_staff_user_who_is_not_a_member_gets_404(client, mayo_study, round1):
    client.force_login(UserFactory(username="staff", is_staff=True, is_superuser=True))

    assert client.get(results_url(mayo_study)).status_code == 404


def test_an_unknown_study_gets_404(mayo_analyst_client):
    assert mayo_analyst_client.get(reverse("analysis:results", args=["no-such-study"])).status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in(client, mayo_study, round1):
    for url in (results_url(mayo_study), download_url(mayo_study, table="items", format="csv")):
        response = client.get(url)

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    "url",
    [
        lambda s: results_url(s),
        lambda s: download_url(s, table="items", format="csv"),
        lambda s: reverse("analysis:figure", args=[s.slug, 1, "heatmap", "svg"]),
    ],
    ids=["page", "download", "figure"],
)
def test_every_results_view_refuses_a_post(mayo_analyst_client, mayo_study, round1, url):
    assert mayo_analyst_client.post(url(mayo_study)).status_code == 405


# -- what the page shows -----------------------------------------------------------


def test_the_page_defaults_to_the_last_closed_round(mayo_analyst_client, mayo_study, round1):
    Round.objects.create(study=mayo_study, number=2, status=Round.Status.OPEN)

    html = page(mayo_analyst_client, mayo_study)

    assert "Results of round 1" in html
    # The round the page shows is the one its form (and so every download button) sends.
    assert '<option value="1" selected>' in html


def test_every_rated_statement_shows_its_verdict_with_its_reasons(mayo_analyst_client, mayo_study, round1):
    html = page(mayo_analyst_client, mayo_study)

    base = statement_card(html, "base-main")
    assert ">Consensus</span>" in base
    assert "<li>all 9 ratings are above 5</li>" in base
    assert "<li>mean 7.89 is above 7</li>" in base
    sud = statement_card(html, "sud-main")
    assert ">No consensus</span>" in sud
    assert "min rating 5 is not above neutral 5" in sud
    # Statements nobody rated still get their verdict.
    assert "no ratings" in statement_card(html, "age70-main")


def test_every_rated_statement_has_a_distribution_chart_described_in_words(mayo_analyst_client, mayo_study, round1):
    html = page(mayo_analyst_client, mayo_study)

    likert = Item.objects.filter(round=round1, type=Item.Type.LIKERT).count()
    cards = re.findall(r'<article class="card mb-3 statement".*?</article>', html, re.S)
    assert len(cards) == likert and all('<img src="' in card for card in cards)
    # The blank answer is not counted: 4 eights and 4 nines.
    assert 'alt="cad-main: 8 ratings (4 at 8, 4 at 9); reached consensus"' in statement_card(html, "cad-main")


def test_the_page_shows_table_3_and_table_4(mayo_analyst_client, mayo_study, round1):
    html = page(mayo_analyst_client, mayo_study)

    table3 = html[html.index('id="table-recommendations"') : html.index('id="table-not-recommended"')]
    assert "base-main" in table3 and "cad-main" in table3
    assert "sud-main" not in table3
    assert "<td>7.89</td>" in table3
    table4 = html[html.index('id="table-not-recommended"') : html.index('id="table-items"')]
    # 5 of 9 is listed (at least 50%), 4 of 9 is not.
    assert "<td>maoi</td>" in table4 and "<td>55.6</td>" in table4
    assert "<td>tca</td>" not in table4


def test_include_all_lists_statements_that_did_not_reach_consensus(mayo_analyst_client, mayo_study, round1):
    html = page(mayo_analyst_client, mayo_study, include_all="on")

    table3 = html[html.index('id="table-recommendations"') : html.index('id="table-not-recommended"')]
    assert "sud-main" in table3
    # The form keeps the option, so the download buttons send it too.
    assert re.search(r'<input type="checkbox" name="include_all"[^>]* checked>', html)


def test_another_rule_judges_the_same_ratings_differently(mayo_analyst_client, mayo_study, round1):
    html = page(mayo_analyst_client, mayo_study, rule="median_iqr")

    base = statement_card(html, "base-main")
    assert ">No consensus</span>" in base
    assert "<li>IQR 3 is above 1</li>" in base
    assert ">Consensus</span>" in statement_card(html, "sud-main")


@pytest.mark.parametrize("status", [Round.Status.OPEN, Round.Status.DRAFT])
def test_a_round_that_is_not_closed_has_no_results_page_download_or_chart(
    mayo_analyst_client, mayo_study, round1, status
):
    Round.objects.create(study=mayo_study, number=2, status=status)
    results = reverse("analysis:results", args=[mayo_study.slug])
    state = "a draft" if status == Round.Status.DRAFT else "open"
    reason = f"round 2 of study {mayo_study.slug} is {state}: its results exist only once it has closed"

    response = mayo_analyst_client.get(results, {"round": 2})
    assert response.status_code == 409
    assert reason.capitalize() in response.content.decode()
    assert "Recommendations (Table 3)" not in response.content.decode()

    for table in ("raw-ratings", "recommendations", "all"):
        download = mayo_analyst_client.get(
            reverse("analysis:download", args=[mayo_study.slug]), {"round": 2, "table": table, "format": "xlsx"}
        )
        assert download.status_code == 409, table
        assert reason in download.content.decode()
    figure = mayo_analyst_client.get(reverse("analysis:figure", args=[mayo_study.slug, 2, "heatmap", "png"]))
    assert figure.status_code == 409 and figure.content.decode() == reason


def test_without_a_closed_round_the_page_says_so(mayo_analyst_client, mayo_study):
    html = page(mayo_analyst_client, mayo_study)

    assert "No round has closed yet." in html
    assert "Recommendations (Table 3)" not in html


def test_the_page_links_each_chart_as_png_pdf_and_svg(mayo_analyst_client, mayo_study, round1):
    html = page(mayo_analyst_client, mayo_study)

    for fmt in ("png", "pdf", "svg"):
        assert reverse("analysis:figure", args=[mayo_study.slug, 1, "statement-base-main", fmt]) in html
        assert reverse("analysis:figure", args=[mayo_study.slug, 1, "heatmap", fmt]) in html


def test_the_page_has_a_download_button_for_every_table(mayo_analyst_client, mayo_study, round1):
    html = page(mayo_analyst_client, mayo_study)

    action = reverse("analysis:download", args=[mayo_study.slug])
    for name in TABLES:
        assert f'form="results-options" formaction="{action}" name="table" value="{name}"' in html
    for fmt in FORMATS:
        assert f'<option value="{fmt}"' in html
    assert "table=all&amp;round=1&amp;format=xlsx" in html
    assert "table=report&amp;round=1" in html


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"round": "abc"}, "round", "Select a valid choice. abc is not one of the available choices."),
        ({"round": "9"}, "round", "Select a valid choice. 9 is not one of the available choices."),
        ({"rule": "delphi"}, "rule", "Select a valid choice. delphi is not one of the available choices."),
        ({"format": "pdf"}, "format", "Select a valid choice. pdf is not one of the available choices."),
    ],
)
def test_a_bad_option_gets_its_error_at_the_field_and_a_400(mayo_analyst_client, mayo_study, round1, params, field, message):
    response = mayo_analyst_client.get(results_url(mayo_study, **params))

    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="error_1_id_{field}"' in html
    assert message in html
    assert "Recommendations (Table 3)" not in html


# -- downloads -------------------------------------------------------------------


def read_back(fmt: str, content: bytes):
    if fmt == "csv":
        return pd.read_csv(io.BytesIO(content))
    if fmt == "json":
        return json.loads(content)
    if fmt == "xlsx":
        return load_workbook(io.BytesIO(content))
    return content.decode("utf-8")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("table", TABLES)
def test_every_table_downloads_in_every_format_and_the_file_opens(mayo_analyst_client, mayo_study, round1, table, fmt):
    response = mayo_analyst_client.get(download_url(mayo_study, table=table, format=fmt, round=1))

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="mayo-trd-round-1-{table}.{fmt}"'
    opened = read_back(fmt, response.content)
    if fmt == "csv":
        assert len(opened.columns) > 0
    elif fmt == "json":
        assert isinstance(opened, list)
    elif fmt == "xlsx":
        assert opened.sheetnames == [table, "methods"]
        sheet = opened[table]
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.bold for cell in sheet[1] if cell.value is not None)
        assert opened["methods"]["A1"].font.bold
    elif fmt == "md":
        assert opened.startswith("|")
    else:
        assert "\\begin{longtable}" in opened and "\\toprule" in opened and "\\end{longtable}" in opened


def test_the_downloaded_table_3_holds_what_the_page_shows(mayo_analyst_client, mayo_study, round1):
    csv = read_back("csv", mayo_analyst_client.get(download_url(mayo_study, table="recommendations", format="csv")).content)
    rows = json.loads(mayo_analyst_client.get(download_url(mayo_study, table="recommendations", format="json")).content)

    assert list(csv["statement"]) == ["base-main", "cad-main"]
    assert list(csv["mean"]) == [7.89, 8.5]
    assert [row["n"] for row in rows] == [9, 8]
    assert rows[0]["options"] == ["sga", "tms", "ketamine"]


def test_table_4_downloads_with_the_papers_columns(mayo_analyst_client, mayo_study, round1):
    rows = json.loads(mayo_analyst_client.get(download_url(mayo_study, table="not-recommended", format="json")).content)

    assert rows == [
        {
            "vignette": "base",
            "vignette_title": "Base clinical vignette",
            "option": "maoi",
            "option_name": "Monoamine oxidase inhibitor (MAO-I)",
            "count": 5,
            "n": 9,
            "percent": 55.6,
        }
    ]


def test_a_download_follows_the_rule_and_include_all_options(mayo_analyst_client, mayo_study, round1):
    response = mayo_analyst_client.get(
        download_url(mayo_study, table="recommendations", format="json", rule="median_iqr", include_all="on")
    )

    assert response["Content-Disposition"] == (
        'attachment; filename="mayo-trd-round-1-recommendations-median_iqr-all.json"'
    )
    verdicts = {row["statement"]: row["consensus"] for row in json.loads(response.content)}
    assert verdicts["base-main"] is False
    assert verdicts["sud-main"] is True


def test_the_workbook_holds_every_table_and_the_methods(mayo_analyst_client, mayo_study, round1):
    response = mayo_analyst_client.get(download_url(mayo_study, table="all", format="xlsx", round=1))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="mayo-trd-round-1-tables.xlsx"'
    workbook = read_back("xlsx", response.content)
    assert workbook.sheetnames == [*TABLES, "methods"]
    for name in workbook.sheetnames:
        assert workbook[name].freeze_panes == "A2"
        assert workbook[name]["A1"].font.bold


def test_the_workbook_is_xlsx_when_no_format_is_named(mayo_analyst_client, mayo_study, round1):
    response = mayo_analyst_client.get(download_url(mayo_study, table="all"))

    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')


def test_the_methods_summary_downloads_on_its_own(mayo_analyst_client, mayo_study, round1):
    response = mayo_analyst_client.get(download_url(mayo_study, table="methods", format="csv"))

    assert response["Content-Disposition"] == 'attachment; filename="mayo-trd-methods.csv"'
    methods = read_back("csv", response.content)
    assert list(methods.columns) == ["item", "value"]
    assert "Consensus definition" in set(methods["item"])


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"table": "table-5", "format": "csv"}, "table", "Select a valid choice. table-5 is not one of"),
        ({"format": "csv"}, "table", "This field is required."),
        ({"table": "items", "format": "docx"}, "format", "Select a valid choice. docx is not one of"),
        ({"table": "items", "format": "csv", "round": "2"}, "round", "Select a valid choice. 2 is not one of"),
        ({"table": "items", "format": "csv", "round": "one"}, "round", "one is not one of the available"),
        ({"table": "items", "format": "csv", "rule": "majority"}, "rule", "majority is not one of the available"),
        ({"table": "all", "format": "csv"}, "format", "only available as an Excel workbook"),
    ],
)
def test_a_bad_download_gets_its_error_at_the_field_and_a_400(mayo_analyst_client, mayo_study, round1, params, field, message):
    response = mayo_analyst_client.get(download_url(mayo_study, **params))

    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="error_1_id_{field}"' in html
    assert message in html


def test_a_download_without_a_closed_round_asks_for_a_round(mayo_analyst_client, mayo_study):
    response = mayo_analyst_client.get(download_url(mayo_study, table="items", format="csv"))

    assert response.status_code == 400
    assert "No round has closed yet: choose a round." in response.content.decode()


# -- figure files ------------------------------------------------------------------


def test_a_statements_distribution_downloads_as_an_svg_file_that_runs_nothing(mayo_analyst_client, mayo_study, round1):
    response = mayo_analyst_client.get(reverse("analysis:figure", args=[mayo_study.slug, 1, "statement-base-main", "svg"]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Content-Disposition"] == 'attachment; filename="mayo-trd-round-1-statement-base-main.svg"'
    assert response["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"
    svg = ET.fromstring(response.content)
    assert svg.tag.endswith("svg") and b"<script" not in response.content


def test_the_heatmap_of_the_mayo_round_gives_each_named_option_its_statement_s_mean(mayo_analyst_client, mayo_study, round1):
    html = page(mayo_analyst_client, mayo_study)

    heatmap = html[html.index('id="figure-heatmap"'):]
    alt = re.search(r'alt="([^"]*)"', heatmap).group(1)
    # cad-main names TMS and SRI not yet tried, and reached consensus with a mean of 8.50.
    assert "Coronary artery disease, TMS: 8.50 (consensus)" in alt
    assert "Coronary artery disease, SRI not yet tried: 8.50 (consensus)" in alt


@pytest.mark.parametrize(
    ("number", "name", "fmt"),
    [(1, "statement-nope", "svg"), (1, "pie", "svg"), (7, "heatmap", "svg"), (1, "heatmap", "gif")],
)
def test_an_unknown_figure_gets_404(mayo_analyst_client, mayo_study, round1, number, name, fmt):
    url = reverse("analysis:figure", args=[mayo_study.slug, number, name, fmt])
    assert mayo_analyst_client.get(url).status_code == 404


def development_round(study, *, number: int, options: list[str], ratings: dict[tuple[str, str], list[int]]):
    """A development round rating each option for each vignette on the 4-point scale."""
    round_ = Round.objects.create(study=study, number=number, kind=Round.Kind.DEVELOPMENT)
    by_code = {o.code: o for o in Option.objects.filter(study=study, code__in=options)}
    for vignette in Vignette.objects.filter(study=study, code__in={v for v, _ in ratings}):
        for code in options:
            item = ItemFactory(
                round=round_, code=f"{vignette.code}-{code}", type=Item.Type.CATEGORICAL,
                vignette=vignette, scale_min=1, scale_max=4,
            )
            ItemOption.objects.create(item=item, option=by_code[code])
    rate(round_, {f"{v}-{o}": values for (v, o), values in ratings.items()})
    return close(round_)


def test_a_development_rounds_ratings_fill_the_heatmap(mayo_analyst_client, mayo_study):
    development_round(
        mayo_study,
        number=1 + mayo_study.rounds.count(),
        options=["tms", "ect"],
        ratings={("base", "tms"): [4, 4, 3], ("base", "ect"): [1, 2, 2], ("cad", "tms"): [4, 3, 3]},
    )

    html = page(mayo_analyst_client, mayo_study)

    heatmap = html[html.index('id="figure-heatmap"') :]
    alt = re.search(r'alt="([^"]*)"', heatmap).group(1)
    assert alt == "Base clinical vignette, TMS: 3.67; Base clinical vignette, ECT: 1.67; Coronary artery disease, TMS: 3.33"
    assert "4-point scale" in statement_card(html, "base-tms")


# -- query counts ------------------------------------------------------------------


def grow(study, round_, *, panelists: int, extra_items: int):
    """Give `round_` more rated items (some about one option) and a bigger panel."""
    vignettes = list(Vignette.objects.filter(study=study))
    options = list(Option.objects.filter(study=study))
    codes = []
    for index in range(extra_items):
        item = ItemFactory(
            round=round_, code=f"extra-{index}", vignette=vignettes[index % len(vignettes)], position=100 + index
        )
        ItemOption.objects.create(item=item, option=options[index % len(options)])
        codes.append(item.code)
    ratings = {code: [1 + (p + i) % 9 for p in range(panelists)] for i, code in enumerate(codes)}
    ratings.update({code: [6 + p % 4 for p in range(panelists)] for code in RATINGS})
    rate(round_, ratings)
    for vignette in vignettes:
        not_recommend(round_, vignette.code, {"maoi": panelists // 2, "tca": panelists // 3})


def small_round(study):
    round_ = study.rounds.get(number=1)
    rate(round_, {"base-main": [7, 8, 9], "sensitivity-main": [6, 7, 8]})
    return close(round_)


def next_round(study, first, *, panelists: int = 25, extra_items: int = 40):
    """Round 2: continues round 1's items, with `extra_items` more and a panel of `panelists`."""
    second = Round.objects.create(study=study, number=first.number + 1, kind=Round.Kind.CONSENSUS)
    for item in Item.objects.filter(round=first):
        child = Item.objects.create(
            round=second, code=item.code, type=item.type, text=item.text, vignette=item.vignette,
            position=item.position, scale_min=item.scale_min, scale_max=item.scale_max,
        )
        child.options.set(item.options.all())
        ItemLink.objects.create(parent=item, child=child)
    grow(study, second, panelists=panelists, extra_items=extra_items)
    return close(second)


def big_round(study):
    return next_round(study, small_round(study))


@pytest.mark.parametrize("build", [small_round, big_round], ids=["small", "big"])
def test_the_page_query_count_is_pinned_whatever_the_panel_size(
    mayo_analyst_client, mayo_study, build, django_assert_max_num_queries
):
    round_ = build(mayo_study)

    # See PAGE_QUERIES for the list.
    with django_assert_max_num_queries(PAGE_QUERIES):
        response = mayo_analyst_client.get(results_url(mayo_study, round=round_.number))
    assert response.status_code == 200


def test_the_page_query_count_does_not_grow_with_panel_or_items(mayo_analyst_client, mayo_study):
    small = small_round(mayo_study)
    with CaptureQueriesContext(connection) as few:
        mayo_analyst_client.get(results_url(mayo_study, round=small.number))
    big = next_round(mayo_study, small, panelists=25, extra_items=40)

    with CaptureQueriesContext(connection) as many:
        response = mayo_analyst_client.get(results_url(mayo_study, round=big.number, include_all="on"))

    assert response.status_code == 200
    assert response.content.decode().count('<img src="') > 40
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_development_round_of_top_choices_shows_their_frequencies(mayo_analyst_client, mayo_study):
    round_ = Round.objects.create(study=mayo_study, number=2, kind=Round.Kind.DEVELOPMENT)
    item = ItemFactory(
        round=round_, code="base:top", type=Item.Type.TOP_K, max_choices=2,
        vignette=Vignette.objects.get(study=mayo_study, code="base"), scale_min=None, scale_max=None,
    )
    item.options.set(Option.objects.filter(study=mayo_study, code__in=["tms", "ect", "sga"]))
    select(round_, "base:top", {"P01": ["tms", "sga"], "P02": ["tms"], "P03": ["ect", "tms"]})
    submit(round_, panel(mayo_study, 3))
    close(round_)

    html = page(mayo_analyst_client, mayo_study)

    top = html[html.index('id="table-top-choices"') :]
    assert "<td>tms</td>" in top and "<td>100</td>" in top
    assert "This round has no rated statements." in html


@pytest.mark.parametrize("build", [small_round, big_round], ids=["small", "big"])
@pytest.mark.parametrize("table", TABLES)
def test_a_table_downloads_in_a_pinned_number_of_queries(
    mayo_analyst_client, mayo_study, build, table, django_assert_max_num_queries
):
    round_ = build(mayo_study)

    # Expect at most 12 queries: session, user, membership with study, the
    # study's rounds (the round choices), the round to analyse, then the
    # frames the table reads, one query each over every closed round up to
    # this one; the final tables read the most: items, vignettes, item
    # options, options, the protocol of the figures stored at close and the
    # figures, lineage or submissions.
    with django_assert_max_num_queries(12):
        response = mayo_analyst_client.get(download_url(mayo_study, table=table, format="csv", round=round_.number))
    assert response.status_code == 200


def test_the_page_shows_each_vignettes_comments_without_names_escaped(client, mayo_study, mayo_analyst):
    from surveys.models import Answer, Item
    from tests.analysis.panels import close, panel, rate

    round_ = mayo_study.rounds.get(number=1)
    rate(round_, {"base-main": [9, 9, 9]})
    people = panel(mayo_study, 4)
    comment = Item.objects.get(round=round_, code="base:comment")
    Answer.objects.create(participant=people[0], item=comment, text="<script>alert(1)</script> TMS first")
    Answer.objects.create(participant=people[1], item=comment, text="Ketamine is hard to get here")
    Answer.objects.create(participant=people[3], item=comment, text="A draft nobody submitted")
    close(round_)
    client.force_login(mayo_analyst)

    page = client.get(reverse("analysis:results", kwargs={"slug": mayo_study.slug})).content.decode()
    comments = page[page.index('id="comments"'):]

    assert "&lt;script&gt;alert(1)&lt;/script&gt; TMS first" in comments
    assert "<script>alert(1)" not in page
    assert "Ketamine is hard to get here" in comments
    assert "A draft nobody submitted" not in page
    assert "P01" not in comments and "P02" not in comments


@pytest.mark.parametrize("stored", [True, False], ids=["figures stored", "computed afresh"])
def test_the_page_judges_each_statement_of_each_round_a_bounded_number_of_times(
    mayo_analyst_client, mayo_study, monkeypatch, stored
):
    """Work linear in statements: each chart's words once used to rebuild the whole item table (quadratic)."""
    import consensus

    big = next_round(mayo_study, small_round(mayo_study), panelists=5, extra_items=40)
    if not stored:
        RoundFigures.objects.all().delete()
    statements = Item.objects.filter(round__study=mayo_study, type=Item.Type.LIKERT).count()
    judged = []
    real = consensus.assess

    def counted(*args, **kwargs):
        judged.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(consensus, "assess", counted)
    response = mayo_analyst_client.get(results_url(mayo_study, round=big.number))

    assert response.status_code == 200
    assert response.content.decode().count('<img src="') > 40
    if stored:
        # Every verdict was judged once, at close, and is read back.
        assert judged == []
    else:
        # Once per statement and round for the tables and charts (the sensitivity table judges by evaluate).
        assert 0 < len(judged) <= 2 * statements
