"""Playwright driving Debian's Chromium against pytest-django's live server.

Playwright's sync API runs an asyncio event loop in the test's thread, and
Django then refuses ORM calls from that thread (SynchronousOnlyOperation)
even though they are plain synchronous calls. DJANGO_ALLOW_ASYNC_UNSAFE is
Django's documented switch for this case ("Async safety",
https://docs.djangoproject.com/en/5.2/topics/async/#async-safety).
"""

import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.browser.pages import PHONE  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    # Fail, never skip: a missing browser must not turn the browser suite green.
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install -y chromium).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def site_url(live_server, settings):
    """Mailed links point at the live server, as SITE_URL points at the site in production."""
    settings.SITE_URL = live_server.url


@pytest.fixture
def open_page(browser, live_server):
    """Opens a page of the given viewport on the live server; closes them all afterwards.

    Every page also fails the test if the browser reports a breach of the
    Content-Security-Policy (an inline script or style that the policy blocks).
    """
    contexts = []
    violations = []

    def watch(message):
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    def open_(viewport=PHONE):
        context = browser.new_context(viewport=viewport, base_url=live_server.url)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("console", watch)
        return page

    yield open_
    for context in contexts:
        context.close()
    assert not violations, f"the Content-Security-Policy blocked: {violations}"
