"""The order in which dbt starts ready nodes: longest chain first (adapter/scheduling.py)."""

from __future__ import annotations

import networkx as nx
from dbt.adapters.cartwheel.scheduling import longest_chain_first, remaining_chain_lengths

from conftest import DbtResult


def test_remaining_chain_lengths_by_hand() -> None:
    # a -> b -> c -> d, a -> e, f alone: the longest path from a is a b c d (4 nodes)
    graph = nx.DiGraph([("a", "b"), ("b", "c"), ("c", "d"), ("a", "e")])
    graph.add_node("f")
    assert remaining_chain_lengths(graph) == {"a": 4, "b": 3, "c": 2, "d": 1, "e": 1, "f": 1}


def test_the_longer_chain_goes_first_ties_in_dbts_order() -> None:
    graph = nx.DiGraph([("mart", "mart_test"), ("split", "train"), ("train", "metrics")])
    depth = {"mart": 0, "mart_test": 1, "split": 0, "train": 1, "metrics": 2}
    scores = longest_chain_first(graph, depth)
    assert sorted(graph.nodes, key=scores.__getitem__) == [
        "split",  # 3 nodes still to run
        "mart",  # 2, at depth 0
        "train",  # 2, at depth 1
        "mart_test",  # 1, at depth 1
        "metrics",  # 1, at depth 2
    ]


def test_a_one_thread_build_runs_the_ml_chain_before_the_marts_off_it(
    built_local: DbtResult,
) -> None:
    """The session's build runs one thread. The analytic marts below end their chains (the
    mart, then its tests) and are ready as soon as the lake's fact and the star are
    tested. In dbt's own order (the order nodes become ready; replayed on this DAG) they
    ran at about position 75-110 of ~235 and the recommenders at ~200; longest chain
    first, the recommenders (eight nodes still to run after them, to `ml_runs`) run
    before any of them."""
    order = [result["unique_id"] for result in built_local.run_results["results"]]
    position = {unique_id: i for i, unique_id in enumerate(order)}
    recommenders = position["model.cartwheel.ml_recommendations"]
    for mart in ("customer_cohorts", "funnel_conversion", "seasonal_demand"):
        assert recommenders < position[f"model.cartwheel.{mart}"], mart
