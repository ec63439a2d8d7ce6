"""The voting form in a real browser: a phone, a keyboard, a mouse, and axe-core."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from surveys.models import Answer, ItemLink, Membership, Round, RoundCompletion, Submission
from surveys.ballot import AnswerInput
from surveys.services.participants import participant_for
from surveys.services.rounds import round_open
from surveys.services.voting import answers_submit
from tests.browser.pages import DESKTOP, horizontal_overflow, screenshot, serious_accessibility_violations, sign_in
from tests.factories import InvitationFactory, round_with_every_item_type

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
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert screenshot(page, request).stat().st_size > 0

    participant = participant_for(study=mayo_study, user=user)
    ratings = dict(Answer.objects.filter(participant=participant, item__type="likert").values_list("item_id", "rating"))
    assert ratings == {item.pk: rating for item, rating in zip(likert, [6, 7, 9] + [7] * (len(likert) - 3))}
    marked = Answer.objects.get(participant=participant, item=not_recommended).chosen
    assert list(marked.values_list("option_id", flat=True)) == [avoided]
    assert Answer.objects.get(participant=participant, item=comment).text == "ECT deserves an earlier place."
    assert Submission.objects.filter(round=round_1, participant=participant).exists()
    membership = Membership.objects.get(study=mayo_study, user=user)
    assert RoundCompletion.objects.get(round=round_1, membership=membership).status == "submitted"


@pytest.fixture
def round_with_feedback(study, panelist, other_panelist):
    """Round 2 of every item type, continuing a round 1 that both panelists submitted."""
    first = round_with_every_item_type(study, number=1)
    for user, rating in ((panelist, 8), (other_panelist, 6)):
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
    Round.objects.filter(pk=first.pk).update(status=Round.Status.CLOSED)
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

    expect(page.get_by_text("The panel in round 1 (n = 2)").first).to_be_visible()
    expect(page.get_by_text("Your answer then: 8")).to_be_visible()
    page.get_by_text("2 anonymous comments from the panel in round 1").click()
    expect(page.get_by_text("Rated 6")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert serious_accessibility_violations(page) == []

    likert = items["likert"].pk
    tab_to(page, f"el.name === 'item-{likert}'")
    page.keyboard.press("Space")
    for _ in range(6):
        page.keyboard.press("ArrowRight")
    expect(page.locator(f"#item-{likert}-7")).to_be_checked()
    tab_to(page, f"el.dataset.move === 'down' && el.closest('li').dataset.option === '{first}'")
    page.keyboard.press("Enter")
    expect(page.locator(f"#item-{items['rank'].pk}-{second}")).to_have_value("1")
    expect(page.locator(f"#item-{items['rank'].pk}-{first}")).to_have_value("2")
    tab_to(page, "el.value === 'draft'")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Draft saved")).to_be_visible()

    participant = participant_for(study=round_with_feedback.study, user=panelist)
    assert Answer.objects.get(participant=participant, item_id=likert).rating == 7
    ranking = Answer.objects.get(participant=participant, item=items["rank"]).chosen.order_by("rank")
    assert list(ranking.values_list("option_id", "rank")) == [(second, 1), (first, 2), (third, 3)]


def test_a_ranking_can_be_reordered_by_dragging(open_page, voting_round, panelist):
    rank = voting_round.items.get(code="rank")
    first, second, third = [link.option_id for link in rank.item_options.order_by("position")]
    page = open_page(DESKTOP)
    sign_in(page, "panelist")
    page.goto(f"/studies/{voting_round.study.slug}/rounds/1/")

    page.locator(f"li[data-option='{third}']").drag_to(
        page.locator(f"li[data-option='{first}']"), target_position={"x": 20, "y": 3}
    )

    expect(page.locator(f"#item-{rank.pk}-{third}")).to_have_value("1")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved")).to_be_visible()
    participant = participant_for(study=voting_round.study, user=panelist)
    ranking = Answer.objects.get(participant=participant, item=rank).chosen.order_by("rank")
    assert list(ranking.values_list("option_id", flat=True)) == [third, first, second]
