"""A broken export of each kind: every problem by row and column, nothing written, no identity in the report."""

from __future__ import annotations

import pytest

from analysis.files.bounded import shown
from surveys.models import Answer, Participant, Round, Submission
from tests.analysis.foreign import files
from tests.analysis.foreign.files import IDENTITIES, STATEMENTS
from tests.analysis.foreign.test_import_command import command, msforms_mapping, redcap_mapping, refused, write_yaml

pytestmark = pytest.mark.django_db


def nothing_written() -> bool:
    return not (Answer.objects.exists() or Participant.objects.exists() or Submission.objects.exists()) and list(
        Round.objects.values_list("number", "status")
    ) == [(1, Round.Status.DRAFT)]


def test_a_broken_msforms_file_gets_every_error_by_row_and_column_in_one_pass(mayo_study, tmp_path):
    rows = files.msforms_rows()
    texts = files.statement_texts()
    rows[0].append("How long have you practised?")  # a question the mapping does not name
    for row in rows[1:]:
        row.append("10 years")
    rows[2][6] = "Somewhat agree"  # Bo: a label with no scale point
    rows[3][7] = "12"  # Carla: outside the scale
    rows[4][3] = rows[1][3].upper()  # Dev gives Ana's email (in capitals): the same respondent
    rows[5][9] = "TMS;Hypnosis;"  # Emma: a choice that is no option
    rows[5][8] = "0"  # and a rating below the scale
    export = files.write_xlsx(tmp_path / "broken.xlsx", rows)

    errors = refused("--from", "msforms", str(export), "--mapping", write_yaml(tmp_path / "m.yaml", msforms_mapping()))

    base, cad, sud = (shown(texts[code]) for code in ("base-main", "cad-main", "sud-main"))
    assert errors == [
        "broken.xlsx: row 1, column 'How long have you practised?': unmapped column; map it under columns: "
        "to a statement code, {not_recommended: <vignette code>} or ignore",
        f"broken.xlsx: row 3, column {base}: answer 'Somewhat agree' has no scale point; give it one under labels:",
        f"broken.xlsx: row 4, column {cad}: rating 12 for 'cad-main' is outside the scale 1-9",
        "broken.xlsx: row 5, column 'Email': the same respondent as row 2 in round 1",
        f"broken.xlsx: row 6, column {shown(files.nr_question('base'))}: choice 'Hypnosis' is no option of the study; "
        "map it under options:",
        f"broken.xlsx: row 6, column {sud}: rating 0 for 'sud-main' is outside the scale 1-9",
    ]
    assert nothing_written()
    assert not any(identity.casefold() in "\n".join(errors).casefold() for identity in IDENTITIES)


def test_an_incomplete_msforms_row_is_left_out_unless_asked(mayo_study, tmp_path):
    rows = files.msforms_rows()
    rows[2][2] = ""  # Bo did not finish
    export = files.write_xlsx(tmp_path / "r1.xlsx", rows)

    out = command("--from", "msforms", str(export), "--mapping", write_yaml(tmp_path / "m.yaml", msforms_mapping()))

    assert "r1.xlsx: row 3: left out as incomplete: it has no completion time" in out
    assert Submission.objects.count() == 4


def test_an_incomplete_row_is_imported_when_asked(mayo_study, tmp_path):
    rows = files.msforms_rows()
    rows[2][2] = ""
    export = files.write_xlsx(tmp_path / "r1.xlsx", rows)
    mapping = write_yaml(tmp_path / "m.yaml", msforms_mapping(include_incomplete=True))

    command("--from", "msforms", str(export), "--mapping", mapping)

    assert Submission.objects.count() == 5


def test_a_broken_redcap_file_gets_every_error_by_row_and_column_in_one_pass(mayo_study, tmp_path):
    rows = files.redcap_raw()
    header = rows[0]
    rows[2][header.index("delphi_complete")] = "0"  # record 2, round 1: incomplete, left out
    rows[3][header.index("cad_main")] = "11"  # not a choice, and outside the scale
    rows[4][header.index("record_id")] = "1"  # record 1 twice in round 1
    rows[7][header.index("redcap_event_name")] = "round_3_arm_1"
    rows[8][header.index("sud_main")] = "perhaps"
    header.append("consent")
    for row in rows[1:]:
        row.append("1")
    export = files.write_csv(tmp_path / "export.csv", rows, "utf-8")
    dictionary = files.write_csv(tmp_path / "dict.csv", files.redcap_dictionary(), "utf-8")

    errors = refused("--from", "redcap", str(export), "--dictionary", str(dictionary), "--mapping",
                     write_yaml(tmp_path / "m.yaml", redcap_mapping()))

    assert errors == [
        "export.csv: row 1, column 'consent': unmapped column; map it under columns: "
        "to a statement code, {not_recommended: <vignette code>} or ignore",
        "export.csv: row 4, column 'cad_main': rating 11 for 'cad-main' is outside the scale 1-9",
        "export.csv: row 5, column 'record_id': the same respondent as row 2 in round 1",
        "export.csv: row 8, column 'redcap_event_name': event 'round_3_arm_1' is mapped to no round; add it under events:",
        "export.csv: row 9, column 'sud_main': answer 'perhaps' has no scale point; give it one under labels:",
    ]
    assert nothing_written()


def test_a_redcap_row_marked_incomplete_is_reported_and_left_out(mayo_study, tmp_path):
    rows = files.redcap_raw(longitudinal=False)
    rows[2][rows[0].index("delphi_complete")] = "1"
    export = files.write_csv(tmp_path / "export.csv", rows, "utf-8")
    dictionary = files.write_csv(tmp_path / "dict.csv", files.redcap_dictionary(), "utf-8")
    mapping = redcap_mapping(events={}, round=1)

    out = command("--from", "redcap", str(export), "--dictionary", str(dictionary), "--mapping", write_yaml(tmp_path / "m.yaml", mapping))

    assert "export.csv: row 3: left out as incomplete: delphi_complete is '1', not complete (2)" in out
    assert Submission.objects.count() == 4


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tool: surveymonkey\n", ["map.yaml: tool: 'surveymonkey' is not one of msforms, redcap"]),
        ("[1, 2]\n", ["map.yaml: a mapping is a YAML mapping with the keys tool, round, events, respondent, "
                      "include_incomplete, columns, labels, options"]),
        ("tool: msforms\nround: 1\ncolumns: {a: [1\n", None),
        (
            "tool: msforms\nround: 0\nrespondent: phone\ncolour: red\ncolumns: {Q1: nope, Q2: {not_recommended: x}}\n"
            "labels: {Agree: ~, Maybe: high}\noptions: {Magnets: tmz}\n",
            [
                "map.yaml: 'colour': unknown key (expected tool, round, events, respondent, include_incomplete, "
                "columns, labels, options)",
                "map.yaml: round: 0 is not a round number (1, 2, ...)",
                "map.yaml: respondent: 'phone' is not one of email, name, none",
                "map.yaml: columns: 'Q1': unknown statement code 'nope' (a rated statement of the study, or ignore)",
                "map.yaml: columns: 'Q2': vignette 'x' has no not-recommended question in the study",
                "map.yaml: labels: 'Agree': no value given: give its scale point",
                "map.yaml: labels: 'Maybe': 'high' is not a whole number",
                "map.yaml: options: 'Magnets': 'tmz' is not an option code of the study",
            ],
        ),
        ("tool: msforms\nevents: {e1: 1}\n", ["map.yaml: events: events are REDCap's; a Microsoft Forms export holds one round: give round"]),
        ("tool: redcap\nround: 1\nevents: {e1: 1}\n", ["map.yaml: round: give round or events, not both"]),
        ("tool: redcap\n", ["map.yaml: round: give the round the file holds, or events: for a longitudinal project"]),
    ],
    ids=["tool", "not a mapping", "invalid YAML", "every key", "events for forms", "round and events", "no round"],
)
def test_a_bad_mapping_is_refused_at_its_key(mayo_study, tmp_path, text, expected):
    export = files.write_xlsx(tmp_path / "r1.xlsx", files.msforms_rows())
    (tmp_path / "map.yaml").write_text(text, encoding="utf-8")

    errors = refused("--from", "msforms", str(export), "--mapping", str(tmp_path / "map.yaml"))

    if expected is None:
        assert errors == [f"{tmp_path / 'map.yaml'}: line 4: invalid YAML: did not find expected ',' or ']'"]
    else:
        assert errors == [error.replace("map.yaml", str(tmp_path / "map.yaml"), 1) for error in expected]
    assert nothing_written()


def test_a_file_of_another_shape_is_refused_with_one_line(mayo_study, tmp_path):
    export = files.write_csv(tmp_path / "x.csv", [["a", "b"], ["1", "2"]])

    with pytest.raises(Exception, match=r"x.csv: does not have the shape of a Microsoft Forms export"):
        command("--from", "msforms", str(export), "--propose-mapping")
    assert STATEMENTS and nothing_written()


def test_an_identifying_redcap_field_cannot_be_mapped_to_a_statement(mayo_study, tmp_path):
    export = files.write_csv(tmp_path / "export.csv", files.redcap_raw(), "utf-8")
    dictionary = files.write_csv(tmp_path / "dict.csv", files.redcap_dictionary(), "utf-8")
    mapping = write_yaml(tmp_path / "m.yaml", redcap_mapping(columns=redcap_mapping()["columns"] | {"email": "base-main"}))

    errors = refused("--from", "redcap", str(export), "--dictionary", str(dictionary), "--mapping", mapping)

    assert errors == [
        "export.csv: row 1, column 'email': the data dictionary marks this field as identifying: "
        "map it to ignore (its content is never imported)"
    ]
    assert nothing_written()
