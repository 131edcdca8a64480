"""Browser tests: Playwright's Python package driving Debian's Chromium, headless.

The browser is the system one (/usr/bin/chromium, installed by .ci/run with apt); Playwright never
downloads its own.
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("MUJUN_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("MUJUN_SCREENSHOTS", Path(__file__).resolve().parents[2] / "screenshots"))

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make between browser
# steps are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install it with `apt-get install chromium` (see .ci/run)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A browser tab on the live server. Whatever the test does, no page may break the Content-Security-Policy
    (Chromium reports each blocked script, style or image on the console)."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base = live_server.url
    page.csp_violations = []
    page.on(
        "console", lambda m: "Content Security Policy" in m.text and page.csp_violations.append(f"{page.url}: {m.text}")
    )
    yield page
    context.close()
    assert page.csp_violations == []


@pytest.fixture
def screenshot():
    """Save a full-page screenshot under screenshots/ for people to look at."""

    def take(page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def logged_in(page):
    def login(username: str, password: str, lands: str = "/"):
        """Sign in and wait for the page the user lands on (a judge's or handler's own work, else home)."""
        page.goto(page.base + "/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(page.base + lands)
        return page

    return login


@pytest.fixture
def start_city_run(page):
    """Start the city-wide run of 湖州市2024年度亩均效益评价 on the run form and return it, evaluated."""

    def start():
        from mujun.evaluation.models import Run

        page.goto(page.base + "/evaluation/runs/add/")
        page.select_option("select[name=scheme]", label="湖州市2024年度亩均效益评价")
        page.select_option("select[name=region]", label="湖州市")
        page.click("form button[type=submit]")
        page.wait_for_url("**/evaluation/runs/*/")
        page.wait_for_load_state()
        run = Run.objects.get()
        assert run.status == Run.Status.DONE, run.message
        return run

    return start
