"""Non-text contrast that axe-core does not check (WCAG 1.4.11, 2.4.7): controls' borders, the focus ring and the
feedback's bars stand out at 3:1 or more against what is behind them."""

import pytest

from tests.browser.pages import DESKTOP, sign_in
from tests.browser.test_voting_browser import round_with_feedback  # noqa: F401 (a fixture)

# The WCAG contrast ratio of two computed CSS colours, in the page.
RATIO = """([a, b]) => {
  const parse = c => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = rgb => {
    const [r, g, bl] = rgb.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [x, y] = [lum(parse(a)), lum(parse(b))].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}"""


def ratio(page, foreground: str, background: str) -> float:
    return page.evaluate(RATIO, [foreground, background])


def style(page, selector: str, prop: str) -> str:
    return page.evaluate(f"getComputedStyle(document.querySelector({selector!r})).{prop}")


def test_borders_focus_and_bars_stand_out(open_page, round_with_feedback, panelist):  # noqa: F811
    page = open_page(DESKTOP)
    sign_in(page, "panelist")
    page.goto(f"/studies/{round_with_feedback.study.slug}/rounds/2/")
    white, panel = "rgb(255, 255, 255)", style(page, ".feedback", "backgroundColor")

    checks = {
        "comment box border": ratio(page, style(page, "textarea", "borderTopColor"), white),
        "checkbox border": ratio(page, style(page, ".form-check-input", "borderTopColor"), white),
        "bar": ratio(page, style(page, ".feedback .bars span", "backgroundColor"), panel),
        "your answer's bar": ratio(page, style(page, ".feedback .bars tr.mine span", "backgroundColor"), panel),
    }
    page.locator("textarea").first.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    checks["focus ring"] = ratio(page, page.evaluate("getComputedStyle(document.activeElement).outlineColor"
                                                     " || getComputedStyle(document.activeElement).borderTopColor"),
                                 white)

    assert {name: round(value, 2) for name, value in checks.items() if value < 3} == {}
