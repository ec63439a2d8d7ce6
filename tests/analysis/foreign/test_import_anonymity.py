"""No email or name of an imported export is anywhere in the database afterwards, nor in a log (SPEC 5)."""

from __future__ import annotations

import logging
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from surveys.models import Participant
from surveys.pseudonyms import imported_label
from tests.analysis.foreign import files
from tests.analysis.foreign.files import IDENTITIES, PANEL
from tests.analysis.foreign.test_import_command import command, msforms_mapping, redcap_mapping, write_yaml

pytestmark = pytest.mark.django_db


def every_table_as_text() -> str:
    """Every row of every table, read straight from the database as the threat model's attacker would."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 (names from introspection)
            parts += [repr(row) for row in cursor.fetchall()]
    return "\n".join(parts)


def dumpdata() -> str:
    out = StringIO()
    call_command("dumpdata", stdout=out)
    return out.getvalue()


def record_ids() -> list[str]:
    return [str(number) for number in range(1, len(PANEL) + 1)]


def test_no_identity_of_the_exports_reaches_the_database_or_a_log(mayo_study, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    export = files.write_xlsx(tmp_path / "forms.xlsx", files.msforms_rows())
    command("--from", "msforms", str(export), "--mapping", write_yaml(tmp_path / "m.yaml", msforms_mapping()))
    rows = files.redcap_raw()
    for row in rows[1:]:
        row[rows[0].index("redcap_survey_identifier")] = row[rows[0].index("email")]
    export = files.write_csv(tmp_path / "redcap.csv", rows, "utf-8")
    dictionary = files.write_csv(tmp_path / "dict.csv", files.redcap_dictionary(), "utf-8")
    # Round 1 came from Forms; REDCap brings rounds 2 and 3, told apart by survey identifier.
    mapping = redcap_mapping(events={"round_1_arm_1": 2, "round_2_arm_1": 3}, respondent="survey_identifier")
    command("--from", "redcap", str(export), "--dictionary", str(dictionary), "--mapping", write_yaml(tmp_path / "r.yaml", mapping))

    # The same email, whichever tool and column brought it, is the same pseudonym.
    assert Participant.objects.count() == 5
    everything = (every_table_as_text() + dumpdata() + caplog.text).casefold()
    found = [identity for identity in IDENTITIES if identity.casefold() in everything]
    assert found == []
    # The identities were there to be found: the exports hold every one of them.
    assert all(identity in (tmp_path / "redcap.csv").read_text() for identity in [p["email"] for p in PANEL])
    labels = set(Participant.objects.values_list("label", flat=True))
    assert not labels & set(record_ids()) and all(label.startswith("X") and len(label) == 17 for label in labels)
    assert all(p.link_hash is None for p in Participant.objects.all())


def test_the_pseudonym_depends_on_the_key(mayo_study, tmp_path, settings):
    export = files.write_xlsx(tmp_path / "forms.xlsx", files.msforms_rows())
    command("--from", "msforms", str(export), "--mapping", write_yaml(tmp_path / "m.yaml", msforms_mapping()))
    labels = set(Participant.objects.values_list("label", flat=True))
    assert {imported_label(study_id=mayo_study.pk, identity=p["email"]) for p in PANEL} == labels

    settings.PARTICIPANT_LINK_KEY = "another key entirely, as long and as random as the first one"

    assert {imported_label(study_id=mayo_study.pk, identity=p["email"]) for p in PANEL}.isdisjoint(labels)
