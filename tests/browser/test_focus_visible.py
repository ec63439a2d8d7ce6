"""A keyboard user on a phone always sees what has focus: nothing it focuses sits under the sticky Save/Submit bar
(WCAG 2.2, 2.4.11 Focus Not Obscured)."""

from tests.browser.pages import sign_in
from tests.browser.test_voting_browser import round_with_feedback  # noqa: F401 (a fixture)

SMALL_PHONE = {"width": 360, "height": 740}

# The page scrolls smoothly to what takes focus: measure once it has stopped.
SETTLED = """async () => {
  let last = -1;
  for (let frame = 0; frame < 120 && window.scrollY !== last; frame++) {
    last = window.scrollY;
    await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
  }
}"""

COVERED = """() => {
  const el = document.activeElement;
  const bar = document.querySelector('.vote-actions');
  if (!el || el === document.body || bar.contains(el)) return null;
  // A clipped radio shows its focus on its label, the button a panelist sees.
  const shown = getComputedStyle(el).clip === 'rect(0px, 0px, 0px, 0px)' && el.labels.length ? el.labels[0] : el;
  const box = shown.getBoundingClientRect(), barBox = bar.getBoundingClientRect();
  return box.bottom > barBox.top + 0.5 ? `${el.tagName}#${el.id || el.name}: ${box.bottom} > ${barBox.top}` : null;
}"""


def test_no_focused_control_hides_under_the_sticky_bar(open_page, round_with_feedback, panelist):  # noqa: F811
    page = open_page(SMALL_PHONE)
    sign_in(page, "panelist")
    page.goto(f"/studies/{round_with_feedback.study.slug}/rounds/2/")

    covered, seen = [], set()
    for _ in range(200):
        page.keyboard.press("Tab")
        page.evaluate(SETTLED)
        focused = page.evaluate("document.activeElement && (document.activeElement.id || document.activeElement.name)")
        problem = page.evaluate(COVERED)
        if problem:
            covered.append(problem)
        if page.evaluate("document.querySelector('.vote-actions').contains(document.activeElement)"):
            break
        seen.add(focused)

    assert len(seen) > 10, seen
    assert covered == []
