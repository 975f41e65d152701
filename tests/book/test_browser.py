"""The built book in a real browser (Debian's chromium driven by playwright).

Serves ``_build/html`` on 127.0.0.1 and checks, page by page (every file in ``_toc.yml``): no
console errors, no request leaves the machine, every image loads, math is rendered by the
bundled MathJax, exercise solutions start collapsed and open on click, every internal link
resolves; and that search finds a glossary term. A full-page screenshot of each page is saved
under ``_build/screenshots/`` for inspection. Build the book first (``make test`` does).
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        for chapter in part["chapters"]:
            files.append(chapter["file"])
            files += [s["file"] for s in chapter.get("sections", [])]
    return files


PAGES = toc_files()


@pytest.fixture(scope="module")
def server():
    if not (HTML / "index.html").exists():
        pytest.fail("_build/html is missing: build the book first (`make book`; `make test` does)")
    handler = functools.partial(QuietHandler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


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
