"""The import page: recognise and preview, propose a mapping, check, import; errors at their rows, nothing kept."""

from __future__ import annotations

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from analysis.files.bounded import shown

from surveys.models import Answer, Participant, Submission
from tests.analysis.foreign import files
from tests.analysis.foreign.files import IDENTITIES, PANEL
from tests.analysis.foreign.test_import_command import msforms_mapping, redcap_mapping

pytestmark = pytest.mark.django_db


def url(study) -> str:
    return reverse("analysis:import", args=[study.slug])


def xlsx(tmp_path, rows=None, name="round 1.xlsx") -> SimpleUploadedFile:
    path = files.write_xlsx(tmp_path / name, rows or files.msforms_rows())
    return SimpleUploadedFile(name, path.read_bytes())


def csv_upload(tmp_path, rows, name) -> SimpleUploadedFile:
    path = files.write_csv(tmp_path / name, rows, "utf-8")
    return SimpleUploadedFile(name, path.read_bytes())


def post(client, study, **data):
    return client.post(url(study), data)


def nothing_written() -> bool:
    return not (Answer.objects.exists() or Participant.objects.exists() or Submission.objects.exists())


def test_facilitators_and_analysts_reach_the_page(mayo_study, client, mayo_facilitator, mayo_analyst):
    for user in (mayo_facilitator, mayo_analyst):
        client.force_login(user)
        assert client.get(url(mayo_study)).status_code == 200


def test_panelists_and_outsiders_get_404_and_other_methods_405(mayo_study, client, mayo_panelist, outsider, mayo_analyst):
    for user in (mayo_panelist, outsider):
        client.force_login(user)
        assert client.get(url(mayo_study)).status_code == 404
        assert client.post(url(mayo_study), {}).status_code == 404
    client.force_login(mayo_analyst)
    assert client.put(url(mayo_study)).status_code == 405


def test_the_results_page_links_to_it(mayo_study, mayo_analyst_client):
    assert url(mayo_study) in mayo_analyst_client.get(reverse("analysis:results", args=[mayo_study.slug])).content.decode()


def test_a_file_alone_is_recognised_previewed_without_identities_and_given_a_mapping(mayo_study, mayo_analyst_client, tmp_path):
    response = post(mayo_analyst_client, mayo_study, export=xlsx(tmp_path))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Recognised as a Microsoft Forms export: 5 rows, 5 questions." in html
    assert "(hidden)" in html
    assert not [identity for identity in IDENTITIES if identity in html]
    proposed = yaml.safe_load(response.context["form"].initial["mapping"])
    assert proposed["respondent"] == "email" and proposed["labels"] == {"Strongly agree": None}
    assert nothing_written()


def test_a_mapping_is_checked_without_writing_then_imported(mayo_study, mayo_facilitator_client, tmp_path):
    mapping = yaml.safe_dump(msforms_mapping(), allow_unicode=True)

    checked = post(mayo_facilitator_client, mayo_study, export=xlsx(tmp_path), mapping=mapping, action="check")

    assert checked.status_code == 200
    assert "The file passed every check: 5 submissions, 15 ratings and 10 not-recommended choices" in checked.content.decode()
    assert nothing_written()

    imported = post(mayo_facilitator_client, mayo_study, export=xlsx(tmp_path), mapping=mapping, action="import")

    assert imported.status_code == 302 and imported.url == reverse("analysis:results", args=[mayo_study.slug])
    assert Submission.objects.count() == len(PANEL)
    assert Answer.objects.filter(item__code="base-main").count() == 5


def test_a_redcap_export_with_its_dictionary_imports_its_events(mayo_study, mayo_analyst_client, tmp_path):
    response = post(
        mayo_analyst_client, mayo_study,
        export=csv_upload(tmp_path, files.redcap_labels(), "labels.csv"),
        dictionary=csv_upload(tmp_path, files.redcap_dictionary(), "dictionary.csv"),
        mapping=yaml.safe_dump(redcap_mapping(events={"Round 1 (Arm 1: Arm 1)": 1, "Round 2 (Arm 1: Arm 1)": 2})),
        action="import",
    )

    assert response.status_code == 302
    assert Submission.objects.filter(round__number=2).count() == 4


def test_a_broken_file_shows_its_problems_at_their_rows_and_writes_nothing(mayo_study, mayo_analyst_client, tmp_path):
    rows = files.msforms_rows()
    rows[2][6] = "Somewhat agree"
    rows[4][3] = rows[1][3]
    mapping = yaml.safe_dump(msforms_mapping(), allow_unicode=True)

    response = post(mayo_analyst_client, mayo_study, export=xlsx(tmp_path, rows), mapping=mapping, action="import")

    assert response.status_code == 400
    problems = response.context["problems"]
    assert [(p["row"], p["column"]) for p in problems] == [("3", shown(files.statement_texts()["base-main"])[1:]), ("5", "Email")]
    assert "the same respondent as row 2 in round 1" in problems[1]["problem"]
    assert "The file has 2 problems, listed below: nothing was imported." in response.context["form"].errors["export"]
    assert rows[1][3] not in response.content.decode()
    assert nothing_written()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "export", "This field is required."),
        ({"export": "text"}, "export", "This field is required."),
        ({"csv": [["a", "b"], ["1", "2"]]}, "export", "x.csv: is not a Microsoft Forms export"),
        ({"csv": files.redcap_raw(), "tool": "redcap"}, "export", "x.csv: a REDCap export is read with its data dictionary"),
        ({"tool": "surveymonkey"}, "tool", "Select a valid choice."),
        ({"mapping": "tool: msforms\nround: nine\n"}, "mapping", "mapping: round: 'nine' is not a round number (1, 2, ...)"),
        ({"mapping": "a: [\n"}, "mapping", "mapping: line 2: invalid YAML"),
    ],
    ids=["no file", "text for a file", "unknown shape", "no dictionary", "bad tool", "bad mapping", "invalid YAML"],
)
def test_bad_input_gets_400_with_a_message_at_its_field(mayo_study, mayo_analyst_client, tmp_path, data, field, message):
    data = dict(data)
    if "csv" in data:
        data["export"] = csv_upload(tmp_path, data.pop("csv"), "x.csv")
    elif data.get("export") is None and field != "export":
        data["export"] = xlsx(tmp_path)
    response = post(mayo_analyst_client, mayo_study, **data)

    assert response.status_code == 400
    assert any(error.startswith(message) for error in response.context["form"].errors[field])
    assert nothing_written()


def test_the_mapping_downloads_as_yaml(mayo_study, mayo_analyst_client, tmp_path):
    mapping = yaml.safe_dump(msforms_mapping(round=2), allow_unicode=True)

    response = post(mayo_analyst_client, mayo_study, export=xlsx(tmp_path), mapping=mapping, action="download")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="mayo-trd-mapping.yaml"'
    assert yaml.safe_load(response.content)["round"] == 2
    assert yaml.safe_load(response.content)["columns"] == msforms_mapping()["columns"]


def test_the_empty_page_costs_three_queries(mayo_study, mayo_analyst_client, django_assert_num_queries):
    # Expect 3 queries: session, user, membership with study (the 404 check).
    with django_assert_num_queries(3):
        assert mayo_analyst_client.get(url(mayo_study)).status_code == 200


@pytest.mark.parametrize("shape", ["forms english xlsx", "forms japanese csv", "redcap raw", "redcap labels"])
def test_each_shape_imports_through_the_page(mayo_study, mayo_analyst_client, tmp_path, shape):
    data = {"action": "import"}
    if shape.startswith("forms"):
        english = "english" in shape
        rows = files.msforms_rows(fixed=files.ENGLISH if english else files.JAPANESE, quiz=english)
        data["export"] = xlsx(tmp_path, rows) if english else csv_upload(tmp_path, rows, "round1.csv")
        data["mapping"] = yaml.safe_dump(msforms_mapping(), allow_unicode=True)
    else:
        raw = shape == "redcap raw"
        data["export"] = csv_upload(tmp_path, files.redcap_raw() if raw else files.redcap_labels(), "export.csv")
        data["dictionary"] = csv_upload(tmp_path, files.redcap_dictionary(annotation=raw), "dictionary.csv")
        events = None if raw else {"Round 1 (Arm 1: Arm 1)": 1, "Round 2 (Arm 1: Arm 1)": 2}
        data["mapping"] = yaml.safe_dump(redcap_mapping(**({"events": events} if events else {})))

    response = post(mayo_analyst_client, mayo_study, **data)

    assert response.status_code == 302, response.context and response.context.get("problems")
    assert Submission.objects.filter(round__number=1).count() == 5
    assert sorted(Answer.objects.filter(item__round__number=1, item__code="cad-main").values_list("rating", flat=True)) == [
        5, 6, 7, 8, 9
    ]
