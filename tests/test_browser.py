"""The site in a real browser: Debian's headless Chromium driven by Playwright, against
``datasette serve -i kb.db -m metadata.yml`` on a free local port, as scripts/serve runs it.

Skipped (with the reason) when Playwright or Chromium is missing; ``scripts/setup --test``
installs both. ``KB_SCREENSHOTS=1`` also writes docs/search.png, docs/article.png and
docs/search-phone.png.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from helpers import REPO_ROOT
from web_fixtures import build_site

CHROMIUM = os.environ.get("KB_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)")
PHONE = {"width": 390, "height": 844}
DOCS = REPO_ROOT / "docs"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The base URL of Datasette serving a freshly built index, read-only."""
    db_path = build_site(tmp_path_factory.mktemp("browser"))
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "datasette", "serve", "-i", str(db_path), "-m",
         str(REPO_ROOT / "metadata.yml"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/-/versions.json", timeout=1).read()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("datasette did not start: " + process.stderr.read().decode()[-2000:])
            time.sleep(0.2)
    yield base
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        # --no-sandbox: CI runs as root in a container, where Chromium's sandbox cannot start
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="ja-JP", viewport={"width": 1100, "height": 900})
    yield context.new_page()
    context.close()


def search_for(page, server: str, query: str) -> None:
    page.goto(server + "/-/search")
    submit(page, query)


def submit(page, query: str) -> None:
    """Type a query into the box and press Enter, as a patient does; wait for the results."""
    page.fill("#kb-q", query)
    with page.expect_navigation():
        page.press("#kb-q", "Enter")
    page.wait_for_selector("ol.kb-hits li")


def test_a_japanese_query_shows_ranked_results_and_the_symptom_panel(page, server):
    search_for(page, server, "背中が熱い")
    assert "q=%E8%83%8C%E4%B8%AD" in page.url
    hits = page.locator("ol.kb-hits > li")
    assert hits.count() == 10
    first = hits.first.locator(".kb-hit-title a")
    assert "/-/articles/hirai-back-heat" in first.get_attribute("href")
    scores = [float(s) for s in hits.evaluate_all("els => els.map(e => e.dataset.score)")]
    assert scores == sorted(scores, reverse=True)
    assert hits.first.locator("mark").count() >= 1
    warning = page.locator("#kb-symptom .kb-warning")
    assert warning.is_visible()
    assert "rgb(198, 40, 40)" in warning.evaluate("e => getComputedStyle(e).borderTopColor")
    assert page.locator("#kb-symptom .kb-relation-cause li").count() >= 3
    if os.environ.get("KB_SCREENSHOTS"):
        DOCS.mkdir(exist_ok=True)
        page.set_viewport_size({"width": 1000, "height": 1300})
        page.screenshot(path=str(DOCS / "search.png"))


def test_a_result_leads_to_its_section_in_the_article(page, server):
    search_for(page, server, "背中が熱い")
    first = page.locator("ol.kb-hits > li").first.locator(".kb-hit-title a")
    heading = first.inner_text()
    with page.expect_navigation():
        first.click()
    assert "/-/articles/hirai-back-heat" in page.url
    assert page.locator("h1").inner_text().startswith("背中が熱いのは")
    anchor = page.url.split("#", 1)[1]
    section = page.locator(f"section#{anchor}")
    assert heading in section.inner_text()
    assert section.is_visible()
    # the section the patient came for stands out from the rest of the article
    assert section.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 251, 230)"
    if os.environ.get("KB_SCREENSHOTS"):
        page.goto(server + "/-/articles/hirai-back-heat")
        page.set_viewport_size({"width": 1000, "height": 1300})
        page.screenshot(path=str(DOCS / "article.png"))


def test_switching_to_english_keeps_the_query_and_stays_english(page, server):
    search_for(page, server, "背中が熱い")
    with page.expect_navigation():
        page.click("a.kb-lang-switch")
    assert page.locator("h1").inner_text() == "Search by symptom"
    assert page.input_value("#kb-q") == "背中が熱い"
    submit(page, "upper back feels hot")
    assert "upper+back" in page.url
    assert page.locator("h1").inner_text() == "Search by symptom"
    assert "lang=en" in page.url


def test_an_english_browser_gets_english(browser, server):
    context = browser.new_context(locale="en-US")
    try:
        page = context.new_page()
        page.goto(server + "/-/search")
        assert page.locator("h1").inner_text() == "Search by symptom"
    finally:
        context.close()


def test_phone_layout_fits_the_screen(browser, server):
    context = browser.new_context(locale="ja-JP", viewport=PHONE, is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
    try:
        page = context.new_page()
        search_for(page, server, "めまい 何科")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px phone"
        box = page.locator("#kb-q").bounding_box()
        assert box["width"] >= PHONE["width"] * 0.7  # the box takes the screen's width
        assert page.locator("#kb-symptom").is_visible()
        font = page.locator("#kb-q").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        assert font >= 16  # smaller text makes phones zoom into the box
        if os.environ.get("KB_SCREENSHOTS"):
            page.screenshot(path=str(DOCS / "search-phone.png"))
        with page.expect_navigation():
            page.locator("ol.kb-hits > li").first.locator(".kb-hit-title a").click()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()


def test_a_script_in_an_article_never_runs(page, server):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    for path in ("/-/articles/evil", "/-/search?q=しびれ 危険", "/-/duplicates?article=evil",
                 "/kb/sections?_search=しびれ", "/-/boilerplate"):
        page.goto(server + path)
        page.wait_for_load_state("load")
    assert dialogs == []
    page.goto(server + "/-/articles/evil")
    assert "<script>alert('kb')</script>" in page.locator("h1").inner_text()
