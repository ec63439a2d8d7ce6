"""Bad values are refused where they are typed, never a 500 (issue 17, L1 and part of L2).

A number, date or text that Python or the database cannot hold is refused
with a message naming the line or key of the study file, or next to the
form field, and nothing is saved. Study files are tried on both ways in:
the `import_study` command and the new-study page.
"""

import json
from io import StringIO

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils.html import escape

from surveys.models import AuditEvent, Round, Study
from tests.conftest import MAYO_FILE
from tests.factories import OptionFactory, allow_study_creation, round_with_every_item_type
from tests.security.strategies import snapshot
from vignettes.models import Option, Vignette

pytestmark = pytest.mark.django_db


@pytest.fixture
def facilitator(facilitator):
    """The study's facilitator, whom the deployment also lets create studies (the new-study pages are tried here)."""
    return allow_study_creation(facilitator)

MAYO = MAYO_FILE.read_text(encoding="utf-8")


def _mayo(old: str, new: str) -> str:
    """The Mayo study file with the first `old` replaced by `new`."""
    assert old in MAYO
    return MAYO.replace(old, new, 1)


def _mayo_json(change) -> str:
    """The Mayo study as JSON, after `change(data)`; non-ASCII written as \\u escapes, as any JSON writer may."""
    data = yaml.safe_load(MAYO)
    change(data)
    return json.dumps(data)


def _set(data: dict, key: str, value) -> None:
    """Sets the value at a key path such as options[0].name."""
    *path, field = key.replace("[0]", ".0").split(".")
    for step in path:
        data = data[int(step) if step.isdigit() else step]
    data[field] = value


@pytest.fixture(params=["command", "page"])
def refusal(request, tmp_path, client, facilitator):
    """A function (file name, text) -> the problems reported, each without its "<file>: " prefix.

    Through the command, or uploaded on the new-study page by a signed-in
    facilitator; either way nothing may be saved.
    """

    def through_command(name: str, text: str) -> list[str]:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        with pytest.raises(CommandError) as refused:
            call_command("import_study", str(path), stdout=StringIO())
        lines = str(refused.value).split("\n")
        assert all(line.startswith(f"{path}: ") for line in lines), lines
        return [line.removeprefix(f"{path}: ") for line in lines]

    def through_page(name: str, text: str) -> list[str]:
        upload = SimpleUploadedFile(name, text.encode("utf-8"))
        response = client.post(reverse("surveys:study_new"), {"file": upload})
        assert response.status_code == 400
        lines = response.context["form"].errors["file"]
        assert all(line.startswith(f"{name}: ") for line in lines), lines
        for line in lines:
            assert escape(line) in response.content.decode()
        return [line.removeprefix(f"{name}: ") for line in lines]

    client.force_login(facilitator)

    def refused(name: str, text: str) -> list[str]:
        before = snapshot()
        lines = (through_command if request.param == "command" else through_page)(name, text)
        assert snapshot() == before
        return lines

    return refused


# -- numbers and dates that Python cannot read ----------------------------------------


class TestUnreadableValuesInAStudyFile:
    def test_a_date_that_is_no_date_is_refused_at_its_line(self, refusal):
        # Was "a number is too long to read": the timestamp's ValueError was taken for a long number.
        text = _mayo("title: Coronary artery disease", "title: 2026-13-45")

        assert refusal("mayo.yaml", text) == [
            "line 52: invalid YAML: '2026-13-45' is not a date or time: month must be in 1..12"
        ]

    def test_a_time_past_midnight_is_refused_at_its_line(self, refusal):
        text = _mayo("title: Coronary artery disease", "title: 2026-01-01T25:59:00")

        assert refusal("mayo.yaml", text) == [
            "line 52: invalid YAML: '2026-01-01T25:59:00' is not a date or time: hour must be in 0..23"
        ]

    def test_a_whole_number_of_5000_digits_is_refused_at_its_line(self, refusal):
        text = _mayo("not_recommended_threshold: 50", "not_recommended_threshold: " + "9" * 5000)

        assert refusal("mayo.yaml", text) == [
            "line 18: invalid YAML: a number of more than 4,300 digits cannot be read"
        ]

    def test_a_hexadecimal_number_past_the_digit_limit_is_refused_at_its_line(self, refusal):
        # int(x, 16) has no digit limit, but the number could not be printed in a message: a 500.
        text = _mayo("not_recommended_threshold: 50", "not_recommended_threshold: 0x" + "f" * 4000)

        assert refusal("mayo.yaml", text) == [
            "line 18: invalid YAML: a number of more than 4,300 digits cannot be read"
        ]

    def test_a_whole_number_of_5000_digits_in_json_is_refused_at_its_line(self, refusal):
        digits = "9" * 5000
        text = _mayo_json(lambda data: None).replace(
            '"not_recommended_threshold": 50', f'"title2": "{digits}",\n"not_recommended_threshold": {digits}'
        )

        # The same digits in a text on the line before are not the number.
        assert refusal("mayo.json", text) == [
            "line 2: invalid JSON: a number of more than 4,300 digits cannot be read"
        ]


# -- the rule's parameters -------------------------------------------------------------

FOUR_HUNDRED_NINES = "9" * 400  # a whole number Python reads, past what a float holds


def _settings(**changes) -> dict:
    """What the settings and new-study pages post, valid unless changed."""
    data = {
        "title": "A study",
        "description": "",
        "scale_min": "1",
        "scale_neutral": "5",
        "scale_max": "9",
        "consensus_rule": "mayo",
        "consensus_params": "{}",
        "not_recommended_threshold": "50",
        "minimum_n": "3",
    }
    return {**data, **changes}


def _settings_pages(study) -> list[tuple[str, dict]]:
    return [
        (reverse("surveys:study_settings", kwargs={"slug": study.slug}), {}),
        (reverse("surveys:study_create"), {"slug": "a-new-study"}),
    ]


def _refused_on_the_page(client, url: str, data: dict, field: str, form: str = "form") -> list[str]:
    """The errors at `field` of the page's `form`, which must be refused with a 400 and save nothing."""
    before = snapshot()

    response = client.post(url, data)

    assert response.status_code == 400
    assert snapshot() == before
    errors = response.context[form].errors[field]
    for error in errors:
        assert escape(error) in response.content.decode()
    return errors


class TestRuleParameters:
    @pytest.mark.parametrize("page", [0, 1], ids=["settings", "new study"])
    def test_a_whole_number_past_a_float_is_out_of_range_on_the_pages(self, client, study, facilitator, page):
        # math.isfinite() raised OverflowError on it: a 500.
        client.force_login(facilitator)
        url, extra = _settings_pages(study)[page]
        data = _settings(consensus_params=f'{{"mean_above": {FOUR_HUNDRED_NINES}}}', **extra)

        assert _refused_on_the_page(client, url, data, "consensus_params") == [
            "parameter mean_above of rule mayo must be between 1 and 9, got 1e+400"
        ]

    @pytest.mark.parametrize("name", ["mayo.yaml", "mayo.json"])
    def test_a_whole_number_past_a_float_is_out_of_range_in_a_study_file(self, refusal, name):
        if name.endswith(".json"):
            text = _mayo_json(lambda data: data["consensus"].update(mean_above=int(FOUR_HUNDRED_NINES)))
        else:
            text = _mayo("mean_above: 7", f"mean_above: {FOUR_HUNDRED_NINES}")

        assert refusal(name, text) == [
            "consensus: parameter mean_above of rule mayo must be between 1 and 9, got 1e+400"
        ]


# -- every value checked against its column ---------------------------------------------


class TestValuesAgainstTheirColumns:
    @pytest.mark.parametrize(
        "value, problem",
        [
            # The column keeps two decimals: 0.001 became 0, which its check constraint refuses (a 500).
            ("0.001", "0.001 has more than 2 decimal places"),
            ("'1e-999999999'", "'1e-999999999' has more than 2 decimal places"),
            ("1e999999999", "'1e999999999' is not a percentage above 0 and at most 100"),
            (".nan", "must be a number, not nan"),
            ("-.inf", "-inf is not a percentage above 0 and at most 100"),
        ],
    )
    def test_a_threshold_the_column_cannot_keep_is_refused_naming_the_key(self, refusal, value, problem):
        text = _mayo("not_recommended_threshold: 50", f"not_recommended_threshold: {value}")

        assert refusal("mayo.yaml", text) == [f"not_recommended_threshold: {problem}"]

    @pytest.mark.parametrize(
        "value, problem",
        [
            (1e-999999999, "0.0 is not a percentage above 0 and at most 100"),
            (float("inf"), "inf is not a percentage above 0 and at most 100"),
            (float("nan"), "must be a number, not nan"),
            (12.345, "12.345 has more than 2 decimal places"),
        ],
    )
    def test_a_threshold_in_json_is_checked_as_in_yaml(self, refusal, value, problem):
        text = _mayo_json(lambda data: data.update(not_recommended_threshold=value))

        assert refusal("mayo.json", text) == [f"not_recommended_threshold: {problem}"]

    @pytest.mark.parametrize(
        "scale, problem",
        [
            # PostgreSQL's integer columns end at 2**31 - 1: checked before, whatever the database.
            ({"min": 1, "max": 2**31, "neutral": 5}, "scale.max: 2147483648 is outside 0..100"),
            ({"min": -(2**63), "max": 9, "neutral": 5}, "scale.min: -9223372036854775808 is outside 0..100"),
            # Quoted cut short.
            ({"min": 1, "max": 9, "neutral": 10**400}, f"scale.neutral: 1{'0' * 58}… is outside 0..100"),
            ({"min": float("nan"), "max": 9, "neutral": 5}, "scale.min: must be a whole number, not nan"),
            ({"min": 1, "max": float("inf"), "neutral": 5}, "scale.max: must be a whole number, not inf"),
        ],
    )
    def test_a_scale_point_outside_the_scale_range_is_refused_naming_its_key(self, refusal, scale, problem):
        text = _mayo_json(lambda data: data.update(scale=scale))

        assert refusal("mayo.json", text) == [problem]

    @pytest.mark.parametrize(
        "key", ["title", "options[0].name", "options[0].short", "vignettes[0].title", "vignettes[0].text",
                "statements[0].text"],
    )
    def test_a_lone_surrogate_in_json_is_refused_naming_its_key(self, refusal, key):
        # JSON may write "\\ud800", half of a pair, which no database can store: a UnicodeEncodeError, a 500.
        text = _mayo_json(lambda data: _set(data, key, "Base \ud800 vignette"))

        assert refusal("mayo.json", text) == [
            f"{key}: contains \\ud800, half of a UTF-16 surrogate pair, which is not a character"
        ]

    @pytest.mark.parametrize(
        "key, model, field",
        [
            ("slug", Study, "slug"),
            ("title", Study, "title"),
            ("options[0].code", Option, "code"),
            ("options[0].name", Option, "name"),
            ("options[0].short", Option, "short"),
            ("vignettes[0].code", Vignette, "code"),
            ("vignettes[0].title", Vignette, "title"),
        ],
    )
    def test_a_text_longer_than_its_column_is_refused_naming_its_key(self, refusal, key, model, field):
        # PostgreSQL refuses an over-long value in the middle of the import; SQLite keeps it.
        limit = model._meta.get_field(field).max_length

        problems = refusal("mayo.json", _mayo_json(lambda data: _set(data, key, "a" * (limit + 1))))

        assert f"{key}: is {limit + 1} characters long; at most {limit} are allowed" in problems


class TestJsonFields:
    @pytest.mark.parametrize("page", [0, 1], ids=["settings", "new study"])
    @pytest.mark.parametrize("params", ['{"mean_above": "\\ud800"}', '{"\\udfff": 1}', '"a\\ud800"'])
    def test_a_lone_surrogate_is_refused_next_to_the_field(self, client, study, facilitator, page, params):
        # The page showing the error wrote the value back with the surrogate, which it could not encode: a 500.
        client.force_login(facilitator)
        url, extra = _settings_pages(study)[page]
        escape = "\\u" + params.split("\\u")[1][:4]

        errors = _refused_on_the_page(client, url, _settings(consensus_params=params, **extra), "consensus_params")

        assert errors == [f"The JSON holds {escape}, half of a UTF-16 surrogate pair, which is not a character."]


# -- invitations ---------------------------------------------------------------------------


class TestInvitations:
    @pytest.mark.parametrize("length", [151, 254, 320])
    def test_an_address_longer_than_a_user_name_is_refused_next_to_the_field(self, client, study, facilitator, length):
        # The invitee's account is named by the address: PostgreSQL refused 151 characters
        # in the middle of the invitation (a 500); SQLite kept a user name longer than its column.
        client.force_login(facilitator)
        address = "a" * (length - len("@example.org")) + "@example.org"
        url = reverse("surveys:study_invitations", kwargs={"slug": study.slug})

        errors = _refused_on_the_page(client, url, {"emails": f"ok@example.org\n{address}", "role": "panelist"},
                                      "emails")

        assert errors == [f"An address can be at most 150 characters long: {'a' * 59}…"]

    def test_an_address_of_150_characters_is_invited(self, client, study, facilitator):
        client.force_login(facilitator)
        address = "a" * (150 - len("@example.org")) + "@example.org"

        response = client.post(reverse("surveys:study_invitations", kwargs={"slug": study.slug}),
                               {"emails": address, "role": "panelist"})

        assert response.status_code == 302
        assert study.invitations.get().email == address


# -- the study's history ---------------------------------------------------------------------


class TestHistoryLines:
    def test_merging_options_with_long_codes_is_recorded_on_one_line_that_fits(self, client, study, facilitator):
        # Seven 50-character codes made a line of 546 characters: PostgreSQL refused it (a 500).
        round_with_every_item_type(study, number=1, status=Round.Status.DRAFT)
        options = [OptionFactory(study=study, code=f"o{i}-" + "x" * 47) for i in range(7)]
        client.force_login(facilitator)
        url = reverse("surveys:round_options_merge", kwargs={"slug": study.slug, "number": 1})

        response = client.post(url, {"merge": [o.pk for o in options], "code": "m" * 50, "name": "Merged",
                                     "short": "Merged", "group": "add"})

        assert response.status_code == 302
        event = AuditEvent.objects.get(action="merge")
        assert len(event.summary) <= AuditEvent._meta.get_field("summary").max_length
        assert event.summary.startswith(f"Merged options o0-{'x' * 47}, o1-")
        assert f"… into {'m' * 50} in round 1: " in event.summary
        assert event.detail["from"] == [o.code for o in options]
        assert event.summary in client.get(reverse("surveys:history", kwargs={"slug": study.slug})).content.decode()

    def test_merging_items_with_a_long_code_and_text_into_the_next_round_fits_its_line(self, client, study,
                                                                                          facilitator):
        closed = round_with_every_item_type(study, number=1, status=Round.Status.CLOSED)
        likert = closed.items.get(code="likert")
        likert.pk, likert.code, likert.position = None, "likert-2", 99
        likert.save()
        items = {item.code: item.pk for item in closed.items.all()}
        client.force_login(facilitator)
        url = reverse("surveys:round_next", kwargs={"slug": study.slug, "number": 1})

        response = client.post(url, {"mode": "all", "kind": "consensus", "merge": [items["likert"], items["likert-2"]],
                                     "merge_code": "m" * 100, "merge_text": "A merged statement. " * 500})

        assert response.status_code == 302
        assert Round.objects.get(study=study, number=2).items.filter(code="m" * 100).exists()
        event = AuditEvent.objects.get(action="merge")
        assert len(event.summary) <= AuditEvent._meta.get_field("summary").max_length


# -- titles and names are one line (L2) ------------------------------------------------------

BREAKS = ["\n", "\r", "\t", "\x0b", "\x85", "\u2028", "\x1b"]
ONE_LINE_KEYS = ["title", "options[0].name", "options[0].short", "vignettes[0].title"]


def _code_point(char: str) -> str:
    return f"U+{ord(char):04X}"


class TestOneLineInAStudyFile:
    @pytest.mark.parametrize("key", ONE_LINE_KEYS)
    @pytest.mark.parametrize("char", BREAKS, ids=_code_point)
    def test_a_title_or_name_with_a_line_break_or_control_character_is_refused(self, refusal, key, char):
        text = _mayo_json(lambda data: _set(data, key, f"Coronary{char}artery disease"))

        assert refusal("mayo.json", text) == [
            f"{key}: must be one line, without line breaks, tabs or other control characters "
            f"(found {_code_point(char)})"
        ]

    def test_a_folded_yaml_title_is_refused_at_its_key(self, refusal):
        text = _mayo("title: Coronary artery disease", 'title: "Coronary\\nartery disease"')

        assert refusal("mayo.yaml", text) == [
            "vignettes[4].title: must be one line, without line breaks, tabs or other control characters (found U+000A)"
        ]

    def test_texts_keep_their_line_breaks_and_a_title_loses_its_trailing_one(self, tmp_path):
        def change(data):
            data["title"] = "A study\n"
            data["vignettes"][0]["text"] = "First paragraph.\n\nSecond paragraph."
            data["statements"][0]["text"] = "TMS\nwould be my choice."

        path = tmp_path / "mayo.json"
        path.write_text(_mayo_json(change))

        call_command("import_study", str(path), stdout=StringIO())

        study = Study.objects.get()
        assert study.title == "A study"
        assert study.vignettes.get(code="base").text == "First paragraph.\n\nSecond paragraph."


def _content_data(kind: str, **changes) -> dict:
    data = {
        "kind": kind,
        "vignette-code": "new-vignette",
        "vignette-title": "A vignette",
        "vignette-text": "Ms Y is 40.",
        "option-code": "new-option",
        "option-name": "An option",
        "option-short": "Opt",
        "option-group": "add",
    }
    return {**data, **changes}


NOT_ONE_LINE = "Keep this to one line, without line breaks, tabs or other control characters (found {})."


class TestOneLineInTheForms:
    @pytest.fixture
    def signed_in(self, client, facilitator):
        client.force_login(facilitator)
        return client

    @pytest.mark.parametrize("char", BREAKS, ids=_code_point)
    @pytest.mark.parametrize("page", [0, 1], ids=["settings", "new study"])
    def test_a_study_title_with_a_line_break_is_refused(self, signed_in, study, page, char):
        url, extra = _settings_pages(study)[page]

        errors = _refused_on_the_page(signed_in, url, _settings(title=f"A{char}study", **extra), "title")

        assert errors == [NOT_ONE_LINE.format(_code_point(char))]

    def test_a_title_given_with_an_uploaded_study_file_is_refused(self, signed_in):
        data = {"file": SimpleUploadedFile("mayo.yaml", MAYO.encode()), "title": "Our\npanel"}

        errors = _refused_on_the_page(signed_in, reverse("surveys:study_new"), data, "title")

        assert errors == [NOT_ONE_LINE.format("U+000A")]

    @pytest.mark.parametrize(
        "kind, field", [("vignette", "title"), ("option", "name"), ("option", "short")]
    )
    def test_a_vignette_title_or_option_name_with_a_line_break_is_refused(self, signed_in, study, kind, field):
        url = reverse("vignettes:study_content", kwargs={"slug": study.slug})
        data = _content_data(kind, **{f"{kind}-{field}": "Two\u2028lines"})

        errors = _refused_on_the_page(signed_in, url, data, field, form=f"{kind}_form")

        assert errors == [NOT_ONE_LINE.format("U+2028")]

    @pytest.mark.parametrize("field", ["name", "short"])
    def test_a_merged_option_named_on_two_lines_is_refused(self, signed_in, study, field):
        round_with_every_item_type(study, number=1, status=Round.Status.DRAFT)
        url = reverse("surveys:round_options_merge", kwargs={"slug": study.slug, "number": 1})
        data = {"merge": list(study.options.values_list("pk", flat=True)[:2]), "code": "merged",
                "name": "Merged", "short": "Merged", "group": "add", field: "Merged\ttwice"}

        errors = _refused_on_the_page(signed_in, url, data, field)

        assert errors == [NOT_ONE_LINE.format("U+0009")]


class TestScaleOnThePages:
    @pytest.mark.parametrize("value", ["101", "40000", str(10**7), str(2**40)])
    @pytest.mark.parametrize("page", [0, 1], ids=["settings", "new study"])
    def test_a_scale_past_100_points_is_refused_at_its_field(self, client, study, facilitator, page, value):
        # SQLite kept a scale of 10**7 points (PostgreSQL's column stops at 32,767), and every
        # ballot of the study then built ten million choices: the vote page never came back.
        client.force_login(facilitator)
        url, extra = _settings_pages(study)[page]

        errors = _refused_on_the_page(client, url, _settings(scale_max=value, **extra), "scale_max")

        assert errors == ["Ensure this value is less than or equal to 100."]


class TestQuotedValues:
    def test_an_unknown_key_that_is_a_long_number_is_quoted_cut_short(self, refusal):
        # An explicit key: YAML holds a plain key to 1,024 characters.
        text = _mayo("slug: mayo-trd", "slug: mayo-trd\n? " + "7" * 4000 + "\n: 1")

        assert refusal("mayo.yaml", text) == [
            f"{'7' * 59}…: unknown key (expected one of: consensus, description, not_recommended_threshold, options, "
            "scale, slug, statements, title, vignettes)"
        ]
