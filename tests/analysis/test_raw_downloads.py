"""The raw answers download at any size: CSV and JSON stream, the formats for people stop at a stated cap."""

import csv
import io
import json

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from analysis import streams
from surveys.models import Item
from tests.analysis.management.test_export_consensus import MAYO_NOT_RECOMMENDED, MAYO_RATINGS, mayo_round  # noqa: F401

pytestmark = pytest.mark.django_db

RATED = sum(1 for ratings in MAYO_RATINGS.values() for rating in ratings if rating is not None)
SELECTED = sum(sum(counts.values()) for counts in MAYO_NOT_RECOMMENDED.values())


def download(client, study, table: str, fmt: str):
    return client.get(reverse("analysis:download", args=[study.slug]), {"round": 1, "table": table, "format": fmt})


def streamed(response) -> list[bytes]:
    assert response.status_code == 200
    assert response.streaming, "a raw table as CSV or JSON is written while the rows are read"
    return list(response.streaming_content)


def test_raw_ratings_stream_in_chunks_with_the_same_rows_as_the_workbook(mayo_round, mayo_analyst_client, monkeypatch):
    monkeypatch.setattr(streams, "CHUNK_ROWS", 7)
    study = mayo_round.study

    chunks = streamed(download(mayo_analyst_client, study, "raw-ratings", "csv"))
    workbook = download(mayo_analyst_client, study, "raw-ratings", "xlsx")

    assert len(chunks) == RATED // 7 + 1
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode())))
    assert rows[0] == ["round", "panelist", "statement", "rating"]
    assert len(rows) == RATED + 1
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content))["raw-ratings"]
    in_sheet = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert rows[1:] == in_sheet


def test_raw_selections_stream_as_json_records(mayo_round, mayo_analyst_client, monkeypatch):
    monkeypatch.setattr(streams, "CHUNK_ROWS", 5)

    chunks = streamed(download(mayo_analyst_client, mayo_round.study, "raw-not-recommended", "json"))

    records = json.loads(b"".join(chunks))
    assert len(chunks) > 2
    assert len(records) == SELECTED
    assert set(records[0]) == {"round", "panelist", "vignette", "option"}
    by_option = {}
    for record in records:
        by_option[(record["vignette"], record["option"])] = by_option.get((record["vignette"], record["option"]), 0) + 1
    assert by_option == {(v, o): n for v, counts in MAYO_NOT_RECOMMENDED.items() for o, n in counts.items()}


def test_a_round_without_answers_streams_a_header_and_an_empty_list(mayo_study, mayo_analyst_client):
    from tests.analysis.panels import close

    close(mayo_study.rounds.get(number=1))

    csv_text = b"".join(streamed(download(mayo_analyst_client, mayo_study, "raw-ratings", "csv"))).decode()
    json_text = b"".join(streamed(download(mayo_analyst_client, mayo_study, "raw-ratings", "json"))).decode()

    assert csv_text == "round,panelist,statement,rating\n"
    assert json.loads(json_text) == [] and json_text == "[]\n"


def test_a_code_a_spreadsheet_would_run_streams_as_text(mayo_round, mayo_analyst_client):
    Item.objects.filter(round=mayo_round, code="cad-main").update(code="=HYPERLINK(\"http://x\")")

    text = b"".join(streamed(download(mayo_analyst_client, mayo_round.study, "raw-ratings", "csv"))).decode()

    assert "'=HYPERLINK" in text
    assert not any(line.split(",")[2].startswith("=") for line in text.splitlines()[1:] if line.count(",") >= 3)


def test_past_the_cap_a_workbook_is_refused_at_the_format_field_and_csv_still_streams(
    mayo_round, mayo_analyst_client, monkeypatch
):
    monkeypatch.setattr(streams, "PRINTED_ROWS_MAX", RATED - 1)
    study = mayo_round.study

    for fmt in ("xlsx", "md", "tex"):
        refused = download(mayo_analyst_client, study, "raw-ratings", fmt)
        assert refused.status_code == 400, fmt
        html = refused.content.decode()
        assert f"Round 1 has {RATED} raw rows, more than the {RATED - 1}" in html
        assert "Choose CSV or JSON, which take any size." in html
        assert 'id="error_1_id_format"' in html
    rows = b"".join(streamed(download(mayo_analyst_client, study, "raw-ratings", "csv"))).decode().splitlines()
    assert len(rows) == RATED + 1
    # At the cap, the workbook is written.
    monkeypatch.setattr(streams, "PRINTED_ROWS_MAX", RATED)
    assert download(mayo_analyst_client, study, "raw-ratings", "xlsx").status_code == 200


def test_past_the_cap_the_command_refuses_in_one_line_and_writes_nothing(mayo_round, tmp_path, monkeypatch):
    monkeypatch.setattr(streams, "PRINTED_ROWS_MAX", RATED - 1)
    path = tmp_path / "raw.xlsx"

    with pytest.raises(CommandError, match=rf"^Round 1 has {RATED} raw rows.*Choose CSV or JSON") as failure:
        call_command("export_consensus", "mayo-trd", "--table", "raw-ratings", "--format", "xlsx",
                     "--output", str(path))

    assert "\n" not in str(failure.value)
    assert list(tmp_path.iterdir()) == []


def test_the_command_streams_to_its_file_and_leaves_no_partial_file(mayo_round, tmp_path, monkeypatch):
    monkeypatch.setattr(streams, "CHUNK_ROWS", 4)
    path = tmp_path / "ratings.csv"

    call_command("export_consensus", "mayo-trd", "--table", "raw-ratings", "--output", str(path))

    assert [p.name for p in tmp_path.iterdir()] == ["ratings.csv"]
    assert len(path.read_text().splitlines()) == RATED + 1
