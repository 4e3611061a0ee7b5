"""Every dashboard page in a headless browser: what it shows, and a screenshot of it.

    python -m cartwheel.dashboard.screenshots [--out docs/dashboard]

starts the dashboard on a free port over the marts of `$CARTWHEEL_HOME` (run `make demo`
first), opens each page in Chromium (`/usr/bin/chromium`, as the docs test), waits for its
charts and saves `<out>/<page>.png`. The README's screenshots are made this way
(`make dashboard-screenshots`); the browser test uses the same `visit`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

PAGES = ("overview", "customers", "products", "funnel", "recommender")
CHROMIUM = "/usr/bin/chromium"
CHARTS = '[data-testid="stVegaLiteChart"]'
CAPTIONS = '[data-testid="stCaptionContainer"]'


@dataclass
class PageView:
    """What a page showed: captions ("N rows from `mart`"), charts drawn, errors."""

    name: str
    seconds: float
    captions: list[str] = field(default_factory=list)
    chart_sizes: list[tuple[int, int]] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@contextmanager
def running_dashboard(port: int, env: dict[str, str] | None = None) -> Iterator[str]:
    """`cartwheel dashboard --port N` in the background; yields its URL once it answers."""
    command = [sys.executable, "-m", "cartwheel.cli", "dashboard", "--port", str(port)]
    proc = subprocess.Popen(
        command,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the dashboard did not start on {url}")
            time.sleep(0.3)
        yield url
    finally:
        from cartwheel import processes

        processes.terminate(proc.pid)  # the whole group: the CLI and its streamlit child


STATE_JS = f"""() => [
    document.querySelectorAll('{CAPTIONS}').length,
    document.querySelectorAll('{CHARTS}').length,
    [...document.querySelectorAll('{CHARTS}')].filter(c => c.querySelector('canvas, svg')).length,
    document.querySelectorAll('[data-testid="stSkeleton"]').length,
    document.querySelectorAll('[data-testid="stAlert"], [data-testid="stException"]').length,
]"""


def page_url(url: str, name: str) -> str:
    """The first page is the app's default page, served at its root."""
    return f"{url}/" if name == PAGES[0] else f"{url}/{name}"


def settle(page, timeout: float = 60.0, quiet: float = 1.0) -> None:
    """Wait until the script has run: something shown, no skeleton, every chart drawn, and
    nothing changing for `quiet` seconds."""
    deadline = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        state = page.evaluate(STATE_JS)
        captions, charts, drawn, skeletons, alerts = state
        ready = (captions or alerts) and skeletons == 0 and drawn == charts
        if state != last:
            last, since = state, time.monotonic()
        elif ready and time.monotonic() - since >= quiet:
            return
        time.sleep(0.2)
    raise TimeoutError(f"the page did not settle within {timeout:.0f}s (last state {last})")


def visit(page, url: str, name: str, screenshot: Path | None = None) -> PageView:
    """Open one page, wait until its charts are drawn, and read what it shows."""
    started = time.monotonic()
    page.goto(page_url(url, name))
    settle(page)
    view = PageView(name, time.monotonic() - started)
    view.captions = page.eval_on_selector_all(CAPTIONS, "els => els.map(e => e.innerText)")
    view.chart_sizes = [
        tuple(size)
        for size in page.eval_on_selector_all(
            f"{CHARTS} canvas, {CHARTS} svg.marks",
            "els => els.map(e => [e.clientWidth, e.clientHeight])",
        )
    ]
    view.messages = page.eval_on_selector_all(
        '[data-testid="stAlert"]', "els => els.map(e => e.innerText)"
    )
    view.errors = page.eval_on_selector_all(
        '[data-testid="stException"]', "els => els.map(e => e.innerText)"
    )
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot), full_page=True)
    return view


def main(argv: list[str] | None = None) -> int:
    from playwright.sync_api import sync_playwright

    from cartwheel.server import free_port

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs") / "dashboard")
    args = parser.parse_args(argv)
    with running_dashboard(free_port()) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"], headless=True
        )
        page = browser.new_page(viewport={"width": 1300, "height": 2000})
        failed = False
        for name in PAGES:
            view = visit(page, url, name, args.out / f"{name}.png")
            failed |= bool(view.errors or view.messages)
            print(f"{name}: {len(view.chart_sizes)} charts, {view.seconds:.1f} s; "
                  f"{'; '.join(view.messages + view.errors) or 'ok'}")  # fmt: skip
        browser.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
