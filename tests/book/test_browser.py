"""The built book in a real browser (Debian's chromium driven by playwright).

Serves the built book (``_build/html``, or ``$GENOLEARN_BOOK_HTML``: see ``pages.py``) on
127.0.0.1 and checks, page by page (every file in ``_toc.yml``): no console errors, no request
leaves the machine, every image loads, math is rendered by the bundled MathJax, exercise
solutions start collapsed and open on click, every internal link resolves; and that search finds
a glossary term. A full-page screenshot of each page is saved under ``screenshots/`` beside the
HTML folder (``_build/screenshots/``) for inspection. Build the book first (``make test`` does).
The server and browser fixtures are in ``conftest.py``.
"""

from __future__ import annotations

import shutil
from urllib.parse import unquote, urljoin, urlparse

import pytest

from tests.book.pages import HTML, PAGES

SHOTS = HTML.parent / "screenshots"


@pytest.fixture(scope="module", autouse=True)
def screenshots_dir():
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)


def open_page(browser, url):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: (
            problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None
        ),
    )
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))

    def only_local(route):
        if urlparse(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            problems.append(f"request leaves the machine: {route.request.url}")
            route.abort()

    page.route("**/*", only_local)
    page.goto(url, wait_until="networkidle")
    return page, problems


@pytest.mark.parametrize("doc", PAGES)
def test_page_renders(browser, server, doc):
    url = urljoin(server, doc + ".html")
    page, problems = open_page(browser, url)
    try:
        # Lazy images load when scrolled into view.
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        page.wait_for_load_state("networkidle")
        broken = page.evaluate(
            "Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0))"
            ".map(i => i.src)"
        )
        assert not broken, f"images that did not load: {broken}"

        if page.locator(".math").count():
            page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise")
            page.evaluate("MathJax.startup.promise")
            page.wait_for_selector("mjx-container", state="attached", timeout=15000)
            assert page.locator("mjx-container").count() >= page.locator(".math").count() * 0.9

        solutions = page.locator("div.solution.dropdown")
        for i in range(solutions.count()):
            sol = solutions.nth(i)
            body = sol.locator(".solution-content, section").first
            assert not body.is_visible(), f"solution {i} is open before any click"
            sol.locator("button.toggle-button").first.click()
            body.wait_for(state="visible", timeout=5000)

        hrefs = page.evaluate("Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")
        for href in hrefs:
            parsed = urlparse(href)
            if parsed.hostname not in ("127.0.0.1", "localhost"):
                continue
            target = HTML / unquote(parsed.path).lstrip("/")
            if target.is_dir():
                target = target / "index.html"
            assert target.exists(), f"{doc}: link to missing {parsed.path}"
            if parsed.fragment and target.suffix == ".html":
                text = target.read_text(encoding="utf-8")
                frag = unquote(parsed.fragment)
                assert f'id="{frag}"' in text, (
                    f"{doc}: link to missing anchor #{frag} in {parsed.path}"
                )

        page.screenshot(path=str(SHOTS / (doc.replace("/", "__") + ".png")), full_page=True)
        assert not problems, "\n".join(problems)
    finally:
        page.close()


def test_search_finds_a_glossary_term(browser, server):
    page, problems = open_page(browser, urljoin(server, "search.html?q=perceptron"))
    try:
        page.wait_for_selector("#search-results li", timeout=20000)
        links = page.evaluate(
            "Array.from(document.querySelectorAll('#search-results li a')).map(a => a.href)"
        )
        assert any("glossary" in link for link in links), links
        assert not problems, "\n".join(problems)
    finally:
        page.close()
