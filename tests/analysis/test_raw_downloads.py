"""The raw answers download at any size: CSV and JSON stream, the formats for people stop at a stated cap."""

import csv
import io
import json

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from analysis import streams
from analysis.catalog import build_table
from analysis.exports import export_table
from surveys.models import Answer, Item
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


def test_raw_ratings_stream_a_block_of_panelists_at_a_time_with_the_rows_of_the_workbook(
    mayo_round, mayo_analyst_client, monkeypatch
):
    monkeypatch.setattr(streams, "PANELISTS_PER_BLOCK", 3)
    study = mayo_round.study

    chunks = streamed(download(mayo_analyst_client, study, "raw-ratings", "csv"))
    workbook = download(mayo_analyst_client, study, "raw-ratings", "xlsx")

    # Ten panelists in blocks of three.
    assert len(chunks) == 4
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode())))
    assert rows[0] == ["round", "panelist", "statement", "rating"]
    assert len(rows) == RATED + 1
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content))["raw-ratings"]
    in_sheet = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert rows[1:] == in_sheet


def test_raw_selections_stream_as_json_records(mayo_round, mayo_analyst_client, monkeypatch):
    monkeypatch.setattr(streams, "PANELISTS_PER_BLOCK", 4)

    chunks = streamed(download(mayo_analyst_client, mayo_round.study, "raw-not-recommended", "json"))

    records = json.loads(b"".join(chunks))
    # Three blocks of panelists, then the closing bracket.
    assert len(chunks) == 4
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
    monkeypatch.setattr(streams, "PANELISTS_PER_BLOCK", 4)
    path = tmp_path / "ratings.csv"

    call_command("export_consensus", "mayo-trd", "--table", "raw-ratings", "--output", str(path))

    assert [p.name for p in tmp_path.iterdir()] == ["ratings.csv"]
    assert len(path.read_text().splitlines()) == RATED + 1


@pytest.mark.parametrize("table", streams.RAW_TABLES)
@pytest.mark.parametrize("fmt", streams.STREAMED_FORMATS)
def test_a_streamed_file_is_byte_for_byte_the_file_built_whole(mayo_round, table, fmt, monkeypatch):
    """Blank ratings, codes a spreadsheet would run, commas, quotes, line breaks: as the whole-table writer has them."""
    monkeypatch.setattr(streams, "PANELISTS_PER_BLOCK", 3)
    awkward = ["=1+1", "a,b", 'say "no"', "two\nlines", "-0.5", "sep\u2028arated", "é"]
    for item, code in zip(Item.objects.filter(round=mayo_round, type=Item.Type.LIKERT).order_by("position"), awkward):
        item.code = code
        item.save(update_fields=["code"])
    blanked = Answer.objects.filter(
        item__round=mayo_round, participant__label="P02", item__type=Item.Type.LIKERT
    ).update(rating=None)
    assert blanked > 0

    streamed_bytes = b"".join(streams.raw_file(table, round=mayo_round, fmt=fmt))

    whole = export_table(build_table(table, round=mayo_round), name=table, fmt=fmt)
    assert streamed_bytes == whole
    if table == "raw-ratings":
        text = streamed_bytes.decode()
        if fmt == "csv":
            rows = list(csv.reader(io.StringIO(text)))[1:]
            assert [row[3] for row in rows if row[1] == "P02"] == [""] * blanked
            assert {row[2] for row in rows} >= {"'=1+1", "a,b", 'say "no"', "two\nlines", "-0.5"}
        else:
            assert [r["rating"] for r in json.loads(text) if r["panelist"] == "P02"] == [None] * blanked


@pytest.mark.parametrize("table", ["raw-ratings", "raw-not-recommended"])
def test_a_streamed_download_asks_a_pinned_number_of_queries(mayo_round, mayo_analyst_client, monkeypatch, table):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(per_block: int) -> int:
        monkeypatch.setattr(streams, "PANELISTS_PER_BLOCK", per_block)
        with CaptureQueriesContext(connection) as captured:
            b"".join(streamed(download(mayo_analyst_client, mayo_round.study, table, "csv")))
        return len(captured.captured_queries)

    one_block, four_blocks = queries(10), queries(3)

    # The ratings are read whole, in the same queries whatever the blocks;
    # the selections by one query per block.
    assert four_blocks - one_block == (0 if table == "raw-ratings" else 3)
    assert one_block <= 12


def test_a_stream_that_fails_halfway_leaves_the_old_file_whole_and_nothing_beside_it(mayo_round, tmp_path, monkeypatch):
    path = tmp_path / "ratings.csv"
    path.write_text("the analyst's earlier file\n")
    path.chmod(0o600)
    real_blocks = streams._rating_blocks

    def failing(round):
        blocks = real_blocks(round)
        yield next(blocks)
        raise RuntimeError("the database went away")

    monkeypatch.setattr(streams, "_rating_blocks", failing)

    with pytest.raises(RuntimeError, match="went away"):
        call_command("export_consensus", "mayo-trd", "--table", "raw-ratings", "--output", str(path))

    assert path.read_text() == "the analyst's earlier file\n"
    assert [p.name for p in tmp_path.iterdir()] == ["ratings.csv"]


def test_a_new_file_keeps_the_mode_of_the_one_it_replaces_and_a_pipe_is_written_in_place(mayo_round, tmp_path):
    import os
    import stat
    import threading

    path = tmp_path / "ratings.csv"
    path.write_text("old\n")
    path.chmod(0o600)

    call_command("export_consensus", "mayo-trd", "--table", "raw-ratings", "--output", str(path))

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().startswith("round,panelist,statement,rating\n")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    call_command("export_consensus", "mayo-trd", "--table", "raw-ratings", "--output", str(fifo))
    reader.join(timeout=10)
    assert received and received[0].decode() == path.read_text()
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_raw_ratings_hold_each_submitted_answer_once_with_blanks_and_no_one_who_did_not_submit(
    mayo_study, mayo_analyst_client, monkeypatch
):
    from tests.analysis.panels import close, rate

    monkeypatch.setattr(streams, "PANELISTS_PER_BLOCK", 2)
    round_ = mayo_study.rounds.get(number=1)
    # P01-P03 submit; P02 leaves cad-main blank and P03 does not answer sud-main.
    p01, p02, p03 = rate(round_, {"base-main": [9, 6, 7], "sud-main": [5, 8]})
    cad = Item.objects.get(round=round_, code="cad-main")
    Answer.objects.create(participant=p02, item=cad, rating=None, scale_min=1, scale_max=9)
    # P04 answered and never submitted: their answer is no one's rating.
    rate(round_, {"cad-main": [None, None, None, 4]}, submitted=False)
    # Pseudonyms in the reverse order of the participants' ids, positions in the reverse of the items'.
    for participant, label in zip((p01, p02, p03), ("P03", "P02", "P01")):
        participant.label = label + "x"
        participant.save(update_fields=["label"])
    items = list(Item.objects.filter(round=round_).order_by("pk"))
    for position, item in enumerate(reversed(items)):
        item.position = position
        item.save(update_fields=["position"])
    close(round_)

    chunks = streamed(download(mayo_analyst_client, mayo_study, "raw-ratings", "csv"))
    workbook = download(mayo_analyst_client, mayo_study, "raw-ratings", "xlsx")

    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode())))[1:]
    assert sorted(rows) == sorted([
        ["1", "P03x", "base-main", "9"], ["1", "P03x", "sud-main", "5"],
        ["1", "P02x", "base-main", "6"], ["1", "P02x", "sud-main", "8"], ["1", "P02x", "cad-main", ""],
        ["1", "P01x", "base-main", "7"],
    ])
    assert [row[1] for row in rows] == ["P01x", "P02x", "P02x", "P02x", "P03x", "P03x"]
    # In the workbook's order: by pseudonym, then by the statements' order on the ballot.
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content))["raw-ratings"]
    assert rows == [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(min_row=2, values_only=True)]
    # Two blocks of panelists: P01x-P02x, then P03x.
    assert len(chunks) == 2
