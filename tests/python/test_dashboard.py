"""The dashboard in a real browser on the test shop's local build, and its data access on
both targets (the thrift one over the session's server)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from cartwheel.dashboard import data
from cartwheel.dashboard.screenshots import PAGES, running_dashboard, settle, visit
from cartwheel.server import free_port
from conftest import ROOT, DbtResult, ServerInfo, local_table, thrift_query

SCREENSHOTS = ROOT / "target" / "dashboard"
CAPTION = re.compile(r"([\d,]+) rows from (\S+)")
# charts each page must draw (a chart per question the issue lists)
MIN_CHARTS = {"overview": 1, "customers": 2, "products": 5, "funnel": 1, "recommender": 4}


@pytest.fixture(scope="module")
def dashboard(built_local: DbtResult, cartwheel_home: Path) -> Iterator[str]:
    with running_dashboard(free_port(), {"CARTWHEEL_TARGET": "local"}) as url:
        yield url


@pytest.fixture
def page(browser):
    page = browser.new_page()
    page.set_viewport_size({"width": 1300, "height": 2000})
    yield page
    page.close()


@pytest.mark.parametrize("name", PAGES)
def test_every_page_draws_its_charts_from_the_marts(
    dashboard: str, page, name: str, cartwheel_home: Path
) -> None:
    view = visit(page, dashboard, name, SCREENSHOTS / f"{name}.png")
    assert not view.errors and not view.messages, view.errors + view.messages
    assert len(view.chart_sizes) >= MIN_CHARTS[name], view
    assert all(w > 100 and h > 50 for w, h in view.chart_sizes), view.chart_sizes
    shown = [CAPTION.match(c).groups() for c in view.captions if CAPTION.match(c)]
    assert shown, view.captions
    for rows, mart in shown:  # each chart read its whole mart, which has rows
        mart = mart.strip("`")
        if mart == "*_rejected":
            continue
        expected = len(local_table(cartwheel_home, mart))
        assert int(rows.replace(",", "")) == expected > 0, (mart, rows)


def headline_protocol(home: Path) -> str:
    return str(local_table(home, "ml_evaluation_protocol")["headline_protocol"].iloc[0])


def test_user_lookup_shows_each_recommenders_list(
    dashboard: str, page, cartwheel_home: Path
) -> None:
    recs = local_table(cartwheel_home, "ml_recommendations")
    recs = recs[recs["protocol"] == headline_protocol(cartwheel_home)]
    user = recs["user_id"].value_counts().index[0]  # a user every model served
    page.goto(f"{dashboard}/recommender")
    settle(page)
    box = page.get_by_label("User id")
    box.fill(str(user))
    box.press("Enter")
    page.wait_for_selector('[data-testid="stTable"] th:has-text("product_id")')
    settle(page)
    tables = page.eval_on_selector_all(
        '[data-testid="stTable"] table',
        """ts => ts.map(t => ({
            head: [...t.querySelectorAll('thead th')].map(c => c.innerText.trim()),
            rows: [...t.querySelectorAll('tbody tr')].map(
                r => [...r.querySelectorAll('th, td')].map(c => c.innerText.trim())),
        }))""",
    )
    page.screenshot(path=str(SCREENSHOTS / "user-lookup.png"), full_page=True)
    lists = {}
    for table in tables:
        if table["head"] and table["head"][-1] not in ("product_id",) and len(table["head"]) == 2:
            model = table["head"][-1]
            lists[model] = [row[-1] for row in table["rows"]]
    expected = {
        model: group.sort_values("rank")["product_id"].astype(str).tolist()
        for model, group in recs[recs["user_id"] == user].groupby("model")
    }
    assert lists == expected


def test_a_missing_mart_names_the_command_that_builds_it(tmp_path: Path, monkeypatch) -> None:
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("CARTWHEEL_HOME", str(tmp_path))  # nothing built here
    monkeypatch.setenv("CARTWHEEL_TARGET", "local")
    app = AppTest.from_file(str(ROOT / "cartwheel" / "dashboard" / "app.py"), default_timeout=30)
    app.run()
    assert not app.exception
    infos = [info.value for info in app.info]
    assert (
        "`fct_interactions` is not built yet: run `dbt build --select +fct_interactions`"
        in (infos[0])
    )


@pytest.fixture(scope="module")
def warehouses(built_local, built_thrift, cartwheel_home: Path, spark_server: ServerInfo):
    return {
        "local": data.LocalWarehouse(cartwheel_home, "cartwheel"),
        "thrift": data.ThriftWarehouse(spark_server.host, spark_server.thrift_port, "cartwheel"),
    }


@pytest.mark.parametrize("target", ["local", "thrift"])
def test_data_access_reads_marts_and_binds_values(
    warehouses, target: str, cartwheel_home: Path, spark_server: ServerInfo
) -> None:
    warehouse = warehouses[target]
    users = warehouse.table("dim_users", ("user_id", "revenue"))
    expected = thrift_query(spark_server, "select count(*) from cartwheel.dim_users").iloc[0, 0]
    assert len(users) == len(local_table(cartwheel_home, "dim_users")) == int(expected)
    user = str(users["user_id"].iloc[0])
    events = local_table(cartwheel_home, "fct_interactions")
    history = warehouse.user_rows("fct_interactions", user)
    assert len(history) == int((events["user_id"] == user).sum()) > 0
    # a quote in the id is a value, never SQL: no rows, no error
    for hostile in (f"{user}' or '1'='1", "x'; drop table cartwheel.dim_users; --"):
        assert len(warehouse.user_rows("fct_interactions", hostile)) == 0
    assert len(warehouse.table("dim_users", ("user_id",))) == len(users)
    recs = warehouse.recommendations(user)
    assert set(recs.columns) >= {"model", "protocol", "rank", "product_id", "product_title"}
    with pytest.raises(ValueError, match="not a table or column name"):
        warehouse.table("dim_users; drop table x")
    with pytest.raises(data.MartMissing, match="dbt build --select \\+no_such_mart"):
        warehouse.table("no_such_mart")


def test_lorenz_curve_by_hand() -> None:
    curve = data.lorenz_curve(pd.Series([6, 1, 3]))
    assert curve["product_share"].round(4).tolist() == [0.0, 0.3333, 0.6667, 1.0]
    assert curve["interaction_share"].tolist() == [0.0, 0.1, 0.4, 1.0]
