"""Helpers the browser tests share: accessibility, layout, sign-in, screenshots."""

from pathlib import Path

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "browser"
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1200, "height": 900}
# A small phone, the narrowest a panelist votes on between clinics, and a common laptop.
SMALL_PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1280, "height": 800}


def serious_accessibility_violations(page) -> list[str]:
    """axe-core's serious and critical findings on the page, as readable lines."""
    # Evaluated through the DevTools protocol: a <script> tag would be (rightly)
    # refused by the Content-Security-Policy, which allows no inline script.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    violations = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[node['target'] for node in v['nodes']][:3]}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


def accessibility_violations(page, *, allowed: frozenset[str] = frozenset()) -> list[str]:
    """axe-core's findings of every impact (WCAG 2.0-2.2 A and AA, and best practices), but for rules `allowed`."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    violations = page.evaluate(
        "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa',"
        " 'best-practice']})).violations"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[node['target'] for node in v['nodes']][:3]}"
        for v in violations
        if v["id"] not in allowed
    ]


CONTROL_ROLES = {"button", "checkbox", "combobox", "link", "listbox", "radio", "searchbox", "slider", "spinbutton",
                 "switch", "textbox", "menuitem", "tab"}


def unnamed_controls(page) -> list[str]:
    """Controls without an accessible name, as Chromium's accessibility tree (what a screen reader reads) has them."""
    session = page.context.new_cdp_session(page)
    try:
        nodes = session.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        session.detach()
    return [
        f"{node['role']['value']} (backend node {node.get('backendDOMNodeId')})"
        for node in nodes
        if not node.get("ignored")
        and node.get("role", {}).get("value") in CONTROL_ROLES
        and not node.get("name", {}).get("value", "").strip()
    ]


def horizontal_overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth") - page.evaluate("window.innerWidth")


def sign_in(page, username, password="a-long-test-password"):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


def screenshot(page, request, step: str = ""):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{request.node.name}{'-' + step if step else ''}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def shot(locator, request, step: str):
    """A screenshot of one part of a page (a long phone page whole is too tall to read)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{request.node.name}-{step}.png"
    locator.screenshot(path=str(path))
    return path
