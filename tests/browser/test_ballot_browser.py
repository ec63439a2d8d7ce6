"""The panelist's ballot in a real browser at 360x740 and 1280x800: it never loses work, and it reads right.

Each test runs at both sizes, checks the page with axe-core and keeps a
screenshot in test-results/browser/.
"""

import re

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from surveys.models import Ballot
from tests.browser.pages import (
    LAPTOP,
    SCREENSHOTS,
    SMALL_PHONE,
    horizontal_overflow,
    screenshot,
    serious_accessibility_violations,
    shot,
    sign_in,
)
from tests.browser.test_voting_browser import round_with_feedback  # noqa: F401 (a fixture)
from tests.factories import ballot_for, items_by_code, option_ids, sealed_answers
from tests.surveys.views.panelist.test_ballot_page import BASE_TEXT, built_in_passes  # noqa: F401 (a fixture)
from tests.surveys.views.panelist.test_feedback_right import merged_round  # noqa: F401 (a fixture)

SIZES = [pytest.param(SMALL_PHONE, id="360x740"), pytest.param(LAPTOP, id="1280x800")]
SAVED = re.compile(r"Draft saved automatically at \d")


def open_ballot(open_page, round_, size, username="panelist"):
    page = open_page(size)
    sign_in(page, username)
    page.goto(f"/studies/{round_.study.slug}/rounds/{round_.number}/")
    return page


def answer_the_required_items(page, items):
    page.locator(f"label[for='item-{items['likert'].pk}-7']").click()
    page.locator(f"label[for='item-{items['categorical'].pk}-3']").click()
    page.locator(f"label[for='item-{items['top'].pk}-{option_ids(items['top'])[0]}']").click()
    for option in option_ids(items["rank"]):
        page.get_by_role("button", name=re.compile(r"Rank .* next")).and_(
            page.locator(f"li[data-option='{option}'] [data-rank]")
        ).click()


@pytest.mark.parametrize("size", SIZES)
def test_the_nine_points_fit_one_row_with_each_scale_word_under_its_own_button(
    open_page, round_with_feedback, size, request  # noqa: F811
):
    likert = items_by_code(round_with_feedback)["likert"].pk
    page = open_ballot(open_page, round_with_feedback, size)

    buttons = [page.locator(f"label[for='item-{likert}-{value}']").bounding_box() for value in range(1, 10)]
    assert len({round(box["y"]) for box in buttons}) == 1, "the nine buttons wrap"
    words = {}
    for value, side in ((1, "start"), (5, "mid"), (9, "end")):
        word = page.locator(f"label[for='item-{likert}-{value}'] .anchor-{side}").bounding_box()
        button = buttons[value - 1]
        assert word["y"] >= button["y"] + button["height"] - 1, f"the words of {value} are not under it"
        edge = {
            "start": (word["x"], button["x"]),
            "mid": (word["x"] + word["width"] / 2, button["x"] + button["width"] / 2),
            "end": (word["x"] + word["width"], button["x"] + button["width"]),
        }[side]
        assert abs(edge[0] - edge[1]) < 2, f"the words of {value} are not under their own button"
        words[value] = word
    assert words[1]["x"] + words[1]["width"] <= words[5]["x"] and words[5]["x"] + words[5]["width"] <= words[9]["x"]
    assert horizontal_overflow(page) <= 0
    assert serious_accessibility_violations(page) == []
    # The row and the words under it, clear of the sticky buttons at the foot of the screen.
    row = page.locator(f"#item-{likert} .likert")
    row.evaluate("el => el.scrollIntoView({block: 'center'})")
    area = row.bounding_box()
    top = area["y"] + page.evaluate("window.scrollY") - 8
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(
        path=str(SCREENSHOTS / f"{request.node.name}-likert.png"),
        full_page=True,
        clip={"x": 0, "y": top, "width": size["width"], "height": area["height"] + 56},
    )
    screenshot(page, request)


@pytest.mark.parametrize("size", SIZES)
def test_each_vignette_appears_once_with_all_its_items(open_page, built_in_passes, panelist, size, request):  # noqa: F811
    page = open_ballot(open_page, built_in_passes, size)

    expect(page.get_by_text(BASE_TEXT)).to_have_count(1)
    expect(page.locator("section.vignette")).to_have_count(2)
    assert page.evaluate(
        "() => { const ids = [...document.querySelectorAll('[id]')].map(e => e.id);"
        " return ids.filter((id, i) => ids.indexOf(id) !== i); }"
    ) == []
    base = page.locator("section.vignette").first
    expect(base.locator("fieldset.item")).to_have_count(4)
    page.get_by_role("link", name="Read the Base vignette").click()
    expect(page.get_by_text(BASE_TEXT)).to_be_in_viewport()
    assert serious_accessibility_violations(page) == []
    screenshot(page, request)


@pytest.mark.parametrize("size", SIZES)
def test_a_ranking_starts_unranked_and_one_tap_ranks_one_option(open_page, voting_round, panelist, size, request):
    rank = items_by_code(voting_round)["rank"]
    first, second, third = option_ids(rank)
    page = open_ballot(open_page, voting_round, size)
    boxes = {option: page.locator(f"#item-{rank.pk}-{option}") for option in (first, second, third)}
    for box in boxes.values():
        expect(box).to_have_value("")

    page.locator(f"li[data-option='{third}'] [data-rank]").click()

    expect(boxes[third]).to_have_value("1")
    expect(boxes[first]).to_have_value("")
    expect(boxes[second]).to_have_value("")
    # Ranked options come first; "×" takes one out again.
    expect(page.locator(f"#item-{rank.pk} li").first).to_have_attribute("data-option", str(third))
    page.locator(f"li[data-option='{first}'] [data-rank]").click()
    page.locator(f"li[data-option='{first}'] [data-move='up']").click()
    expect(boxes[first]).to_have_value("1")
    expect(boxes[third]).to_have_value("2")
    page.locator(f"li[data-option='{third}'] [data-unrank]").click()
    expect(boxes[third]).to_have_value("")
    # The rows moved under the pointer: let the hovered button's colour transition end before axe reads it.
    page.mouse.move(0, 0)
    page.wait_for_timeout(300)
    assert serious_accessibility_violations(page) == []
    shot(page.locator(f"#item-{rank.pk}"), request, "ranking")
    expect(page.get_by_text(SAVED)).to_be_visible()
    assert sealed_answers(voting_round, panelist)["rank"].options == ((first, 1),)


@pytest.mark.parametrize("size", SIZES)
def test_a_draft_saves_itself_and_the_page_says_when(open_page, voting_round, panelist, size, request):
    likert = items_by_code(voting_round)["likert"].pk
    page = open_ballot(open_page, voting_round, size)

    page.locator(f"label[for='item-{likert}-6']").click()

    expect(page.get_by_text("Changes not saved yet.")).to_be_visible()
    expect(page.get_by_text(SAVED)).to_be_visible()
    assert Ballot.objects.get().status == Ballot.Status.DRAFT
    assert sealed_answers(voting_round, panelist)["likert"].rating == 6
    # Saved, the panelist leaves without being asked.
    page.get_by_role("link", name="Delphi").click()
    expect(page.get_by_role("heading", name="Your studies")).to_be_visible()
    page.go_back()
    expect(page.locator(f"#item-{likert}-6")).to_be_checked()
    screenshot(page, request)


@pytest.mark.parametrize("size", SIZES)
def test_leaving_with_changes_not_saved_asks_first(open_page, voting_round, panelist, size):
    ballot_for(voting_round, panelist, Ballot.Status.SUBMITTED)
    likert = items_by_code(voting_round)["likert"].pk
    page = open_ballot(open_page, voting_round, size)
    asked = []

    def answer(dialog):
        asked.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", answer)
    # A submitted ballot changes only when its panelist presses the button: nothing saves it meanwhile.
    page.locator(f"label[for='item-{likert}-4']").click()
    page.get_by_role("link", name="Delphi").click()

    expect(page.locator(f"#item-{likert}-4")).to_be_checked()
    assert asked == ["beforeunload"]
    assert "/rounds/1/" in page.url
    assert sealed_answers(voting_round, panelist) == {}


@pytest.mark.parametrize("size", SIZES)
def test_a_submit_from_an_expired_session_keeps_the_input_and_completes_after_signing_in(
    open_page, voting_round, panelist, size, request
):
    items = items_by_code(voting_round)
    page = open_ballot(open_page, voting_round, size)
    answer_the_required_items(page, items)
    page.locator(f"#item-{items['comment'].pk}-text").fill("Written before the session ended.")

    Session.objects.all().delete()
    page.get_by_role("button", name="Submit").click()

    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_text("Your session had ended")).to_be_visible()
    screenshot(page, request, "sign-in")
    page.get_by_label("Username").fill("panelist")
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_text("your answers are submitted")).to_be_visible()
    assert Ballot.objects.get().status == Ballot.Status.SUBMITTED
    sealed = sealed_answers(voting_round, panelist)
    assert sealed["likert"].rating == 7 and sealed["comment"].text == "Written before the session ended."


@pytest.mark.parametrize("size", SIZES)
def test_a_comment_the_browser_lets_through_is_accepted_whole(open_page, voting_round, panelist, size):
    items = items_by_code(voting_round)
    page = open_ballot(open_page, voting_round, size)
    answer_the_required_items(page, items)
    box = page.locator(f"#item-{items['comment'].pk}-text")
    box.click()
    # Typed text with a line break after every 18 letters; the browser stops at 2,000 as it counts,
    # which it sends as 2,105 characters.
    page.keyboard.insert_text("\n".join(["x" * 18] * 120))
    typed = box.input_value()
    assert len(typed) == 2000 and typed.count("\n") == 105

    page.get_by_role("button", name="Submit").click()

    expect(page.get_by_text("your answers are submitted")).to_be_visible()
    assert sealed_answers(voting_round, panelist)["comment"].text == typed


@pytest.mark.parametrize("size", SIZES)
def test_a_facilitator_previews_the_ballot_as_the_panel_will_see_it(
    open_page, round_with_feedback, facilitator, size, request  # noqa: F811
):
    from surveys.models import Round

    Round.objects.filter(pk=round_with_feedback.pk).update(status=Round.Status.DRAFT)
    page = open_page(size)
    sign_in(page, "facilitator")
    page.goto(f"/studies/{round_with_feedback.study.slug}/rounds/2/manage/")

    page.get_by_role("link", name="Preview as a panelist").click()

    expect(page.get_by_text("A preview of the ballot as each panelist will see it")).to_be_visible()
    expect(page.get_by_text("The panel in round 1 (n = 3)").first).to_be_visible()
    expect(page.get_by_role("button", name="Submit")).to_be_disabled()
    likert = items_by_code(round_with_feedback)["likert"].pk
    page.locator(f"label[for='item-{likert}-8']").click()
    expect(page.locator(f"#item-{likert}-8")).to_be_checked()
    assert horizontal_overflow(page) <= 0
    assert serious_accessibility_violations(page) == []
    screenshot(page, request)
    assert not Ballot.objects.filter(round=round_with_feedback).exists()


@pytest.mark.parametrize("size", SIZES)
def test_the_feedback_pools_a_merged_option_keeps_each_wording_and_tells_four_point_answers_in_words(
    open_page, merged_round, size, request  # noqa: F811
):
    page = open_ballot(open_page, merged_round, size)
    merged_item = merged_round.items.get(type="categorical")
    listed = merged_round.items.get(type="not_recommended")

    shares = page.locator(f"#item-{listed.pk} .option-shares tbody tr")
    expect(shares.filter(has_text="TCA or MAO-I")).to_contain_text("75%")
    expect(shares.filter(has_text="ECT")).to_contain_text("0%")
    feedback = page.locator(f"#item-{merged_item.pk} .feedback")
    expect(feedback).to_have_count(2)
    expect(feedback.nth(0)).to_contain_text("Wording then: “How would you rate TCA as the next treatment for this patient?”")
    expect(feedback.nth(1)).to_contain_text("Wording then: “How would you rate MAO-I as the next treatment for this patient?”")
    expect(feedback.nth(0)).to_contain_text("Your answer then: Likely to recommend")
    expect(feedback.nth(0)).to_contain_text("Would recommend (likely or definitely): 75%")
    expect(feedback.nth(0).locator("tr.mine th")).to_have_text("Likely to recommend")
    assert horizontal_overflow(page) <= 0
    assert serious_accessibility_violations(page) == []
    shot(page.locator(f"#item-{merged_item.pk}"), request, "merged-feedback")
