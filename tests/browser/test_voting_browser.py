"""The voting form in a real browser: a phone, a keyboard, a mouse, and axe-core."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from surveys.models import Ballot, ItemLink, Membership
from surveys.ballot import AnswerInput
from surveys.services.rounds import round_open
from surveys.services.voting import answers_submit
from tests.browser.pages import DESKTOP, horizontal_overflow, screenshot, serious_accessibility_violations, sign_in
from tests.factories import (
    InvitationFactory,
    MembershipFactory,
    UserFactory,
    count,
    round_with_every_item_type,
    sealed_answers,
)

PASSWORD = "cardinal-violet-42"


def click_rating(page, item, value):
    page.locator(f"label[for='item-{item.pk}-{value}']").click()


def tab_to(page, condition: str, limit: int = 150):
    """Presses Tab until `condition` (JS over `el`, the focused element) holds."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return !!({condition}); }})()"):
            return
    pytest.fail(f"Tab never reached an element where {condition}")


def test_a_panelist_joins_by_invitation_and_votes_the_mayo_round_on_a_phone(open_page, mayo_study, request):
    round_1 = mayo_study.rounds.get(number=1)
    invitation = InvitationFactory(study=mayo_study, token="join-me", email="dr.lee@example.org")
    user = invitation.membership.user
    user.set_unusable_password()
    user.save()
    round_open(round=round_1, deadline=timezone.now() + timedelta(days=7))
    likert = list(round_1.items.filter(type="likert").order_by("position"))
    not_recommended = round_1.items.filter(type="not_recommended").order_by("position").first()
    comment = round_1.items.filter(type="comment").order_by("position").first()
    avoided = not_recommended.item_options.order_by("position").first().option_id

    page = open_page()
    page.goto("/invitations/join-me/")
    page.locator("#id_new_password1").fill(PASSWORD)
    page.locator("#id_new_password2").fill(PASSWORD)
    page.get_by_role("button", name="Set password and join").click()
    expect(page.get_by_text("Not started")).to_be_visible()
    assert horizontal_overflow(page) <= 0

    page.get_by_role("link", name=re.compile("Start")).click()
    # The voting page, loaded: evaluated while the link was still navigating, there was no document yet.
    expect(page.get_by_role("button", name="Submit")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert serious_accessibility_violations(page) == []
    for item, rating in zip(likert[:3], [8, 7, 9], strict=True):
        click_rating(page, item, rating)
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved")).to_be_visible()

    page.goto("/")
    expect(page.get_by_text("3 / 21 answered")).to_be_visible()
    page.get_by_role("link", name=re.compile("Continue")).click()
    expect(page.locator(f"#item-{likert[0].pk}-8")).to_be_checked()
    for item in likert[3:]:
        click_rating(page, item, 7)
    page.locator(f"label[for='item-{not_recommended.pk}-{avoided}']").click()
    page.locator(f"#item-{comment.pk}-text").fill("ECT deserves an earlier place.")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("your answers are submitted")).to_be_visible()

    page.get_by_role("link", name=re.compile("Review or change")).click()
    click_rating(page, likert[0], 6)
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("your answers are submitted")).to_be_visible()
    page.get_by_role("link", name=re.compile("Review or change")).click()
    expect(page.get_by_role("button", name="Save changes")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert screenshot(page, request).stat().st_size > 0

    sealed = {answer.item_id: answer for answer in sealed_answers(round_1, user).values()}
    ratings = {item.pk: sealed[item.pk].rating for item in likert}
    assert ratings == {item.pk: rating for item, rating in zip(likert, [6, 7, 9] + [7] * (len(likert) - 3))}
    assert [option for option, _rank in sealed[not_recommended.pk].options] == [avoided]
    assert sealed[comment.pk].text == "ECT deserves an earlier place."
    membership = Membership.objects.get(study=mayo_study, user=user)
    assert Ballot.objects.get(round=round_1, membership=membership).status == "submitted"


@pytest.fixture
def round_with_feedback(study, panelist, other_panelist):
    """Round 2 of every item type, continuing a round 1 that three panelists submitted (the study's minimum n)."""
    first = round_with_every_item_type(study, number=1)
    third = MembershipFactory(study=study, role=Membership.Role.PANELIST, user=UserFactory(username="third")).user
    for user, rating in ((panelist, 8), (other_panelist, 6), (third, 7)):
        likert = first.items.get(code="likert")
        comment = first.items.get(code="comment")
        answers_submit(
            round=first,
            membership=Membership.objects.get(study=study, user=user),
            answers=[
                AnswerInput(item_id=likert.pk, rating=rating),
                AnswerInput(item_id=comment.pk, text=f"Rated {rating}"),
            ],
        )
    count(first)
    second = round_with_every_item_type(study, number=2)
    parents = {item.code: item for item in first.items.all()}
    ItemLink.objects.bulk_create(ItemLink(parent=parents[item.code], child=item) for item in second.items.all())
    return second


def test_every_item_type_fits_a_phone_passes_axe_and_works_by_keyboard(open_page, round_with_feedback, panelist):
    items = {item.code: item for item in round_with_feedback.items.prefetch_related("item_options")}
    first, second, third = [link.option_id for link in items["rank"].item_options.order_by("position")]
    page = open_page()
    sign_in(page, "panelist")
    page.goto(f"/studies/{round_with_feedback.study.slug}/rounds/2/")

    expect(page.get_by_text("The panel in round 1 (n = 3)").first).to_be_visible()
    expect(page.get_by_text("Your answer then: 8")).to_be_visible()
    page.get_by_text("3 anonymous comments from the panel in round 1").click()
    expect(page.get_by_text("Rated 6")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert serious_accessibility_violations(page) == []

    likert = items["likert"].pk
    tab_to(page, f"el.name === 'item-{likert}'")
    page.keyboard.press("Space")
    for _ in range(6):
        page.keyboard.press("ArrowRight")
    expect(page.locator(f"#item-{likert}-7")).to_be_checked()
    # Every option starts unranked; "Rank" gives one option the next rank, and only that one.
    tab_to(page, f"el.hasAttribute('data-rank') && el.closest('li').dataset.option === '{second}'")
    page.keyboard.press("Enter")
    expect(page.locator(f"#item-{items['rank'].pk}-{second}")).to_have_value("1")
    expect(page.locator(f"#item-{items['rank'].pk}-{first}")).to_have_value("")
    tab_to(page, f"el.hasAttribute('data-rank') && el.closest('li').dataset.option === '{first}'")
    page.keyboard.press("Enter")
    expect(page.locator(f"#item-{items['rank'].pk}-{first}")).to_have_value("2")
    expect(page.locator(f"#item-{items['rank'].pk}-{third}")).to_have_value("")
    # Each move is said in the ranking's live region: what moved, and where.
    names = {link.option_id: link.option.name for link in items["rank"].item_options.all()}
    status = page.locator(f"#item-{items['rank'].pk} [data-ranking-status]")
    expect(status).to_have_attribute("role", "status")
    expect(status).to_have_text(f"{names[first]}: rank 2 of the 2 ranked.")
    page.keyboard.press("Alt+ArrowUp")
    expect(page.locator(f"#item-{items['rank'].pk}-{first}")).to_have_value("1")
    expect(status).to_have_text(f"{names[first]}: rank 1 of the 2 ranked.")
    page.keyboard.press("Alt+ArrowDown")
    expect(status).to_have_text(f"{names[first]}: rank 2 of the 2 ranked.")
    tab_to(page, "el.value === 'draft'")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Draft saved")).to_be_visible()

    sealed = sealed_answers(round_with_feedback, panelist)
    assert sealed["likert"].rating == 7
    assert sorted(sealed["rank"].options, key=lambda pair: pair[1]) == [(second, 1), (first, 2)]


def test_a_ranking_can_be_reordered_by_dragging(open_page, voting_round, panelist):
    rank = voting_round.items.get(code="rank")
    first, second, third = [link.option_id for link in rank.item_options.order_by("position")]
    page = open_page(DESKTOP)
    sign_in(page, "panelist")
    page.goto(f"/studies/{voting_round.study.slug}/rounds/1/")

    page.locator(f"li[data-option='{third}']").drag_to(
        page.locator(f"li[data-option='{first}']"), target_position={"x": 20, "y": 3}
    )

    # Dropped at the top, the option is ranked first; the others stay unranked.
    expect(page.locator(f"#item-{rank.pk}-{third}")).to_have_value("1")
    expect(page.locator(f"#item-{rank.pk}-{first}")).to_have_value("")
    page.locator(f"li[data-option='{first}']").drag_to(
        page.locator(f"li[data-option='{third}']"), target_position={"x": 20, "y": 30}
    )
    expect(page.locator(f"#item-{rank.pk}-{first}")).to_have_value("2")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved", exact=False).first).to_be_visible()
    ranking = sorted(sealed_answers(voting_round, panelist)["rank"].options, key=lambda pair: pair[1])
    assert [option for option, _rank in ranking] == [third, first]
