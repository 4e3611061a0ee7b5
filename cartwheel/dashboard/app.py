"""The cartwheel dashboard (Streamlit): one page per question a shop asks of its marts.

Run it with `cartwheel dashboard`. Each chart reads one mart through
`cartwheel.dashboard.data`; the app only arranges and draws. Under each chart a caption
names the mart and how many rows it read (the browser test checks those figures).
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from cartwheel.dashboard import data

DOCS_URL = "http://127.0.0.1:8080"


@st.cache_resource
def warehouse() -> data.Warehouse:
    return data.from_env()


@st.cache_data(ttl=60, show_spinner=False)
def load(name: str, columns: tuple[str, ...] | None = None) -> pd.DataFrame:
    return warehouse().table(name, columns)


def mart(name: str, columns: tuple[str, ...] | None = None) -> pd.DataFrame | None:
    """A mart, or None after telling the user how to build it."""
    try:
        return load(name, columns)
    except data.MartMissing as exc:
        st.info(str(exc))
        return None


def show_table(name: str, frame: pd.DataFrame, shown: pd.DataFrame | None = None) -> None:
    """A mart (or `shown`, part of it) as a table, with the mart's row count."""
    st.dataframe(frame if shown is None else shown, hide_index=True)
    st.caption(f"{len(frame):,} rows from `{name}`")


def show(chart: alt.Chart, name: str, frame: pd.DataFrame) -> None:
    st.altair_chart(chart, use_container_width=True)
    st.caption(f"{len(frame):,} rows from `{name}`")


def overview() -> None:
    st.header("Overview")
    events = mart("fct_interactions", ("event_at",))
    runs = mart("ml_runs", ("trained_at",))
    first, last, built = st.columns(3)
    if events is not None and len(events):
        first.metric("First event", f"{events['event_at'].min():%Y-%m-%d}")
        last.metric("Last event", f"{events['event_at'].max():%Y-%m-%d}")
    if runs is not None and len(runs):
        built.metric(
            "Last build (ML)", f"{pd.to_datetime(runs['trained_at']).max():%Y-%m-%d %H:%M}"
        )
    st.markdown(
        f"Lineage and every column's meaning: the dbt docs site ([{DOCS_URL}]({DOCS_URL}), "
        "`make docs`)."
    )
    st.subheader("Rows per source")
    audit = mart("audit_source_row_counts")
    if audit is not None:
        long = audit.melt(
            id_vars="source_name",
            value_vars=["staged_rows", "duplicate_rows", "rejected_rows"],
            var_name="outcome",
            value_name="rows",
        )
        chart = (
            alt.Chart(long)
            .mark_bar()
            .encode(
                x=alt.X("rows:Q", title="raw rows"),
                y=alt.Y("source_name:N", title=None),
                color="outcome:N",
                tooltip=["source_name", "outcome", "rows"],
            )
        )
        show(chart, "audit_source_row_counts", audit)
        st.dataframe(audit, hide_index=True)
    st.subheader("Rejected rows, by reason")
    reasons = data.rejected_reasons(warehouse())
    if len(reasons):
        chart = (
            alt.Chart(reasons)
            .mark_bar()
            .encode(x="rows:Q", y=alt.Y("reject_reason:N", title=None), color="source:N")
        )
        show(chart, "*_rejected", reasons)
    else:
        st.write("No rejected rows.")


def customers() -> None:
    st.header("Customers")
    users = mart("dim_users", ("user_id", "rfm_segment", "revenue", "is_high_value"))
    if users is not None:
        st.subheader("RFM segments")
        segments = users.groupby("rfm_segment", as_index=False).agg(
            users=("user_id", "count"), revenue=("revenue", "sum")
        )
        chart = (
            alt.Chart(segments)
            .mark_bar()
            .encode(
                x="users:Q", y=alt.Y("rfm_segment:N", sort="-x", title=None), tooltip=["revenue"]
            )
        )
        show(chart, "dim_users", users)
    high = mart("high_value_customers")
    if high is not None:
        st.subheader("High-value customers")
        top = high.sort_values("value_rank").head(20)
        columns = ["value_rank", "user_id", "revenue", "n_orders", "rfm_segment"]
        show_table("high_value_customers", high, top[columns])
    cohorts = mart("customer_cohorts")
    if cohorts is not None:
        st.subheader("Cohort retention")
        chart = (
            alt.Chart(cohorts)
            .mark_rect()
            .encode(
                x=alt.X("months_since_acquisition:O", title="months since first activity"),
                y=alt.Y("cohort_month:T", timeUnit="yearmonth", title="cohort"),
                color=alt.Color("retention_rate:Q", scale=alt.Scale(scheme="blues")),
                tooltip=[
                    "cohort_month",
                    "months_since_acquisition",
                    "retention_rate",
                    "cohort_size",
                ],
            )
        )
        show(chart, "customer_cohorts", cohorts)


def products() -> None:
    st.header("Products")
    summary = mart("product_analytics_summary")
    distribution = mart("product_popularity_distribution")
    if summary is not None:
        st.subheader("Popularity: the long tail")
        counts = summary[["n_views", "n_carts", "n_purchases"]].sum(axis=1)
        curve = pd.DataFrame({"rank": range(1, len(counts) + 1)}).assign(
            interactions=counts.sort_values(ascending=False).to_numpy()
        )
        left, right = st.columns(2)
        with left:
            show(
                alt.Chart(curve)
                .mark_line()
                .encode(
                    x=alt.X("rank:Q", title="product rank"),
                    y=alt.Y("interactions:Q", scale=alt.Scale(type="symlog")),
                ),
                "product_analytics_summary",
                summary,
            )
        with right:
            lorenz = data.lorenz_curve(counts)
            show(
                alt.Chart(lorenz).mark_line().encode(x="product_share:Q", y="interaction_share:Q"),
                "product_analytics_summary",
                summary,
            )
            if distribution is not None:
                overall = distribution[distribution["category"] == "all"]
                if len(overall):
                    st.metric("Gini (all products)", f"{overall['gini_coefficient'].iloc[0]:.3f}")
        st.subheader("Top products by category")
        categories = sorted(summary["category"].dropna().unique())
        if categories:
            category = st.selectbox("Category", categories)
            top = summary[summary["category"] == category].nlargest(10, "n_purchases")
            chart = (
                alt.Chart(top)
                .mark_bar()
                .encode(
                    x="n_purchases:Q", y=alt.Y("product_id:N", sort="-x"), tooltip=["product_title"]
                )
            )
            show(chart, "product_analytics_summary", summary)
    verified = mart("verified_purchase_impact")
    if verified is not None:
        st.subheader("Does a verified purchase change ratings?")
        chart = (
            alt.Chart(verified)
            .mark_bar()
            .encode(x="avg_rating:Q", y=alt.Y("review_group:N", title=None), tooltip=["n_reviews"])
        )
        show(chart, "verified_purchase_impact", verified)
    seasonal = mart("seasonal_demand")
    if seasonal is not None:
        st.subheader("Seasonal demand, year over year")
        monthly = seasonal[(seasonal["period_grain"] == "month") & (seasonal["category"] == "all")]
        if not len(monthly):
            monthly = seasonal[seasonal["period_grain"] == "month"]
        chart = (
            alt.Chart(monthly)
            .mark_line(point=True)
            .encode(
                x=alt.X("period_number:O", title="month"),
                y="n_purchases:Q",
                color="period_year:N",
                tooltip=["period_start_date", "n_purchases", "n_purchases_yoy_change"],
            )
        )
        show(chart, "seasonal_demand", seasonal)


def funnel() -> None:
    st.header("Funnel: view, cart, purchase")
    rows = mart("funnel_conversion")
    if rows is None:
        return
    stages = ["n_view_sessions", "n_cart_sessions", "n_purchase_sessions"]
    by_category = rows.groupby("category", as_index=False)[stages].sum()
    long = by_category.melt(id_vars="category", var_name="stage", value_name="sessions")
    chart = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("sessions:Q", scale=alt.Scale(type="symlog")),
            y=alt.Y("category:N", title=None),
            color=alt.Color("stage:N", sort=stages),
            yOffset=alt.YOffset("stage:N", sort=stages),
        )
    )
    show(chart, "funnel_conversion", rows)
    st.dataframe(rows.sort_values("n_view_sessions", ascending=False), hide_index=True)


def recommender() -> None:
    st.header("Recommender")
    metrics = mart("ml_metrics")
    protocol = mart("ml_evaluation_protocol")
    headline = None
    if protocol is not None and len(protocol):
        headline = protocol.iloc[0]
        st.write(
            f"Headline: target **{headline['headline_target']}**, protocol "
            f"**{headline['headline_protocol']}** ({headline['headline_protocol_reason']})."
        )
    if metrics is not None:
        head = metrics[metrics["is_headline"]]
        k = int(head["k"].max()) if len(head) else 10
        backtest = mart("ml_backtest")
        st.subheader(f"Leaderboard: Precision@{k}")
        board = head[["model", "precision_at_k", "recall_at_k", "ndcg_at_k", "map_at_k"]]
        if backtest is not None and headline is not None:
            spread = backtest[
                (backtest["metric"] == "precision_at_k")
                & (backtest["k"] == k)
                & (backtest["population"] == "all")
                & (backtest["target"] == headline["headline_target"])
                & (backtest["protocol"] == headline["headline_protocol"])
            ][["model", "mean_value", "std_value"]]
            board = board.merge(spread, on="model", how="left")
        bars = (
            alt.Chart(board)
            .mark_bar()
            .encode(
                x=alt.X("precision_at_k:Q", title=f"Precision@{k} (rule: backtest mean ± std)"),
                y=alt.Y("model:N", sort="-x", title=None),
            )
        )
        if "mean_value" in board:
            spread = board.assign(
                low=board["mean_value"] - board["std_value"],
                high=board["mean_value"] + board["std_value"],
            )
            bars += (
                alt.Chart(spread)
                .mark_rule(color="black")
                .encode(x="low:Q", x2="high:Q", y=alt.Y("model:N", sort="-x"))
            )
        show(bars, "ml_metrics", metrics)
        st.dataframe(board, hide_index=True)
        if headline is not None:
            st.subheader("Precision@K for several K")
            at_k = metrics[
                (metrics["target"] == headline["headline_target"])
                & (metrics["protocol"] == headline["headline_protocol"])
                & (metrics["population"] == "all")
            ]
            chart = (
                alt.Chart(at_k)
                .mark_line(point=True)
                .encode(x="k:O", y="precision_at_k:Q", color="model:N")
            )
            show(chart, "ml_metrics", metrics)
    revenue = mart("ml_revenue_simulation")
    if revenue is not None:
        st.subheader("Revenue uplift over the baseline (95% CI)")
        base = alt.Chart(revenue).encode(y=alt.Y("model:N", title=None))
        chart = base.mark_point(filled=True).encode(x="uplift_classic:Q") + base.mark_rule().encode(
            x="uplift_classic_ci_low:Q", x2="uplift_classic_ci_high:Q"
        )
        show(chart, "ml_revenue_simulation", revenue)
    ab_test = mart("ml_ab_test")
    if ab_test is not None:
        st.subheader("Simulated A/B test")
        show_table("ml_ab_test", ab_test)
    runs = mart("ml_runs")
    if runs is not None:
        st.subheader("Run history")
        chart = (
            alt.Chart(runs)
            .mark_line(point=True)
            .encode(x="trained_at:T", y="precision_at_k:Q", color="model:N")
        )
        show(chart, "ml_runs", runs)
    lookup(headline)


def lookup(headline: pd.Series | None) -> None:
    st.subheader("A user's history and recommendations")
    user_id = st.text_input("User id")
    if not user_id:
        return
    try:
        history = warehouse().user_rows("fct_interactions", user_id)
        recs = warehouse().recommendations(user_id)
    except data.MartMissing as exc:
        st.info(str(exc))
        return
    st.write(f"{len(history):,} events of user `{user_id}`")
    st.table(
        history.sort_values("event_at", ascending=False)
        .head(20)[["event_at", "event_type", "product_id", "category"]]
        .astype(str)
    )
    if headline is not None:
        recs = recs[recs["protocol"] == headline["headline_protocol"]]
    if not len(recs):
        st.write("No recommendations for this user.")
        return
    models = sorted(recs["model"].unique())
    for column, model in zip(st.columns(len(models)), models, strict=True):
        with column:
            st.markdown(f"**{model}**")
            shown = recs[recs["model"] == model].sort_values("rank")
            st.table(
                shown[["rank", "product_id"]]
                .rename(columns={"product_id": model})
                .astype(str)
                .set_index("rank")
            )


def main() -> None:
    st.set_page_config(page_title="cartwheel", layout="wide")
    pages = [
        st.Page(overview, title="Overview", url_path="overview", default=True),
        st.Page(customers, title="Customers", url_path="customers"),
        st.Page(products, title="Products", url_path="products"),
        st.Page(funnel, title="Funnel", url_path="funnel"),
        st.Page(recommender, title="Recommender", url_path="recommender"),
    ]
    st.navigation(pages).run()


main()
