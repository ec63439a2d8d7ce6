"""The whole Mayo study in a browser: a facilitator, ten panelists, three consensus rounds, an analyst's tables.

Everything the study does happens through its pages: the facilitator builds
the study from the one-click Mayo template, invites the panel and an analyst
by a pasted list, opens, closes, releases and carries each round forward;
each panelist joins by the emailed link, chooses a password and votes in a
browser context of their own, seeing from round 2 on the panel's answers of
the round before; the analyst downloads Table 3 and Table 4 as CSV and XLSX.
Only the facilitator's account is created directly, and the database is only
read: for element ids and for the assertions, but for one panelist's session
ended on the server in round 1, between an autosaved draft and the submit.

The ratings are chosen so that the final round reproduces the paper's Table 3
and Table 4 (Marques et al., J Clin Psychiatry 2026;87(1):25cs16066; the
text is in the seeds as 003_6f41bb13d1a92edf.txt). The design is that of
tests/analysis/management/test_export_consensus.py: ten panelists, every final rating 7
to 9, one blank in the metabolic vignette (the paper's 8.44 = 76 / 9). The
expected numbers below are the paper's, typed from its tables, not computed.
"""

import csv
import re
import statistics
import time
from pathlib import Path

import openpyxl
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core import mail
from playwright.sync_api import expect

from analysis.headers import WORDS, words
from surveys.models import AuditEvent, Ballot, Item, Membership, Round, Submission
from tests.browser.pages import DESKTOP, screenshot, shot, sign_in
from tests.factories import allow_study_creation

SLUG = "mayo-panel"
PASSWORD = "kestrel-orchard-73"
PANEL = 10

# Round 3, the final round: the i-th rating is the i-th panelist's, None a blank.
FINAL_RATINGS = {
    "base-main": [9, 9, 9, 9, 8, 8, 8, 8, 8, 8],
    "sud-main": [9, 9, 9, 8, 8, 8, 8, 8, 8, 8],
    "age70-main": [9, 9, 9, 9, 9, 8, 8, 7, 7, 8],
    "metabolic-main": [9, 9, 9, 9, 8, 8, 8, 8, 8, None],
    "cad-main": [9, 9, 9, 9, 9, 8, 8, 8, 8, 8],
    "seizures-main": [9, 9, 9, 9, 9, 9, 8, 8, 7, 7],
    "sensitivity-main": [9, 9, 9, 9, 9, 9, 9, 8, 8, 8],
}
# Round 3: how many panelists (the first ones) mark each option as not
# recommended; the options below half of the panel must stay out of Table 4.
FINAL_NOT_RECOMMENDED = {
    "base": {"ect": 6, "maoi": 7, "lithium": 2},
    "sud": {"ketamine": 10, "dxm-bup": 9, "tca": 4},
    "age70": {"ketamine": 8, "maoi": 3},
    "metabolic": {"sga": 9, "mirtazapine": 8},
    "cad": {"sga": 9, "ketamine": 5, "tca": 4},
    "seizures": {"tms": 9, "ect": 1},
    "sensitivity": {"lithium": 8, "tca": 7, "maoi": 7},
}


def ratings_of(round_number: int) -> dict[str, list[int | None]]:
    """The panel moves towards its final answers: two points lower in round 1, one in round 2.

    Round 1 then has ratings of 5 (no consensus anywhere), round 2 some 6s,
    so each round's feedback differs from the next.
    """
    lower = 3 - round_number
    return {code: [None if r is None else r - lower for r in values] for code, values in FINAL_RATINGS.items()}


def not_recommended_of(round_number: int) -> dict[str, dict[str, int]]:
    """One panelist fewer marks each option in every round before the last."""
    lower = 3 - round_number
    return {
        vignette: {option: max(count - lower, 0) for option, count in counts.items()}
        for vignette, counts in FINAL_NOT_RECOMMENDED.items()
    }


def consensus_in_the_papers_sense(ratings: list[int]) -> bool:
    """The paper's full consensus: "all members rating the statement above neutral (ie, >5), with a mean
    agreement score exceeding 7"."""
    return min(ratings) > 5 and statistics.mean(ratings) > 7


# The paper's Table 3 ("Consensus Recommendations"), one row per vignette in its
# order: statement, main recommendations (options), all ratings 6 or higher, average rating.
TABLE_3 = [
    ("base-main", ["sga", "tms", "ketamine"], True, 8.40),  # Base vignette
    ("sud-main", ["sga", "tms", "sri"], True, 8.30),  # Had a comorbid substance use disorder
    ("age70-main", ["sga", "tms", "ect"], True, 8.30),  # Was 70 years old
    ("metabolic-main", ["tms", "sri", "dxm-bup"], True, 8.44),  # Had diabetes and BMI > 40 kg/m²
    ("cad-main", ["tms", "sri"], True, 8.50),  # Had comorbid coronary artery disease of moderate severity
    ("seizures-main", ["sga", "sri"], True, 8.40),  # Had a history of seizures
    ("sensitivity-main", ["tms"], True, 8.70),  # Had a history of sensitivity to medications
]
# The paper's Table 4 ("Not Recommended by at Least 50% of Participants as the Next Step").
TABLE_4 = [
    ("base", "ect", 60.0),  # Base vignette: ECT (60%)
    ("base", "maoi", 70.0),  # and MAO-I (70%)
    ("sud", "ketamine", 100.0),  # Substance use disorder: ketamine (100%)
    ("sud", "dxm-bup", 90.0),  # and dextromethorphan-bupropion (90%)
    ("age70", "ketamine", 80.0),  # 70 years old: ketamine (80%)
    ("metabolic", "sga", 90.0),  # Diabetes and BMI > 40: augmentation with SGA (90%)
    ("metabolic", "mirtazapine", 80.0),  # and mirtazapine (80%)
    ("cad", "sga", 90.0),  # Coronary artery disease: augmentation with SGA (90%)
    ("cad", "ketamine", 50.0),  # and ketamine (50%)
    ("seizures", "tms", 90.0),  # History of seizures: TMS (90%)
    ("sensitivity", "lithium", 80.0),  # Sensitivity to medications: augmentation with lithium (80%)
    ("sensitivity", "tca", 70.0),  # TCA (70%)
    ("sensitivity", "maoi", 70.0),  # and MAO-I (70%)
]
COMMENT = "Ketamine needs a monitored setting here."
# How the voting page names each option in the panel's feedback (the study file's short names).
SHORT_NAMES = {
    "sga": "Augmentation with SGA",
    "lithium": "Augmentation with lithium",
    "thyroid": "Thyroid hormone",
    "ketamine": "Ketamine/esketamine",
    "tms": "TMS",
    "ect": "ECT",
    "sri": "SRI not yet tried",
    "mirtazapine": "Mirtazapine",
    "tca": "TCA",
    "maoi": "MAO-I",
    "dxm-bup": "Dextromethorphan-bupropion",
}


# -- the people -------------------------------------------------------------------


def email_of(number: int) -> str:
    return f"dr.{number:02d}@example.org"


def join(open_page, link: str):
    """Follows an emailed link in a fresh browser context and chooses a password; returns the signed-in page."""
    page = open_page()
    page.goto(link)
    page.locator("#id_new_password1").fill(PASSWORD)
    page.locator("#id_new_password2").fill(PASSWORD)
    page.get_by_role("button", name="Set password and join").click()
    expect(page.get_by_role("heading", name="Your studies")).to_be_visible()
    return page


def links_by_email() -> dict[str, str]:
    return {m.to[0]: re.search(r"https?://\S+/invitations/\S+/", m.body).group(0) for m in mail.outbox}


# -- the facilitator's steps ---------------------------------------------------------


def open_round(page, number: int) -> None:
    page.goto(f"/studies/{SLUG}/rounds/{number}/manage/")
    page.get_by_role("link", name="Open…").click()
    page.get_by_role("button", name="Open the round").click()
    expect(page.get_by_text("The round is open.")).to_be_visible()


def close_and_release(page, number: int, request) -> None:
    page.goto(f"/studies/{SLUG}/rounds/{number}/manage/")
    expect(page.locator(".completion")).to_contain_text(f"{PANEL} / {PANEL} (100%)")
    page.get_by_role("link", name="Close now…").click()
    page.get_by_role("button", name="Close now").click()
    expect(page.get_by_text("The round is closed")).to_be_visible()
    page.get_by_role("link", name="Release the results to the panel…").click()
    expect(page.get_by_text("This cannot be undone")).to_be_visible()
    page.get_by_role("button", name="Release the results").click()
    expect(page.get_by_text("The panel can now see the results.")).to_be_visible()
    screenshot(page, request, f"round-{number}-closed")


def carry_everything_forward(page, number: int) -> None:
    page.get_by_role("link", name=f"Prepare round {number + 1}").click()
    expect(page.get_by_label("Every item")).to_be_checked()
    page.get_by_role("button", name="Draft the next round").click()
    expect(page.get_by_text(f"Round {number + 1} is drafted.")).to_be_visible()


# -- a panelist's ballot -----------------------------------------------------------


def vote(page, panelist: int, number: int, items: dict[str, Item], options: dict[str, int], request) -> None:
    """Panelist `panelist` (0-based) reads the last round's feedback, answers round `number` and submits."""
    page.goto("/")
    page.get_by_role("link", name=f"Start round {number}").click()
    if number > 1:
        check_feedback(page, panelist, number, items)
        if panelist == 0:
            shot(page.locator("section.vignette").first, request, f"round-{number}-feedback")
    for code, values in ratings_of(number).items():
        value = values[panelist]
        page.locator(f"label[for='item-{items[code].pk}-{'none' if value is None else value}']").click()
    if number == 1 and panelist == 1:
        # The ratings save themselves as a draft; then the session ends before the rest is done.
        expect(page.get_by_text(re.compile(r"Draft saved automatically at \d"))).to_be_visible()
        end_the_session_of(email_of(panelist + 1))
    for vignette, counts in not_recommended_of(number).items():
        item = items[f"{vignette}:not-recommended"]
        for option, count in counts.items():
            if panelist < count:
                page.locator(f"#item-{item.pk}-{options[option]}").check()
    if number == 1 and panelist == 0:
        page.locator(f"#item-{items['cad:comment'].pk}-text").fill(COMMENT)
    page.get_by_role("button", name="Submit").click()
    if number == 1 and panelist == 1:
        # Nothing typed is lost: signing in again completes the submit.
        expect(page.get_by_text("Your session had ended")).to_be_visible()
        page.get_by_label("Username").fill(email_of(panelist + 1))
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("your answers are submitted")).to_be_visible()


def end_the_session_of(email: str) -> None:
    """The panelist's session expires on the server, as after a long pause."""
    user = get_user_model().objects.get(email=email)
    for session in Session.objects.all():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            session.delete()


def number_shown(value: float) -> str:
    """A median as the feedback prints it (Django's floatformat:"-1")."""
    return str(int(value)) if value == int(value) else f"{value:.1f}"


def check_feedback(page, panelist: int, number: int, items: dict[str, Item]) -> None:
    """The voting page of round `number` shows round `number - 1`: the panel's ratings, and this panelist's own."""
    previous = number - 1
    for code, values in ratings_of(previous).items():
        feedback = page.locator(f"#item-{items[code].pk} .feedback")
        given = [v for v in values if v is not None]
        expect(feedback).to_contain_text(f"The panel in round {previous} (n = {len(given)})")
        expect(feedback).to_contain_text(f"Median {number_shown(statistics.median(given))} · IQR")
        expect(feedback).to_contain_text(f"mean {statistics.mean(given):.2f}")
        verdict = "Consensus reached" if consensus_in_the_papers_sense(given) else "No consensus"
        expect(feedback.locator(".badge")).to_have_text(verdict)
        mine = values[panelist]
        if mine is None:
            expect(feedback).to_contain_text("You left it blank then.")
        else:
            expect(feedback).to_contain_text(f"Your answer then: {mine}")
            expect(feedback.locator("tr.mine th")).to_have_text(str(mine))
    # The options the panel would not recommend, with this panelist's own marks.
    for vignette, counts in not_recommended_of(previous).items():
        item = items[f"{vignette}:not-recommended"]
        shown = {}
        for row in page.locator(f"#item-{item.pk} .feedback tbody tr").all_inner_texts():
            name, percent, *marked = row.split("\t")
            shown[name.strip()] = (percent.strip(), bool("".join(marked).strip()))
        expected = {
            SHORT_NAMES[option]: (f"{100 * counts.get(option, 0) / PANEL:g}%", panelist < counts.get(option, 0))
            for option in SHORT_NAMES
        }
        assert shown == expected, vignette
    # The one comment of round 1, without its author.
    comments = page.locator(".panel-comments")
    expect(comments).to_have_count(1 if previous == 1 else 0)
    if previous == 1:
        expect(comments).to_contain_text("1 anonymous comment from the panel in round 1")
        expect(comments).to_contain_text(COMMENT)


# -- the analyst's downloads ---------------------------------------------------------


def download(page, table_title: str, table: str, fmt: str, tmp_path) -> Path:
    """Chooses the format on the results page and presses the table's Download button; the file of round 3."""
    page.get_by_label("File format").select_option(fmt)
    with page.expect_download() as info:
        page.get_by_role("button", name=f"Download {table_title}").click()
    assert info.value.suggested_filename == f"{SLUG}-round-3-{table}.{fmt}"
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    return path


def read_csv(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def read_xlsx(path, sheet: str) -> list[dict]:
    """The sheet's rows keyed as in the CSV: the workbook's headers are in words ("Mean" for `mean`)."""
    rows = list(openpyxl.load_workbook(path)[sheet].iter_rows(values_only=True))
    keys = {words(key): key for key in WORDS}
    return [dict(zip((keys[header] for header in rows[0]), row)) for row in rows[1:]]


def check_table_3(rows: list[dict], *, text: bool) -> None:
    """Table 3 as downloaded; CSV cells are text (True/False for programs), XLSX cells typed (Yes/No for people)."""
    as_bool = (lambda v: v == "True") if text else (lambda v: v == "Yes")
    as_float = float if text else (lambda v: v)
    assert [row["statement"] for row in rows] == [statement for statement, *_ in TABLE_3]
    for row, (statement, options, six_or_higher, mean) in zip(rows, TABLE_3):
        assert as_float(row["mean"]) == mean, statement
        assert as_bool(row["all_above_neutral"]) is six_or_higher and float(row["min"]) >= 6, statement
        assert as_bool(row["consensus"]) is True, statement
        assert re.findall(r"[a-z][a-z-]*", str(row["options"])) == options, statement
        assert int(row["n"]) == (9 if statement == "metabolic-main" else PANEL), statement


def check_table_4(rows: list[dict], *, text: bool) -> None:
    as_float = float if text else (lambda v: v)
    assert [(row["vignette"], row["option"], as_float(row["percent"])) for row in rows] == TABLE_4
    assert {int(row["n"]) for row in rows} == {PANEL}


# -- the study -----------------------------------------------------------------------


def test_the_mayo_study_from_template_to_table_3_and_table_4(open_page, transactional_db, request, tmp_path):
    started = time.monotonic()
    allow_study_creation(get_user_model().objects.create_user("fellow", "fellow@example.org", "a-long-test-password"))
    facilitator = open_page(DESKTOP)
    sign_in(facilitator, "fellow")

    # The study from the one-click template.
    facilitator.get_by_role("link", name="New study").click()
    facilitator.get_by_label("Start from the Mayo study template").check()
    facilitator.get_by_label("Slug").fill(SLUG)
    facilitator.get_by_role("button", name="Create the study").click()
    expect(facilitator.get_by_role("heading", name=re.compile("Round 1"))).to_be_visible()
    screenshot(facilitator, request, "1-created")

    # The panel and the analyst, invited by pasted lists.
    facilitator.goto(f"/studies/{SLUG}/invitations/")
    facilitator.get_by_label("Email addresses").fill("; ".join(email_of(n) for n in range(1, PANEL + 1)))
    facilitator.get_by_role("button", name="Send invitation").click()
    expect(facilitator.get_by_text(f"{PANEL} invitations are on their way")).to_be_visible()
    facilitator.get_by_label("Email addresses").fill("analyst@example.org")
    facilitator.get_by_label("Role").select_option(label="Analyst")
    facilitator.get_by_role("button", name="Send invitation").click()
    expect(facilitator.get_by_text("The invitation to analyst@example.org is on its way")).to_be_visible()
    links = links_by_email()
    assert len(links) == PANEL + 1
    panelists = [join(open_page, links[email_of(n)]) for n in range(1, PANEL + 1)]
    analyst = join(open_page, links["analyst@example.org"])
    roles = Membership.objects.filter(study__slug=SLUG).values_list("role", flat=True)
    assert sorted(roles) == sorted(["facilitator", "analyst"] + ["panelist"] * PANEL)
    joined = time.monotonic()

    options = dict(Round.objects.get(study__slug=SLUG, number=1).study.options.values_list("code", "pk"))
    for number in (1, 2, 3):
        open_round(facilitator, number)
        round_ = Round.objects.get(study__slug=SLUG, number=number)
        items = {item.code: item for item in round_.items.all()}
        assert len(items) == 21
        for panelist, page in enumerate(panelists):
            vote(page, panelist, number, items, options, request)
        # Sealed in the ballot box until the close counts them (SPEC 5).
        assert Ballot.objects.filter(round=round_, status=Ballot.Status.SUBMITTED).count() == PANEL
        close_and_release(facilitator, number, request)
        assert Submission.objects.filter(round=round_).count() == PANEL
        if number < 3:
            carry_everything_forward(facilitator, number)
    voted = time.monotonic()

    # The analyst downloads Table 3 and Table 4 of the last closed round, in both formats.
    analyst.goto("/")
    analyst.get_by_role("link", name="Results and exports").click()
    expect(analyst.get_by_text("Results of round 3 (consensus)")).to_be_visible()
    screenshot(analyst, request, "results")
    table_3 = ("Recommendations (Table 3)", "recommendations")
    table_4 = ("Not recommended (Table 4)", "not-recommended")
    check_table_3(read_csv(download(analyst, *table_3, "csv", tmp_path)), text=True)
    check_table_4(read_csv(download(analyst, *table_4, "csv", tmp_path)), text=True)
    check_table_3(read_xlsx(download(analyst, *table_3, "xlsx", tmp_path), "recommendations"), text=False)
    check_table_4(read_xlsx(download(analyst, *table_4, "xlsx", tmp_path), "not-recommended"), text=False)

    rounds = Round.objects.filter(study__slug=SLUG).order_by("number")
    assert [(r.number, r.status, r.results_released_at is not None) for r in rounds] == [
        (n, Round.Status.CLOSED, True) for n in (1, 2, 3)
    ]
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions.count("open") == actions.count("close") == 3
    print(
        f"\nwhole study: joined {joined - started:.1f} s, voted 3 rounds {voted - joined:.1f} s, "
        f"total {time.monotonic() - started:.1f} s"
    )
