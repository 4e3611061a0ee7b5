"""The docs site works in a real browser: headless Chromium against `dbt docs serve`.

After the session's `dbt build` (local target), `dbt docs generate` writes the site to
`target/pytest-local*/` and `cartwheel.docs` adds dbt-colibri's column lineage and dbterd's
ERD beside it; `dbt docs serve` serves it on a free port, driven with Playwright over
Debian's `/usr/bin/chromium` (`scripts/ensure-chromium.sh` installs it; no browser
download). Checks: the page loads without console or page errors, the project tree lists
our marts, the model page and full-screen lineage of `LINEAGE_MODEL` show its upstream
models, the overview links the column lineage and the ERD, the column lineage traces
`fct_order_items.revenue` back to the raw REES46 line, and the ERD draws `fct_interactions`
joined to its dimensions. Screenshots go to `target/docs-*.png`.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import pytest
from playwright.sync_api import BrowserContext, Page

from cartwheel import docs
from cartwheel.server import free_port, port_answers
from conftest import BIN, ROOT, dbt_target_path, run_dbt

# The model whose lineage is checked and screenshotted (one line to change).
LINEAGE_MODEL = "ml_recommendations"
# Marts the project tree must list; the first two are required, the rest when they exist.
TREE_MODELS = ("dim_users", "fct_interactions", "ml_recommendations")
REQUIRED_TREE_MODELS = ("dim_users", "fct_interactions")
PROJECT = "cartwheel"

SCREENSHOT = ROOT / "target" / "docs-lineage.png"
GRAPH_TYPES = {"model", "seed", "snapshot", "source"}

# dbt-docs draws its lineage with cytoscape into <div id="cy">; cytoscape keeps the
# instance on its container (`_cyreg`). Visible nodes and whether each is drawn inside the
# container's box.
GRAPH_JS = """() => {
  const el = document.getElementById('cy');
  if (!el || !el._cyreg || !el._cyreg.cy) return null;
  const cy = el._cyreg.cy, w = el.clientWidth, h = el.clientHeight;
  const nodes = {};
  cy.nodes().filter(n => n.visible()).forEach(n => {
    const p = n.renderedPosition();
    nodes[n.id()] = p.x >= 0 && p.x <= w && p.y >= 0 && p.y <= h;
  });
  return {width: w, height: h, nodes: nodes};
}"""


@dataclass
class Problems:
    """Console errors, page errors and failed requests seen by one page."""

    items: list[str] = field(default_factory=list)

    @staticmethod
    def ignored(url: str) -> bool:
        # dbt-docs' own index.html: a favicon it links as an unrendered webpack
        # `${require(...)}` string, and `<use xlink:href="{{ getIcon(...) }}">` icons the
        # browser requests literally before AngularJS interpolates them. Both 404 in every
        # dbt-docs site and say nothing about ours.
        text = unquote(url)
        return "favicon" in text or ("{{" in text and "}}" in text)

    def watch(self, page: Page) -> None:
        def on_console(message) -> None:
            if message.type == "error" and not self.ignored(message.location.get("url", "")):
                self.items.append(f"console error: {message.text} ({message.location})")

        def on_response(response) -> None:
            if response.status >= 400 and not self.ignored(response.url):
                self.items.append(f"HTTP {response.status}: {response.url}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.items.append(f"page error: {error}"))
        page.on(
            "requestfailed",
            lambda request: (
                self.ignored(request.url)
                or self.items.append(f"request failed: {request.url} ({request.failure})")
            ),
        )
        page.on("response", on_response)


@dataclass(frozen=True)
class DocsSite:
    url: str
    manifest: dict
    site: Path

    def unique_id(self, name: str) -> str | None:
        uid = f"model.{PROJECT}.{name}"
        return uid if uid in self.manifest["nodes"] else None

    def parents(self, unique_id: str) -> list[str]:
        return self.manifest["nodes"][unique_id]["depends_on"]["nodes"]

    def ancestors(self, unique_id: str) -> set[str]:
        """Everything upstream that the lineage graph draws (models, seeds, sources...)."""
        seen: set[str] = set()
        todo = [unique_id]
        while todo:
            node = self.manifest["nodes"].get(todo.pop())
            for parent in node["depends_on"]["nodes"] if node else []:
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return {uid for uid in seen if uid.split(".")[0] in GRAPH_TYPES}


@pytest.fixture(scope="module")
def docs_site(built_local) -> Iterator[DocsSite]:
    """`dbt docs generate` on the built local target and the two extra pages, as `make
    docs` does, served by `dbt docs serve` on a free port."""
    result = run_dbt("docs", "generate", target="local")
    assert result.returncode == 0, result.output[-5000:]
    site = dbt_target_path("local")
    catalog = json.loads((site / "catalog.json").read_text())
    assert f"model.{PROJECT}.dim_users" in catalog["nodes"], "catalog lacks the built tables"
    docs.generate(site)
    port = free_port()
    server = subprocess.Popen(
        [
            str(BIN / "dbt"), "docs", "serve", "--host", "127.0.0.1", "--port", str(port),
            "--no-browser", "--target-path", str(site), "--project-dir", str(ROOT),
        ],
        cwd=ROOT, env={**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not port_answers("127.0.0.1", port):
            assert server.poll() is None, "dbt docs serve exited"
            assert time.monotonic() < deadline, "dbt docs serve did not answer in 60 s"
            time.sleep(0.2)
        manifest = json.loads((site / "manifest.json").read_text())
        yield DocsSite(f"http://127.0.0.1:{port}", manifest, site)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


@pytest.fixture
def page(browser: BrowserContext) -> Iterator[tuple[Page, Problems]]:
    page = browser.new_page()
    problems = Problems()
    problems.watch(page)
    try:
        yield page, problems
    finally:
        page.close()


def open_site(page: Page, url: str) -> None:
    """Load a docs URL and wait until the app has read manifest.json and catalog.json."""
    page.goto(url)
    page.wait_for_function("document.querySelectorAll('a.menu-node').length > 0")


def graph_state(page: Page) -> dict:
    state = page.evaluate(GRAPH_JS)
    assert state is not None, "no cytoscape graph in <div id='cy'>"
    return state


def wait_for_graph(page: Page, expected: set[str], min_width: int) -> dict:
    """Wait until the lineage graph is laid out, shows `expected`, and is wide enough."""
    page.wait_for_function(
        f"""(expected) => {{
            const g = ({GRAPH_JS})();
            return g && g.width >= {min_width}
                && expected.every(id => g.nodes[id] === true);
        }}""",
        arg=sorted(expected),
    )
    return graph_state(page)


def test_site_loads_without_errors(docs_site: DocsSite, page) -> None:
    page, problems = page
    open_site(page, f"{docs_site.url}/#!/overview")
    assert "dbt Docs" in page.title()
    model = docs_site.unique_id("dim_users")
    open_site(page, f"{docs_site.url}/#!/model/{model}")
    page.locator("h1", has_text="dim_users").first.wait_for()
    assert problems.items == []


def test_project_tree_lists_the_marts(docs_site: DocsSite, page) -> None:
    page, problems = page
    open_site(page, f"{docs_site.url}/#!/overview")
    # Tree entries: <a class="menu-node" data-nav-unique-id="model.cartwheel.x"
    # title="x (protected)">; the visible label is ellipsised for long names, the title not.
    links = page.locator("a.menu-node[data-nav-unique-id]").evaluate_all(
        "links => Object.fromEntries(links.map(a => [a.dataset.navUniqueId, a.title]))"
    )
    tree = {uid: title.split(" (", 1)[0] for uid, title in links.items()}
    expected = [
        name
        for name in TREE_MODELS
        if name in REQUIRED_TREE_MODELS or docs_site.unique_id(name) is not None
    ]
    missing = [name for name in expected if tree.get(f"model.{PROJECT}.{name}") != name]
    models = sorted(title for uid, title in tree.items() if uid.startswith("model."))
    assert not missing, f"project tree lacks {missing}; its models: {models}"

    for name in expected:
        # Opening a model shows its page and expands the tree down to its entry.
        uid = f"model.{PROJECT}.{name}"
        page.goto(f"{docs_site.url}/#!/model/{uid}")
        page.locator("h1", has_text=name).first.wait_for()
        page.locator(f'a.menu-node[data-nav-unique-id="{uid}"]').first.wait_for(state="visible")
    # A built table's page shows the column types read from catalog.json.
    page.goto(f"{docs_site.url}/#!/model/{docs_site.unique_id('dim_users')}")
    page.wait_for_function(
        """() => Array.from(document.querySelectorAll('tr.column-row'))
            .some(row => row.cells.length > 1 && row.cells[1].textContent.trim() !== '')"""
    )
    assert problems.items == []


def test_lineage_shows_upstream_models(docs_site: DocsSite, page) -> None:
    page, problems = page
    model = docs_site.unique_id(LINEAGE_MODEL)
    assert model, f"{LINEAGE_MODEL} is not in the manifest: update LINEAGE_MODEL"
    parents = set(docs_site.parents(model))
    ancestors = docs_site.ancestors(model)
    assert parents, f"{LINEAGE_MODEL} has no upstream nodes in the manifest"

    # The model page: its "Depends On" section links to each direct parent.
    open_site(page, f"{docs_site.url}/#!/model/{model}")
    depends_on = page.locator("#depends_on ~ .section-content")
    depends_on.locator("a[href]").first.wait_for()
    links = {
        href.rsplit("/", 1)[-1]
        for href in depends_on.locator("a[href]").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        )
    }
    assert parents <= links, f"Depends On shows {sorted(links)}, expected {sorted(parents)}"

    # The lineage launcher opens the side graph of the model: it and its direct parents.
    page.click('a[title="View Lineage Graph"]')
    side = wait_for_graph(page, parents | {model}, min_width=100)
    assert model in side["nodes"]

    # Full screen: `?g_v=1` with the selection +model+, every upstream node drawn.
    page.locator('a[title="View Fullscreen"]:visible').click()
    page.wait_for_url(lambda url: "g_v=1" in url)
    assert f"+{LINEAGE_MODEL}+" in unquote(page.url)
    full = wait_for_graph(page, ancestors | {model}, min_width=1000)
    not_drawn = sorted(ancestors - {uid for uid, inside in full["nodes"].items() if inside})
    assert not not_drawn, f"upstream nodes not drawn: {not_drawn}"

    page.mouse.move(700, 600)  # no tooltip over the graph
    page.wait_for_timeout(500)  # let cytoscape finish painting the canvas
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 20_000

    # The same URL opened directly shows the same lineage.
    url = page.url
    page.goto("about:blank")
    open_site(page, url)
    direct = wait_for_graph(page, ancestors | {model}, min_width=1000)
    assert set(direct["nodes"]) == set(full["nodes"])
    assert problems.items == []


# fct_order_items.revenue back to the raw REES46 line, by hand from the SQL: revenue is
# quantity x price of fct_interactions, whose price is stg_rees46__events.price, parsed
# from the raw CSV line (`value`) in base_rees46__parsed_events.
REVENUE_UPSTREAM = {
    ("model.cartwheel.fct_interactions", "price"),
    ("model.cartwheel.stg_rees46__events", "price"),
    ("model.cartwheel.base_rees46__parsed_events", "price"),
    ("source.cartwheel.rees46.events", "value"),
}
ERD_ENTITY = re.compile(r"entity-([A-Z0-9_]+)-\d+_entity-([A-Z0-9_]+)-\d+")


def test_overview_links_the_column_lineage_and_the_erd(docs_site: DocsSite, page) -> None:
    page, problems = page
    open_site(page, f"{docs_site.url}/#!/overview")
    for text, path in (
        ("Column-level lineage", "colibri/index.html"),
        ("The star schema", "erd/index.html"),
    ):
        link = page.get_by_role("link", name=text).first
        link.wait_for()
        assert link.get_attribute("href") == path
    with page.expect_navigation():
        page.get_by_role("link", name="The star schema").first.click()
    page.wait_for_selector("pre.mermaid svg")
    assert page.url == f"{docs_site.url}/erd/index.html"
    assert problems.items == []


def test_column_lineage_traces_revenue_back_to_the_raw_price(docs_site: DocsSite, page) -> None:
    page, problems = page
    page.goto(f"{docs_site.url}/colibri/index.html")
    # the report's data, the file the page is drawn from: every column's upstream columns
    report = json.loads((docs_site.site / "colibri" / "colibri-manifest.json").read_text())
    parents = report["lineage"]["parents"]
    upstream, todo = set(), [("model.cartwheel.fct_order_items", "revenue")]
    while todo:
        node, column = todo.pop()
        for parent in parents.get(node, {}).get(column, []):
            edge = (parent["dbt_node"], parent["column"])
            if edge not in upstream:
                upstream.add(edge)
                todo.append(edge)
    assert REVENUE_UPSTREAM <= upstream, sorted(upstream)

    # the page: select the column and open its upstream (the node's left "+"): the fact
    # that feeds it appears, joined by the column's edge
    page.get_by_placeholder("Filter models...").first.fill("fct_order_items")
    page.get_by_text("fct_order_items", exact=True).first.click()
    page.get_by_text("revenue", exact=True).first.click()
    mart = page.locator(".react-flow__node", has_text="fct_order_items").first
    mart.locator("button").nth(1).dispatch_event("click")
    page.locator(".react-flow__node", has_text="fct_interactions").first.wait_for()
    page.locator(".react-flow__edge").first.wait_for()
    page.screenshot(path=str(ROOT / "target" / "docs-column-lineage.png"))
    assert problems.items == []


def test_erd_draws_the_star_schema(docs_site: DocsSite, page) -> None:
    page, problems = page
    page.goto(f"{docs_site.url}/erd/index.html")
    page.wait_for_selector("pre.mermaid svg")
    lines = page.locator("svg path.relationshipLine")
    drawn = {
        tuple(name.lower() for name in ERD_ENTITY.search(line_id).groups())
        for line_id in lines.evaluate_all(
            "ps => ps.filter(p => p.getTotalLength() > 0).map(p => p.id)"
        )
    }
    for dim in ("dim_users", "dim_products", "dim_date"):
        assert ("fct_interactions", dim) in drawn, sorted(drawn)
    # every relationships test between facts and dimensions is drawn, and nothing else
    declared = set()
    for node in docs_site.manifest["nodes"].values():
        meta = node.get("test_metadata") or {}
        if node["resource_type"] == "test" and meta.get("name") == "relationships":
            child = node["attached_node"].rsplit(".", 1)[-1]
            parent = re.search(r"ref\('([a-z_0-9]+)'\)", meta["kwargs"]["to"]).group(1)
            if child.startswith(("fct_", "dim_")) and parent.startswith(("fct_", "dim_")):
                declared.add((child, parent))
    assert drawn == declared
    page.screenshot(path=str(ROOT / "target" / "docs-erd.png"), full_page=True)
    assert problems.items == []
