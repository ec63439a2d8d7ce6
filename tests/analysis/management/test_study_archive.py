"""Backup and restore of one study: `export_study` and `import_study --archive`."""

import io
import json
import re
import stat
import zipfile
from io import StringIO
from pathlib import Path

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from analysis.catalog import FILE_TABLES, TABLES
from surveys.models import (
    Answer,
    AnswerOption,
    AuditEvent,
    Ballot,
    Invitation,
    Item,
    ItemLink,
    ItemOption,
    Membership,
    Participant,
    Round,
    RoundFigures,
    Study,
    Submission,
)
from surveys.ballot import AnswerInput
from surveys.pseudonyms import participant_link_hash
from surveys.selectors.panelist import ballot_answers
from surveys.services.builder import options_merge
from surveys.services.invitations import invitations_create
from surveys.services.lineage import Merge, round_create_next
from surveys.services.rounds import reminders_send, round_close, round_open, round_results_release
from surveys.services.voting import answers_save, answers_submit
from tests.conftest import MAYO_FILE
from tests.factories import ItemFactory, MembershipFactory, UserFactory, sign_in
from vignettes.models import Option, Vignette

pytestmark = pytest.mark.django_db

User = get_user_model()
SLUG = "mayo-trd"
PANEL = [f"panelist{i}" for i in range(1, 7)]
FORMATS = ["csv", "json", "md", "tex"]


# -- a realistic study ---------------------------------------------------------------


def _answers(round_: Round, who: int) -> list[AnswerInput]:
    """Panelist `who`'s answers to every item of the round: spread out, some blank, every type."""
    answers = []
    items = round_.items.prefetch_related("item_options").order_by("position", "pk")
    for item in items:
        offered = [link.option_id for link in sorted(item.item_options.all(), key=lambda link: link.position)]
        turn = who + item.position + round_.number
        if item.type == Item.Type.LIKERT:
            if turn % 9 == 0:
                answers.append(AnswerInput(item_id=item.pk))  # an explicit blank
            elif item.position % 2:
                answers.append(AnswerInput(item_id=item.pk, rating=2 + turn % 8))
            else:
                answers.append(AnswerInput(item_id=item.pk, rating=6 + turn % 4))
        elif item.type == Item.Type.CATEGORICAL:
            answers.append(AnswerInput(item_id=item.pk, rating=1 + turn % 4))
        elif item.type == Item.Type.TOP_K:
            rotated = offered[turn % len(offered):] + offered[: turn % len(offered)]
            answers.append(AnswerInput(item_id=item.pk, options=tuple((o, None) for o in rotated[: item.max_choices])))
        elif item.type == Item.Type.NOT_RECOMMENDED:
            picked = [o for i, o in enumerate(offered) if (i + who) % 3 == 0]
            answers.append(AnswerInput(item_id=item.pk, options=tuple((o, None) for o in picked)))
        elif item.type == Item.Type.RANKING:
            rotated = offered[who % len(offered):] + offered[: who % len(offered)]
            ranked = rotated if who % 2 else rotated[:2]
            answers.append(AnswerInput(item_id=item.pk, options=tuple((o, r) for r, o in enumerate(ranked, 1))))
        elif item.type == Item.Type.COMMENT and (who + item.position) % 3:
            answers.append(AnswerInput(item_id=item.pk, text=f"Panelist {who} on {item.code}: consider the risks."))
    return answers


def _vote(round_: Round, username: str, who: int, *, submit: bool = True) -> None:
    membership = Membership.objects.get(study=round_.study, user__username=username)
    (answers_submit if submit else answers_save)(round=round_, membership=membership, answers=_answers(round_, who))


def _add_every_other_item_type(round_: Round) -> None:
    """The Mayo round 1 asks Likert, not-recommended and comment items; add 4-point, top-3 and ranking ones."""
    base = Vignette.objects.get(study=round_.study, code="base")
    options = list(Option.objects.filter(study=round_.study, code__in=["sga", "tms", "ketamine", "ect"]))
    after = round_.items.count()
    categorical = ItemFactory(round=round_, code="base-tms-4pt", type=Item.Type.CATEGORICAL, vignette=base,
                              position=after, scale_min=None, scale_max=None)
    ItemOption.objects.create(item=categorical, option=options[1], position=0)
    top = ItemFactory(round=round_, code="base:top", type=Item.Type.TOP_K, vignette=base, position=after + 1,
                      max_choices=3, scale_min=None, scale_max=None)
    rank = ItemFactory(round=round_, code="base:rank", type=Item.Type.RANKING, vignette=base, position=after + 2,
                       scale_min=None, scale_max=None)
    for item in (top, rank):
        ItemOption.objects.bulk_create(ItemOption(item=item, option=o, position=i) for i, o in enumerate(options))


@pytest.fixture
def archived_study(mayo_study):
    """The Mayo study run for three rounds by six panelists, round 3 open with a draft and a submission.

    Round 1 has every item type; round 2 carries, rewords and merges items
    and merges two options, and is closed but not released, so its sealed
    ballots are still kept; a panelist left a draft in round 1 that must not
    count; answers imported under a bare label have no link.
    """
    study = mayo_study
    facilitator = MembershipFactory(study=study, role=Membership.Role.FACILITATOR,
                                    user=UserFactory(username="facilitator", first_name="Fay", last_name="Cil")).user
    MembershipFactory(study=study, role=Membership.Role.ANALYST, user=UserFactory(username="analyst"))
    for username in PANEL:
        MembershipFactory(study=study, role=Membership.Role.PANELIST, user=UserFactory(username=username))
    invitations_create(study=study, emails=["late@example.org"], by=facilitator)
    retired = User.objects.get(username="analyst")
    retired.is_active = False
    retired.save()

    first = study.rounds.get(number=1)
    _add_every_other_item_type(first)
    round_open(round=first, by=facilitator)
    for who, username in enumerate(PANEL[:5], start=1):
        _vote(first, username, who)
    _vote(first, PANEL[5], 6, submit=False)
    imported = Participant.objects.create(study=study, label="A1")
    likert = first.items.filter(type=Item.Type.LIKERT).order_by("position").first()
    Answer.objects.create(participant=imported, item=likert, rating=9, scale_min=1, scale_max=9)
    Submission.objects.create(round=first, participant=imported)
    reminders_send(round=first, note="Please vote.", by=facilitator)
    round_close(round=first, by=facilitator)
    round_results_release(round=first, by=facilitator)

    items = {item.code: item for item in first.items.all()}
    merged = {"sud-main", "age70-main"}
    second = round_create_next(
        round=first,
        carry=[item.pk for code, item in items.items() if code not in merged],
        rewordings={items["cad-main"].pk: "TMS or an SRI not yet tried would be my main choice(s) for this patient."},
        merges=[Merge(parents=tuple(items[code].pk for code in sorted(merged)), code="sud-age70-main",
                      text="SGA, TMS or ECT would be my main choice(s) for either patient.")],
        drop_vignettes=[Vignette.objects.get(study=study, code="sensitivity").pk],
        by=facilitator,
    )
    options_merge(round=second, options=list(Option.objects.filter(study=study, code__in=["tca", "maoi"])),
                  code="tca-maoi", name="TCA or MAO-I", short="TCA/MAO-I", group=Option.Group.SWITCH, by=facilitator)
    round_open(round=second, by=facilitator)
    for who, username in enumerate(PANEL, start=1):
        _vote(second, username, who)
    round_close(round=second, by=facilitator)

    third = round_create_next(round=second, carry=list(second.items.values_list("pk", flat=True)), by=facilitator)
    round_open(round=third, by=facilitator)
    _vote(third, PANEL[0], 1, submit=False)
    _vote(third, PANEL[1], 2)
    return study


# -- what must survive a restore ---------------------------------------------------------


def run(*args, **options) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def every_export(slug: str, tmp_path) -> dict[str, bytes]:
    """Every table of every closed round in every text format, the methods summary, and workbooks' cells."""
    study = Study.objects.get(slug=slug)
    exports = {}
    for number in study.rounds.filter(status=Round.Status.CLOSED).values_list("number", flat=True):
        for table in [*TABLES, *FILE_TABLES]:
            for fmt in FORMATS:
                for flags in ([], ["--all"]):
                    key = f"round {number} {table} {fmt} {' '.join(flags)}"
                    content = run("export_consensus", slug, "--round", str(number), "--table", table,
                                  "--format", fmt, *flags)
                    # Comments come in a new random order each time (SPEC 5): compare their lines.
                    exports[key] = ("\n".join(sorted(content.splitlines())) if table == "comments" else content).encode()
            # A workbook stores the time it was written, so compare its cells, not its bytes.
            path = tmp_path / f"{table}-{number}.xlsx"
            run("export_consensus", slug, "--round", str(number), "--table", table, "--format", "xlsx",
                "--output", str(path))
            workbook = openpyxl.load_workbook(path)
            exports[f"round {number} {table} xlsx"] = repr(
                [(sheet.title, sorted(map(repr, sheet.values)) if table == "comments" else list(sheet.values))
                 for sheet in workbook.worksheets]
            ).encode()
    for fmt in FORMATS:
        exports[f"methods {fmt}"] = run("export_consensus", slug, "--table", "methods", "--format", fmt).encode()
    return exports


def linked_usernames(study: Study) -> dict[str, str | None]:
    """Which account each pseudonym is linked to, under the current key."""
    by_hash = {
        participant_link_hash(study_id=study.pk, user_id=m.user_id): m.user.username
        for m in study.memberships.select_related("user")
    }
    return {p.label: by_hash.get(p.link_hash) for p in study.participants.order_by("pk")}


def snapshot(slug: str) -> dict[str, list]:
    """Every row of the study by natural keys (codes, labels, user names), in primary-key order.

    Primary-key order is kept on purpose: pages and tables break ties by pk.
    """
    study = Study.objects.get(slug=slug)

    def rows(queryset, *fields):
        return list(queryset.order_by("pk").values_list(*fields))

    def ballots():
        """Each sealed ballot's round, owner, status and what it holds by item and option code (ids change)."""
        items, options = dict(Item.objects.values_list("pk", "code")), dict(Option.objects.values_list("pk", "code"))
        opened = []
        for ballot in Ballot.objects.filter(round__study=study).select_related("round", "membership__user").order_by("pk"):
            answers = ballot_answers(membership=ballot.membership, round=ballot.round).values()
            held = sorted(
                (items[a.item_id], a.rating, a.text, tuple((options[o], r) for o, r in a.options)) for a in answers
            )
            opened.append((ballot.round.number, ballot.membership.user.username, ballot.status, held))
        return opened

    return {
        "study": rows(Study.objects.filter(pk=study.pk), "slug", "title", "description", "scale_min", "scale_max",
                      "scale_neutral", "consensus_rule", "consensus_params", "not_recommended_threshold", "minimum_n",
                      "created", "modified"),
        "users": rows(User.objects.all(), "username", "email", "first_name", "last_name", "password", "is_active",
                      "date_joined"),
        "vignettes": rows(study.vignettes, "code", "title", "text", "base__code", "change", "position"),
        "options": rows(study.options, "code", "name", "short", "group", "position"),
        "option_merges": rows(Option.merged_from.through.objects.filter(from_option__study=study),
                              "from_option__code", "to_option__code"),
        "rounds": rows(study.rounds, "number", "kind", "status", "deadline", "opened_at", "closed_at",
                       "results_released_at", "ballot_size", "answers_imported", "panel_count", "submitted_count",
                       "draft_count"),
        "items": rows(Item.objects.filter(round__study=study), "round__number", "code", "type", "text",
                      "vignette__code", "position", "required", "max_choices", "scale_min", "scale_max"),
        "item_options": rows(ItemOption.objects.filter(item__round__study=study), "item__round__number",
                             "item__code", "option__code", "position"),
        "item_links": rows(ItemLink.objects.filter(child__round__study=study), "parent__round__number",
                           "parent__code", "child__round__number", "child__code", "operation"),
        "participants": rows(study.participants, "label"),
        "links": list(linked_usernames(study).items()),
        "answers": rows(Answer.objects.filter(participant__study=study), "participant__label", "item__round__number",
                        "item__code", "rating", "scale_min", "scale_max", "text"),
        "answer_options": rows(AnswerOption.objects.filter(answer__participant__study=study),
                               "answer__participant__label", "answer__item__round__number", "answer__item__code",
                               "option__code", "rank"),
        "submissions": rows(Submission.objects.filter(round__study=study), "round__number", "participant__label"),
        "memberships": rows(study.memberships, "user__username", "role", "created", "modified"),
        "ballots": ballots(),
        "invitations": rows(study.invitations, "email", "role", "membership__user__username", "token_hash",
                            "expires_at", "sent_at", "used_at", "revoked_at", "invited_by__username", "created",
                            "modified"),
        "audit": rows(study.audit_events, "actor__username", "action", "summary", "detail", "created"),
    }


def counts() -> dict[str, int]:
    models = [User, Study, Vignette, Option, Round, Item, ItemOption, ItemLink, Participant, Answer, AnswerOption,
              Submission, Membership, Ballot, Invitation, AuditEvent]
    return {model.__name__: model.objects.count() for model in models}


def delete_the_study_and_everyone(slug: str) -> None:
    # Options and base vignettes are protected while answers, items and variations name them.
    study = Study.objects.get(slug=slug)
    AnswerOption.objects.filter(answer__participant__study=study).delete()
    Item.objects.filter(round__study=study).delete()
    Vignette.objects.filter(study=study, base__isnull=False).delete()
    study.delete()
    User.objects.all().delete()
    assert sum(counts().values()) == 0


def export_archive(tmp_path, slug: str = SLUG, force: bool = False) -> str:
    path = tmp_path / f"{slug}.zip"
    out = run("export_study", slug, "--output", str(path), force=force)
    assert f"Exported study {slug!r} to {path}" in out
    return str(path)


def page_of_the_signed_in(client, number: int) -> str:
    response = client.get(reverse("surveys:vote", kwargs={"slug": SLUG, "number": number}))
    assert response.status_code == 200
    return response.content.decode()


def vote_page(client, username: str, number: int) -> str:
    client.force_login(User.objects.get(username=username))
    return page_of_the_signed_in(client, number)


def own_answers_on_the_page(page: str) -> dict[str, list]:
    """What the page shows as this panelist's: their round 2 answers and their round 3 draft.

    Checked inputs name items and options by id, and ids change on restore,
    so they are read back as item and option codes.
    """
    items = dict(Item.objects.values_list("pk", "code"))
    options = dict(Option.objects.values_list("pk", "code"))
    checked = []
    for tag in re.findall(r"<input\b[^>]*\bchecked\b[^>]*>", page):
        name, value = re.search(r'name="([^"]*)"', tag)[1], re.search(r'value="([^"]*)"', tag)[1]
        item = items.get(int(name.split("-")[1])) if re.fullmatch(r"item-\d+", name) else name
        is_option = "checkbox" in tag or "rank" in name
        checked.append((item, options.get(int(value)) if is_option and value.isdigit() else value))
    return {
        "previous": re.findall(r"Your answer then: <mark>([^<]*)</mark>", page),
        "mine": re.findall(r'<tr class="mine">\s*<th scope="row" class="bar-label">([^<]*)</th>', page),
        "draft": checked,
        "draft_text": re.findall(r"<textarea[^>]*>([^<]+)</textarea>", page),
    }


# -- the round trip ------------------------------------------------------------------------


class TestARoundTrip:
    def test_every_table_and_every_export_is_identical_after_a_restore(self, archived_study, tmp_path):
        before, exports = snapshot(SLUG), every_export(SLUG, tmp_path)
        # The fixture is what it claims: every item type answered, lineage with a merge, drafts, comments.
        assert {row[2] for row in before["items"]} == set(Item.Type.values)
        assert {row[4] for row in before["item_links"]} == set(ItemLink.Operation.values)
        assert {row[2] for row in before["ballots"]} == {"draft", "submitted"}
        assert any(row[6] for row in before["answers"])
        assert len(before["audit"]) >= 8 and before["option_merges"]
        old_pk = Study.objects.get(slug=SLUG).pk
        archive = export_archive(tmp_path)
        delete_the_study_and_everyone(SLUG)

        out = run("import_study", "--archive", archive)

        # New keys, so the participant links had to be re-keyed to survive.
        assert Study.objects.get(slug=SLUG).pk != old_pk
        assert f"Restored study {SLUG!r}: 3 round(s)" in out
        assert "Re-linked 6 of 6 participants to their accounts." in out
        assert "not re-linked" not in out and "not restored" not in out
        assert snapshot(SLUG) == before
        after = every_export(SLUG, tmp_path)
        assert after.keys() == exports.keys()
        for key, content in exports.items():
            assert after[key] == content, key
        # The restore stored the closed rounds' figures; computed afresh from the answers, they give the same.
        assert RoundFigures.objects.filter(round__study__slug=SLUG).count() == 2
        RoundFigures.objects.all().delete()
        assert every_export(SLUG, tmp_path) == after

    def test_the_exports_compared_are_deterministic_and_not_empty(self, archived_study, tmp_path):
        # Pages shuffle comments (SPEC 5); no export does, or the round trip would prove nothing.
        first, second = every_export(SLUG, tmp_path), every_export(SLUG, tmp_path)

        assert first == second
        assert b"base-main" in first["round 2 raw-ratings csv "]
        assert b"sud-age70-main" in first["round 2 round-comparison json "]
        assert b"tca-maoi" in first["round 2 not-recommended csv --all"]
        assert b"ketamine (2.40)" in first["round 1 rankings csv "]


class TestTheParticipantLink:
    def test_a_restored_panelist_signs_in_and_sees_their_own_earlier_answers(self, archived_study, client, tmp_path):
        mine_before = own_answers_on_the_page(vote_page(client, PANEL[0], 3))
        assert mine_before["previous"] and mine_before["draft"] and mine_before["draft_text"]
        old_user_pk = User.objects.get(username=PANEL[0]).pk
        archive = export_archive(tmp_path)
        client.logout()
        delete_the_study_and_everyone(SLUG)

        run("import_study", "--archive", archive)

        # Through the sign-in page, with the password they had: the hash came back with the account.
        assert User.objects.get(username=PANEL[0]).pk != old_user_pk
        assert sign_in(client, PANEL[0], "a-long-test-password")
        assert own_answers_on_the_page(page_of_the_signed_in(client, 3)) == mine_before

    def test_under_another_key_the_links_are_dropped_and_the_tables_are_identical(
        self, archived_study, client, settings, tmp_path
    ):
        before, exports = snapshot(SLUG), every_export(SLUG, tmp_path)
        own_before = own_answers_on_the_page(vote_page(client, PANEL[0], 3))
        client.logout()
        archive = export_archive(tmp_path)
        delete_the_study_and_everyone(SLUG)
        settings.PARTICIPANT_LINK_KEY = "another-key-" + "x" * 50

        # Unasked, a restore that would lose the links is refused whole.
        before_counts = counts()
        with pytest.raises(CommandError, match="6 of 6 participants cannot be re-linked.*--drop-links"):
            run("import_study", "--archive", archive)
        assert counts() == before_counts

        out = run("import_study", "--archive", archive, drop_links=True)

        assert "Re-linked 0 of 6 participants to their accounts." in out
        assert "6 participants were not re-linked (--drop-links)" in out
        assert Participant.objects.filter(link_hash__isnull=False).count() == 0
        after = snapshot(SLUG)
        assert after.pop("links") == [(label, None) for label, _user in before.pop("links")]
        assert after == before
        assert every_export(SLUG, tmp_path) == exports
        mine = own_answers_on_the_page(vote_page(client, PANEL[0], 3))
        # The sealed draft came back, under the same BALLOT_KEY; what the panel said earlier is not linked.
        assert mine["previous"] == [] and mine["mine"] == []
        assert mine["draft"] == own_before["draft"] and mine["draft_text"] == own_before["draft_text"]

    def test_under_another_ballot_key_the_ballots_are_refused_or_dropped(self, archived_study, settings, tmp_path):
        before = snapshot(SLUG)
        archive = export_archive(tmp_path)
        delete_the_study_and_everyone(SLUG)
        settings.BALLOT_KEY = "another-ballot-key-" + "y" * 50

        before_counts = counts()
        with pytest.raises(CommandError, match=r"sealed ballot\(s\) of open or unreleased rounds do not open.*--drop-ballots"):
            run("import_study", "--archive", archive)
        assert counts() == before_counts

        out = run("import_study", "--archive", archive, drop_ballots=True)

        assert f"{len(before['ballots'])} sealed ballot(s) were not restored (--drop-ballots)" in out
        assert not Ballot.objects.exists()
        after = snapshot(SLUG)
        assert after.pop("ballots") == [] and before.pop("ballots")
        assert after == before

    def test_no_key_is_ever_written_to_the_archive(self, archived_study, settings, tmp_path):
        settings.PARTICIPANT_LINK_KEY = "the-link-key-that-must-stay-in-the-secret-store"

        with zipfile.ZipFile(export_archive(tmp_path)) as archive:
            content = b"".join(archive.read(name) for name in archive.namelist())

        for key in (settings.PARTICIPANT_LINK_KEY, settings.BALLOT_KEY, settings.SECRET_KEY):
            assert key.encode() not in content
        # The ballots travel sealed: none of their comments is in the archive in the clear.
        with zipfile.ZipFile(export_archive(tmp_path, force=True)) as archive:
            ballots = archive.read("tables/ballots.jsonl")
        assert ballots.count(b"\n") == Ballot.objects.count() > 0
        assert b"consider the risks" not in ballots


# -- archives that cannot be restored ----------------------------------------------------------


def rewritten(content: bytes, change) -> bytes:
    """The archive with its manifest and tables passed through `change(manifest, tables)`.

    `tables` maps each table's name to its rows, which `change` may edit.
    """
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(members["archive.json"])
    tables = {
        name.removeprefix("tables/").removesuffix(".jsonl"): [json.loads(line) for line in data.splitlines()]
        for name, data in members.items()
        if name.startswith("tables/")
    }
    change(manifest, tables)
    members["archive.json"] = json.dumps(manifest).encode()
    for name, rows in tables.items():
        members[f"tables/{name}.jsonl"] = b"".join(json.dumps(row).encode() + b"\n" for row in rows)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def damaged(content: bytes) -> bytes:
    """One byte of the compressed answers changed, as a bad disk or a bad copy would."""
    info = zipfile.ZipFile(io.BytesIO(content)).getinfo("tables/answers.jsonl")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    at = start + info.compress_size // 2
    return content[:at] + bytes([content[at] ^ 0xFF]) + content[at + 1:]


def without_an_item_answers_name(manifest: dict, tables: dict) -> None:
    """An answered item taken out with its options and lineage, its answers left in."""
    gone = min(row[2] for row in tables["answers"])
    tables["items"] = [row for row in tables["items"] if row[0] != gone]
    tables["item_options"] = [row for row in tables["item_options"] if row[1] != gone]
    tables["item_links"] = [row for row in tables["item_links"] if gone not in row[1:3]]


@pytest.fixture
def small_archive(mayo_study, tmp_path) -> bytes:
    """The archive of a Mayo study whose one round two panelists voted in and which closed, the study then deleted."""
    for username in PANEL[:2]:
        MembershipFactory(study=mayo_study, role=Membership.Role.PANELIST, user=UserFactory(username=username))
    first = mayo_study.rounds.get()
    round_open(round=first)
    _vote(first, PANEL[0], 1)
    _vote(first, PANEL[1], 2)
    round_close(round=first)
    with open(export_archive(tmp_path), "rb") as archive:
        content = archive.read()
    delete_the_study_and_everyone(SLUG)
    return content


def restore_error(tmp_path, content: bytes) -> str:
    path = tmp_path / "restore.zip"
    path.write_bytes(content)
    before = counts()
    with pytest.raises(CommandError) as excinfo:
        run("import_study", "--archive", str(path))
    assert counts() == before
    message = str(excinfo.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    return message


class TestABrokenArchive:
    def test_a_truncated_archive_is_refused_and_writes_nothing(self, small_archive, tmp_path):
        message = restore_error(tmp_path, small_archive[: len(small_archive) * 2 // 3])

        assert "corrupt or truncated archive" in message

    def test_a_damaged_byte_is_caught_and_writes_nothing(self, small_archive, tmp_path):
        message = restore_error(tmp_path, damaged(small_archive))

        assert "corrupt or truncated archive" in message

    def test_an_archive_of_another_version_is_refused(self, small_archive, tmp_path):
        message = restore_error(tmp_path, rewritten(small_archive, lambda manifest, tables: manifest.update(version=4)))

        assert "archive version 4 cannot be read; this platform reads version 3" in message

    def test_a_study_file_is_not_an_archive(self, small_archive, tmp_path):
        assert "corrupt or truncated archive" in restore_error(tmp_path, MAYO_FILE.read_bytes())

    def test_a_table_with_a_missing_column_is_refused(self, small_archive, tmp_path):
        def drop_rating(manifest, tables):
            manifest["tables"]["answers"]["columns"].remove("rating")

        message = restore_error(tmp_path, rewritten(small_archive, drop_rating))

        assert "table answers: columns must be" in message

    def test_an_answer_to_an_item_the_archive_lacks_rolls_the_whole_restore_back(self, small_archive, tmp_path):
        # Accounts, study, vignettes and options are written before answers: all of it must go.
        message = restore_error(tmp_path, rewritten(small_archive, without_an_item_answers_name))

        assert "table answers: row" in message and "is not in items" in message

    def test_a_study_whose_slug_exists_is_refused_and_left_as_it_was(self, small_archive, tmp_path):
        path = tmp_path / "first.zip"
        path.write_bytes(small_archive)
        run("import_study", "--archive", str(path))
        before = snapshot(SLUG)

        message = restore_error(tmp_path, small_archive)

        assert message.endswith("a study 'mayo-trd' already exists; delete it or restore into another database")
        assert snapshot(SLUG) == before

    @pytest.mark.parametrize("member", ["archive.json", "tables/vignettes.jsonl"])
    def test_a_number_of_5000_digits_is_refused_as_invalid_json(self, small_archive, tmp_path, member):
        # json.loads refuses it with a bare ValueError: from the manifest, a traceback.
        with zipfile.ZipFile(io.BytesIO(small_archive)) as archive:
            members = {name: archive.read(name) for name in archive.namelist()}
        members[member] = re.sub(rb"\d+", b"9" * 5000, members[member], count=1)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, data in members.items():
                archive.writestr(name, data)

        message = restore_error(tmp_path, buffer.getvalue())

        assert "is not valid JSON (Exceeds the limit (4300 digits) for integer string conversion" in message

    def test_a_missing_archive_is_named(self, db, tmp_path):
        with pytest.raises(CommandError, match=r"missing\.zip: cannot be read: no such file"):
            run("import_study", "--archive", str(tmp_path / "missing.zip"))


class TestTheCommands:
    def test_export_study_asks_for_a_file_name(self, mayo_study):
        with pytest.raises(CommandError, match=r"^the archive is a zip file: name it with --output"):
            run("export_study", SLUG)

    def test_export_study_names_an_unknown_study(self, db, tmp_path):
        with pytest.raises(CommandError, match=r"^no study with slug 'nope'$"):
            run("export_study", "nope", "--output", str(tmp_path / "nope.zip"))

    def test_the_archive_holds_the_study_file_a_versioned_manifest_and_a_member_per_table(self, mayo_study, tmp_path):
        with zipfile.ZipFile(export_archive(tmp_path)) as archive:
            names = sorted(archive.namelist())
            manifest = json.loads(archive.read("archive.json"))
            study_file = archive.read("study.yaml")
        assert names == ["archive.json", "study.yaml", *sorted(f"tables/{name}.jsonl" for name in manifest["tables"])]
        assert (manifest["format"], manifest["version"]) == ("delphi-study-archive", 3)
        assert manifest["study"]["slug"] == SLUG
        assert manifest["tables"]["items"]["rows"] == 21
        # The study file inside loads as any study file does.
        delete_the_study_and_everyone(SLUG)
        (tmp_path / "inside.yaml").write_bytes(study_file)
        assert "Imported study 'mayo-trd'" in run("import_study", str(tmp_path / "inside.yaml"))

    @pytest.mark.parametrize("arguments", [[], ["study.yaml", "--archive", "study.zip"]])
    def test_import_study_takes_a_study_file_or_an_archive(self, db, arguments):
        with pytest.raises(CommandError, match=r"^name either a study file or an --archive$"):
            run("import_study", *arguments)

    def test_an_account_already_here_is_kept_as_it_is(self, small_archive, tmp_path):
        # The same person: the archived user name and email (in another case).
        kept = UserFactory(username=PANEL[0], email=f"{PANEL[0]}@EXAMPLE.org", password="another-password")
        path = tmp_path / "restore.zip"
        path.write_bytes(small_archive)

        out = run("import_study", "--archive", str(path))

        assert "(1 already here and kept as they were)" in out
        kept.refresh_from_db()
        assert kept.email == f"{PANEL[0]}@EXAMPLE.org" and kept.check_password("another-password")
        assert Membership.objects.get(study__slug=SLUG, user=kept).role == Membership.Role.PANELIST
        # The link follows the account to its id here, not the archived one.
        assert "Re-linked 2 of 2 participants" in out
        participant = Participant.objects.get(study__slug=SLUG, link_hash=participant_link_hash(
            study_id=Study.objects.get(slug=SLUG).pk, user_id=kept.pk))
        assert participant.answers.exists()

    def test_an_account_of_the_same_name_with_another_email_refuses_the_restore(self, small_archive, tmp_path):
        # Perhaps someone else: they must not be handed the archived panelist's pseudonym and answers.
        stranger = UserFactory(username=PANEL[0], email="someone-else@example.org")

        message = restore_error(tmp_path, small_archive)

        assert f"accounts {PANEL[0]!r} exist here with another email" in message
        assert not Membership.objects.filter(user=stranger).exists()


class TestTheArchiveFile:
    def test_it_is_readable_by_its_owner_only(self, mayo_study, tmp_path):
        path = Path(export_archive(tmp_path))

        assert stat.S_IMODE(path.stat().st_mode) == 0o600

    def test_an_earlier_backup_is_replaced_only_when_asked(self, mayo_study, tmp_path):
        path = tmp_path / "backup.zip"
        path.write_bytes(b"last night's backup")

        with pytest.raises(CommandError, match=r"backup.zip exists: name another file, or pass --force"):
            run("export_study", SLUG, "--output", str(path))
        assert path.read_bytes() == b"last night's backup"

        run("export_study", SLUG, "--output", str(path), force=True)
        assert zipfile.is_zipfile(path)
