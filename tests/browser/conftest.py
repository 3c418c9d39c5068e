"""Fixtures of the browser tests: one headless Debian Chromium per test process, a fresh context and
page per test, and on failure a screenshot (and the page's HTML) in tests/browser/artifacts/."""

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, LabServer, chromium_missing

expect.set_options(timeout=TIMEOUT_MS)  # assertions wait as long as actions do


@pytest.fixture(scope="session")
def browser():
    from tests.support.notebook import skip_or_fail

    reason = chromium_missing()
    if reason:
        skip_or_fail(reason, "BROWSER_TESTS_REQUIRED")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        # launch() gives every browser a fresh temporary profile (user-data-dir) of its own.
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, device_scale_factor=1,
                                  reduced_motion="reduce")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.console_lines = []  # kept for the failure report
    page.on("console", lambda message: message.type in ("error", "warning")
            and page.console_lines.append(f"console.{message.type}: {message.text}"))
    page.on("pageerror", lambda error: page.console_lines.append(f"page error: {error}"))
    yield page
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    from playwright.sync_api import Page

    funcargs = getattr(item, "funcargs", {})
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.name)
    notes = []
    for value in funcargs.values():
        if isinstance(value, Page) and not value.is_closed():
            ARTIFACTS.mkdir(exist_ok=True)
            for number, page in enumerate(value.context.pages):
                suffix = f"-{number}" if number else ""
                try:
                    page.screenshot(path=ARTIFACTS / f"{stem}{suffix}.png", full_page=True, timeout=15_000)
                    (ARTIFACTS / f"{stem}{suffix}.html").write_text(page.content())
                    notes.append(f"screenshot: {ARTIFACTS / f'{stem}{suffix}.png'} (page {page.url})")
                except Exception as error:  # noqa: BLE001 - a crashed page: say so, keep the original failure
                    notes.append(f"no screenshot of {page.url}: {error}")
            if getattr(value, "console_lines", None):
                notes.append("browser console (last 30 lines):\n" + "\n".join(value.console_lines[-30:]))
        elif isinstance(value, LabServer):
            notes.append(f"jupyter lab log (last lines):\n{value.log_tail(40)}")
    if notes:
        report.sections.append(("browser artefacts", "\n".join(notes)))
