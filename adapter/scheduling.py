"""Longest chain first: which ready node dbt starts when a thread comes free.

dbt-core's runner moves every node that becomes ready out of its `GraphQueue` and into the
thread pool's first-in-first-out queue at once (`GraphRunnableTask.run_queue`); the queue's
own priority (depth in the DAG) only orders nodes that become ready at the same moment. So
a build runs its nodes in the order they became ready. On cartwheel's DAG that is the wrong
order: its longest chain (the REES46 parse, the lake's fact, the ML splits, tuning,
validation, the recommenders, their metrics) is most of a build's wall time, but each node
on it joins the back of a queue of shallow marts and tests that became ready earlier. In
the 200k-event demo with two threads the ML chain waited ~37 s between `ml_split_train` and
`ml_tuning` behind analytic marts and their tests.

Two changes, made when dbt loads the adapter (`install()`, from the package's `__init__`):

* the queue hands out a node only when one of the pool's threads is free, so the choice is
  made when a thread can start it, among every node ready by then;
* it chooses the node with the most nodes on the longest chain still to run after it (its
  own included), ties in dbt's order (depth, then name): the classic list-scheduling rule
  ("highest level first", Hu 1961; the critical path method). Every node counts as one.

With one thread the work is the same, only its order changes. dbt has no setting for either
(dbt-core is pinned below 1.12, whose runner this was written against); `install()` fails
loudly if the methods it wraps are gone.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import networkx as nx


def remaining_chain_lengths(graph: nx.DiGraph) -> dict[Hashable, int]:
    """For each node, the number of nodes on the longest path from it to a sink (the node
    itself included: a sink is 1)."""
    lengths: dict[Hashable, int] = {}
    for node in reversed(list(nx.topological_sort(graph))):
        lengths[node] = 1 + max((lengths[child] for child in graph.successors(node)), default=0)
    return lengths


def longest_chain_first(
    graph: nx.DiGraph, depth_scores: Mapping[Hashable, int]
) -> dict[Hashable, tuple[int, int]]:
    """Queue scores (lower runs first): the longest remaining chain first, then dbt's own
    depth score."""
    lengths = remaining_chain_lengths(graph)
    return {node: (-lengths[node], depth_scores[node]) for node in graph.nodes}


def _original(cls: type, name: str) -> Any:
    method = cls.__dict__.get(name)
    if method is None:
        raise RuntimeError(f"dbt-core's {cls.__name__} has no {name}: check the dbt-core pin")
    return method


def install() -> None:
    """Make dbt start, whenever a thread is free, the ready node with the longest chain
    still to run after it."""
    from dbt.graph.queue import GraphQueue
    from dbt.task.runnable import GraphRunnableTask

    depth_scores = _original(GraphQueue, "_get_scores")
    if getattr(depth_scores, "_cartwheel", False):
        return
    get = _original(GraphQueue, "get")
    run_queue = _original(GraphRunnableTask, "run_queue")

    def _get_scores(self: GraphQueue, graph: nx.DiGraph) -> dict:
        return longest_chain_first(graph, depth_scores(self, graph))

    def get_when_a_thread_is_free(self: GraphQueue, *args: Any, **kwargs: Any) -> Any:
        limit = getattr(self, "cartwheel_threads", None)
        if limit:
            with self.some_task_done:  # mark_done notifies it, under the queue's lock
                while len(self.in_progress) >= limit:
                    self.some_task_done.wait(timeout=1.0)
        return get(self, *args, **kwargs)

    def run_queue_in_thread_order(self: GraphRunnableTask, pool: Any) -> None:
        if self.job_queue is not None:
            self.job_queue.cartwheel_threads = getattr(pool, "max_threads", None)
        return run_queue(self, pool)

    _get_scores._cartwheel = True  # type: ignore[attr-defined]
    GraphQueue._get_scores = _get_scores  # type: ignore[method-assign,assignment]
    GraphQueue.get = get_when_a_thread_is_free  # type: ignore[method-assign]
    GraphRunnableTask.run_queue = run_queue_in_thread_order  # type: ignore[method-assign]
