"""The study file (SPEC 4.1) through the `import_study` command."""

import json
from io import StringIO

import pytest
import yaml
from django.core.management import CommandError, call_command

from surveys.models import Item, ItemOption, Round, Study
from tests.conftest import MAYO_FILE
from vignettes.models import Option, Vignette

pytestmark = pytest.mark.django_db


def mayo_data() -> dict:
    return yaml.safe_load(MAYO_FILE.read_text())


def write(tmp_path, data, name="study.yaml") -> str:
    path = tmp_path / name
    if name.endswith(".json"):
        path.write_text(json.dumps(data))
    else:
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return str(path)


def import_error(path) -> str:
    with pytest.raises(CommandError) as excinfo:
        call_command("import_study", path)
    return str(excinfo.value)


def row_counts() -> dict:
    return {model.__name__: model.objects.count() for model in (Study, Option, Vignette, Round, Item, ItemOption)}


class TestTheMayoExample:
    def test_it_loads_the_papers_vignettes_options_and_statements(self):
        out = StringIO()
        call_command("import_study", str(MAYO_FILE), stdout=out)

        study = Study.objects.get(slug="mayo-trd")
        assert "Imported study 'mayo-trd'" in out.getvalue()
        # Box 1 plus the 6 variations of Table 1.
        assert study.vignettes.count() == 7
        assert study.vignettes.filter(base__isnull=True).count() == 1
        assert study.vignettes.filter(base__code="base").count() == 6
        # The 11 options of Table 2: 6 to add, 5 to switch to.
        assert study.options.count() == 11
        assert study.options.filter(group=Option.Group.ADD).count() == 6
        assert study.options.filter(group=Option.Group.SWITCH).count() == 5
        # The 7 consensus statements of Table 3, in round 1.
        round_1 = study.rounds.get()
        assert (round_1.number, round_1.kind, round_1.status) == (1, Round.Kind.CONSENSUS, Round.Status.DRAFT)
        assert round_1.items.filter(type=Item.Type.LIKERT).count() == 7

    def test_it_keeps_the_papers_consensus_rule(self):
        call_command("import_study", str(MAYO_FILE))

        study = Study.objects.get(slug="mayo-trd")
        assert (study.scale_min, study.scale_neutral, study.scale_max) == (1, 5, 9)
        assert study.consensus_rule == "mayo"
        assert study.consensus_params["above_neutral"] == 5
        assert study.consensus_params["mean_above"] == 7
        assert study.not_recommended_threshold == 50

    def test_box_1_is_verbatim_and_the_variations_state_their_change(self):
        call_command("import_study", str(MAYO_FILE))

        base = Vignette.objects.get(code="base")
        assert base.text.startswith("Ms X is a 30-year-old woman who presents to our service")
        assert base.text.endswith("Her Body Mass Index is 24 kg/m². She has never been pregnant.")
        cad = Vignette.objects.get(code="cad")
        assert cad.base == base
        assert cad.change == "Base clinical vignette with comorbid coronary artery disease of moderate severity"

    def test_each_statement_names_the_options_of_table_3_in_order(self):
        call_command("import_study", str(MAYO_FILE))

        expected = {
            "base-main": ["sga", "tms", "ketamine"],
            "sud-main": ["sga", "tms", "sri"],
            "age70-main": ["sga", "tms", "ect"],
            "metabolic-main": ["tms", "sri", "dxm-bup"],
            "cad-main": ["tms", "sri"],
            "seizures-main": ["sga", "sri"],
            "sensitivity-main": ["tms"],
        }
        for code, options in expected.items():
            item = Item.objects.get(code=code)
            assert list(item.item_options.values_list("option__code", flat=True)) == options, code

    def test_each_vignette_gets_a_not_recommended_choice_of_every_option_and_a_comment_box(self):
        call_command("import_study", str(MAYO_FILE))

        not_recommended = Item.objects.filter(type=Item.Type.NOT_RECOMMENDED)
        assert not_recommended.count() == 7
        assert all(item.options.count() == 11 for item in not_recommended)
        assert Item.objects.filter(type=Item.Type.COMMENT, required=False).count() == 7

    def test_the_same_structure_loads_from_json(self, tmp_path):
        call_command("import_study", write(tmp_path, mayo_data(), "mayo.json"))

        assert Study.objects.get(slug="mayo-trd").vignettes.count() == 7


class TestABrokenStudyFile:
    """Every broken file gets a message naming file, key and problem, and writes nothing."""

    def assert_rejected(self, tmp_path, data, *expected):
        path = write(tmp_path, data)
        before = row_counts()
        message = import_error(path)
        for text in expected:
            assert text in message
        assert message.startswith(path)
        assert row_counts() == before
        return message

    def test_it_rejects_an_unknown_option_code_in_a_statement(self, tmp_path):
        data = mayo_data()
        data["statements"][0]["options"] = ["sga", "psilocybin"]
        self.assert_rejected(tmp_path, data, "statements[0].options[1]", "unknown option code 'psilocybin'")

    def test_it_rejects_a_duplicate_option_code(self, tmp_path):
        data = mayo_data()
        data["options"][3]["code"] = "sga"
        self.assert_rejected(tmp_path, data, "options[3].code", "duplicate code 'sga'")

    def test_it_rejects_a_duplicate_vignette_code(self, tmp_path):
        data = mayo_data()
        data["vignettes"][2]["code"] = "sud"
        self.assert_rejected(tmp_path, data, "vignettes[2].code", "duplicate code 'sud'")

    def test_it_rejects_a_scale_whose_min_is_not_below_its_max(self, tmp_path):
        data = mayo_data()
        data["scale"] = {"min": 9, "max": 9, "neutral": 5}
        data.pop("consensus")
        self.assert_rejected(tmp_path, data, "scale", "min (9) must be below max (9)")

    def test_it_rejects_a_base_vignette_without_text(self, tmp_path):
        data = mayo_data()
        del data["vignettes"][0]["text"]
        self.assert_rejected(tmp_path, data, "vignettes[0].text", "is missing")

    def test_it_rejects_a_variation_without_its_change(self, tmp_path):
        data = mayo_data()
        data["vignettes"][4]["change"] = "  "
        self.assert_rejected(tmp_path, data, "vignettes[4].change", "is empty")

    def test_it_rejects_an_unknown_key(self, tmp_path):
        data = mayo_data()
        data["options"][0]["colour"] = "blue"
        self.assert_rejected(tmp_path, data, "options[0].colour", "unknown key")

    def test_it_rejects_a_statement_about_an_unknown_vignette(self, tmp_path):
        data = mayo_data()
        data["statements"][2]["vignette"] = "postpartum"
        self.assert_rejected(tmp_path, data, "statements[2].vignette", "unknown vignette code 'postpartum'")

    def test_it_rejects_an_unknown_consensus_rule(self, tmp_path):
        data = mayo_data()
        data["consensus"] = {"rule": "majority"}
        self.assert_rejected(tmp_path, data, "consensus", "majority")

    def test_it_rejects_a_threshold_above_100_percent(self, tmp_path):
        data = mayo_data()
        data["not_recommended_threshold"] = 150
        self.assert_rejected(tmp_path, data, "not_recommended_threshold", "150")

    def test_it_rejects_an_option_group_other_than_add_or_switch(self, tmp_path):
        data = mayo_data()
        data["options"][0]["group"] = "combine"
        self.assert_rejected(tmp_path, data, "options[0].group", "'combine'")

    def test_it_reports_every_problem_at_once(self, tmp_path):
        data = mayo_data()
        data["options"][1]["code"] = "sga"
        data["statements"][0]["options"] = ["nope"]
        message = self.assert_rejected(tmp_path, data, "options[1].code", "statements[0].options[0]")
        assert len(message.splitlines()) == 2

    def test_it_rejects_a_key_given_twice_in_yaml(self, tmp_path):
        path = tmp_path / "twice.yaml"
        path.write_text(MAYO_FILE.read_text().replace("title: Next-step", "title: First\ntitle: Next-step", 1))

        message = import_error(str(path))

        assert "key 'title' is given twice" in message
        assert Study.objects.count() == 0

    def test_it_rejects_a_file_that_is_not_yaml(self, tmp_path):
        path = tmp_path / "broken.yaml"
        path.write_text("slug: [unclosed\n")

        assert "invalid YAML" in import_error(str(path))

    def test_it_rejects_a_missing_file(self, tmp_path):
        assert "cannot be read" in import_error(str(tmp_path / "missing.yaml"))

    def test_it_refuses_to_load_a_study_twice(self):
        call_command("import_study", str(MAYO_FILE))
        before = row_counts()

        message = import_error(str(MAYO_FILE))

        assert "slug: a study 'mayo-trd' already exists" in message
        assert row_counts() == before
