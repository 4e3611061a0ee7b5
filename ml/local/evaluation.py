"""``ml.evaluation`` on pandas: the same per-slice aggregates (user counts, metric sums,
coverage, diversity) computed on the driver, assembled by ``ml.evaluation.assemble``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.columns import CATEGORY, ITEM, MODEL, RANK, USER
from ml.evaluation import PROTOCOL, PROTOCOLS, TARGET, TARGETS, assemble, checked_ks
from ml.matrix import run_positions
from ml.metrics import ideal_dcg

SLICE = [MODEL, TARGET, PROTOCOL]


def truth_slices(holdout: pd.DataFrame) -> pd.DataFrame:
    """``target, protocol, user_id, product_id, is_warm_user`` (``ml.evaluation.truth_slices``)."""
    base = holdout[holdout[USER].notna() & holdout[ITEM].notna()]
    slices = []
    for target in TARGETS:
        for protocol in PROTOCOLS:
            keep = np.ones(len(base), bool) if target == "interaction" else base["is_purchase"]
            if protocol == "new_items":
                keep = keep & ~base["is_repeat"]
            part = base.loc[np.asarray(keep, bool), [USER, ITEM, "is_warm_user"]]
            slices.append(part.assign(**{TARGET: target, PROTOCOL: protocol}))
    out = pd.concat(slices, ignore_index=True)
    return out.groupby([TARGET, PROTOCOL, USER, ITEM], as_index=False)["is_warm_user"].max()


@dataclass(frozen=True)
class Lists:
    """The recommendation lists as integer codes (one factorisation of each string column,
    so the aggregates below are array operations, not string joins and group-bys)."""

    model: np.ndarray  # index into model_names
    model_names: np.ndarray
    protocol: np.ndarray  # index into PROTOCOLS (-1: another protocol)
    user: np.ndarray  # index into user_names
    user_names: pd.Index
    item: np.ndarray  # index into item_names (-1: missing)
    item_names: pd.Index
    rank: np.ndarray

    @classmethod
    def of(cls, recs: pd.DataFrame) -> Lists:
        model, model_names = pd.factorize(recs[MODEL], sort=True)
        user, user_names = pd.factorize(recs[USER])
        item, item_names = pd.factorize(recs[ITEM])
        return cls(
            model=model.astype(np.int64),
            model_names=np.asarray(model_names, dtype=object),
            protocol=pd.Index(PROTOCOLS).get_indexer(recs[PROTOCOL]).astype(np.int64),
            user=user.astype(np.int64),
            user_names=pd.Index(user_names),
            item=item.astype(np.int64),
            item_names=pd.Index(item_names),
            rank=recs[RANK].to_numpy(np.int64),
        )

    def top(self, k: int) -> np.ndarray:
        """Rows ranked 1..k of a known protocol, user and item."""
        return (
            (self.rank >= 1)
            & (self.rank <= k)
            & (self.protocol >= 0)
            & (self.user >= 0)
            & (self.item >= 0)
        )


def _slice_code(frame: pd.DataFrame) -> np.ndarray:
    """(target, protocol) as one code: the target's position in ``TARGETS`` times the
    protocols, plus the protocol's in ``PROTOCOLS``."""
    targets = pd.Index(TARGETS).get_indexer(frame[TARGET])
    return targets * len(PROTOCOLS) + pd.Index(PROTOCOLS).get_indexer(frame[PROTOCOL])


def _slice_users(truth: pd.DataFrame, lists: Lists, columns: dict[str, tuple]) -> pd.DataFrame:
    """One row per (target, protocol, user) of the truth, with ``columns`` (named
    aggregations), ``slice`` (``_slice_code``) and ``key``: the slice and the user's code
    in ``lists`` (negative: no list)."""
    users = truth.groupby([TARGET, PROTOCOL, USER], as_index=False).agg(**columns)
    users["slice"] = slice_code = _slice_code(users)
    user = lists.user_names.get_indexer(users[USER])
    # a user without a list gets a negative key of its own (the keys stay unique)
    users["key"] = np.where(
        user >= 0, slice_code * len(lists.user_names) + user, -1 - np.arange(len(users))
    )
    return users


def _rows_of(users: pd.DataFrame, lists: Lists) -> np.ndarray:
    """The row in ``users`` (``_slice_users``) of each (slice, user) code, -1 for none: a
    dense lookup table (one entry per slice and listed user)."""
    row_of = np.full(len(TARGETS) * len(PROTOCOLS) * max(len(lists.user_names), 1), -1)
    keyed = users["key"].to_numpy() >= 0
    row_of[users["key"].to_numpy()[keyed]] = np.flatnonzero(keyed)
    return row_of


def _slice_sums(lists: Lists, truth: pd.DataFrame, ks: Sequence[int]) -> pd.DataFrame:
    """Per (model, target, protocol, warm): the users with a list and the sums of their
    per-user metrics at each k. A list row's hit is a lookup of its (target, protocol,
    user, item) code among the truth's; only the hits are then sorted (by user and rank)
    to count, for MAP, the hits up to each."""
    max_k = max(ks)
    users = _slice_users(truth, lists, {"n_truth": (ITEM, "size"), "warm": ("is_warm_user", "max")})
    n_users, n_items = max(len(lists.user_names), 1), max(len(lists.item_names), 1)
    truth_slice = truth.assign(
        _s=_slice_code(truth),
        _u=lists.user_names.get_indexer(truth[USER]),
        _i=lists.item_names.get_indexer(truth[ITEM]),
    )
    listed = truth_slice[(truth_slice["_u"] >= 0) & (truth_slice["_i"] >= 0)]
    truth_keys = np.unique(  # sorted
        (listed["_s"].to_numpy(np.int64) * n_users + listed["_u"].to_numpy()) * n_items
        + listed["_i"].to_numpy()
    )
    row_of = _rows_of(users, lists)

    top = lists.top(max_k)
    model, protocol, user = lists.model[top], lists.protocol[top], lists.user[top]
    item, rank = lists.item[top], lists.rank[top]
    groups, ranks, hits = [], [], []
    for t in range(len(TARGETS)):  # each list row once per target
        slice_user = (t * len(PROTOCOLS) + protocol) * n_users + user
        row = row_of[slice_user]  # the truth's user of this slice, or -1
        keep = row >= 0
        groups.append(model[keep] * len(users) + row[keep])
        ranks.append(rank[keep])
        key = slice_user[keep] * n_items + item[keep]  # a sorted search among the truth's
        at = np.minimum(np.searchsorted(truth_keys, key), max(len(truth_keys) - 1, 0))
        hits.append(truth_keys[at] == key if len(truth_keys) else np.zeros(len(key), bool))
    group, rank, hit = np.concatenate(groups), np.concatenate(ranks), np.concatenate(hits)
    n_groups = len(lists.model_names) * len(users)
    per_user = np.flatnonzero(np.bincount(group, minlength=n_groups))  # the users with a list
    # only hit rows add to the sums: MAP's hits so far are counted among them, in rank order
    group, rank = group[hit], rank[hit].astype(float)
    order = np.lexsort((rank, group))
    group, rank = group[order], rank[order]
    cum_hits = run_positions(group) + 1
    row = per_user % max(len(users), 1)
    n_truth = users["n_truth"].to_numpy()[row]
    idcg = np.array([0.0] + [ideal_dcg(n) for n in range(1, max_k + 1)])
    sums: dict[str, np.ndarray] = {"n_users_with_recs": np.ones(len(per_user), np.int64)}
    for k in ks:
        upto = rank <= k

        def total(values: np.ndarray, upto: np.ndarray = upto) -> np.ndarray:
            return np.bincount(group, np.where(upto, values, 0.0), n_groups)[per_user]

        hits_k = total(np.ones(len(group)))
        depth = np.minimum(n_truth, k).astype(int)
        sums[f"precision_at_k_{k}"] = hits_k / float(k)
        sums[f"recall_at_k_{k}"] = hits_k / n_truth
        sums[f"ndcg_at_k_{k}"] = total(1.0 / np.log2(rank + 1)) / idcg[depth]
        sums[f"map_at_k_{k}"] = total(cum_hits / rank) / depth
        sums[f"hit_rate_at_k_{k}"] = (hits_k > 0).astype(float)
    # totals per (model, target, protocol, warm): a code in that (sorted) order
    n_slices = len(TARGETS) * len(PROTOCOLS)
    warm = users["warm"].to_numpy(bool)[row]
    combo = ((per_user // max(len(users), 1)) * n_slices + users["slice"].to_numpy()[row]) * 2
    combo = combo + warm
    present, where = np.unique(combo, return_inverse=True)
    model, rest = np.divmod(present, n_slices * 2)
    slice_code, warm_code = np.divmod(rest, 2)
    return pd.DataFrame(
        {
            MODEL: lists.model_names[model],
            TARGET: np.asarray(TARGETS, dtype=object)[slice_code // len(PROTOCOLS)],
            PROTOCOL: np.asarray(PROTOCOLS, dtype=object)[slice_code % len(PROTOCOLS)],
            "warm": warm_code.astype(bool),
            **{
                name: np.bincount(where, values, len(present)).astype(values.dtype)
                for name, values in sums.items()
            },
        }
    )


def _coverage(lists: Lists, ks: Sequence[int], n_catalog_items: int) -> pd.DataFrame:
    """Per (model, protocol, k): the share of the catalogue in the lists' top k."""
    n_items = max(len(lists.item_names), 1)
    per_list = lists.model * len(PROTOCOLS) + lists.protocol
    present = np.unique(per_list[lists.protocol >= 0])
    covered = {}
    for k in ks:
        top = lists.top(k)
        distinct = np.unique(per_list[top] * n_items + lists.item[top])
        covered[k] = np.bincount(distinct // n_items, minlength=len(lists.model_names) * 2)
    rows = [
        {
            MODEL: lists.model_names[code // len(PROTOCOLS)],
            PROTOCOL: PROTOCOLS[code % len(PROTOCOLS)],
            "k": k,
            "catalog_coverage": covered[k][code] / n_catalog_items,
        }
        for code in present
        for k in ks
    ]
    return pd.DataFrame(rows, columns=[MODEL, PROTOCOL, "k", "catalog_coverage"])


def _diversity(
    lists: Lists, truth: pd.DataFrame, ks: Sequence[int], categories: pd.DataFrame
) -> pd.DataFrame:
    """Per (model, target, protocol, warm, k): the sum of the users' intra-list diversity
    (the share of pairs of a top-k list from different categories, over lists of two or
    more items with a known category) and the number of users it sums."""
    users = _slice_users(truth, lists, {"warm": ("is_warm_user", "max")})
    known = categories[categories[CATEGORY].notna()].drop_duplicates(ITEM)
    category_codes = pd.factorize(known[CATEGORY])[0]
    n_categories = max(len(np.unique(category_codes)), 1)
    where = pd.Index(known[ITEM]).get_indexer(lists.item_names)
    item_category = np.full(len(lists.item_names) + 1, -1, np.int64)  # last: item -1
    item_category[np.flatnonzero(where >= 0)] = category_codes[where[where >= 0]]
    category = item_category[lists.item]
    n_users = max(len(lists.user_names), 1)
    per_list = (lists.model * len(PROTOCOLS) + lists.protocol) * n_users + lists.user
    row_of = _rows_of(users, lists)
    parts = []
    for k in ks:
        top = lists.top(k) & (category >= 0)
        pairs, counts = np.unique(per_list[top] * n_categories + category[top], return_counts=True)
        owner, first = np.unique(pairs // n_categories, return_inverse=True)
        n = np.bincount(first, counts).astype(float)
        sumsq = np.bincount(first, counts.astype(float) ** 2)
        keep = n >= 2
        owner, n, sumsq = owner[keep], n[keep], sumsq[keep]
        ild = (n**2 - sumsq) / (n * (n - 1))
        model_protocol, user = owner // n_users, owner % n_users
        protocol = model_protocol % len(PROTOCOLS)
        for t in range(len(TARGETS)):
            row = row_of[(t * len(PROTOCOLS) + protocol) * n_users + user]
            found = row >= 0
            parts.append(
                pd.DataFrame(
                    {
                        MODEL: lists.model_names[model_protocol[found] // len(PROTOCOLS)],
                        TARGET: TARGETS[t],
                        PROTOCOL: np.asarray(PROTOCOLS, dtype=object)[protocol[found]],
                        "warm": users["warm"].to_numpy()[row[found]],
                        "ild": ild[found],
                        "k": k,
                    }
                )
            )
    every = pd.concat(parts, ignore_index=True)
    return (
        every.groupby([*SLICE, "warm", "k"], as_index=False)
        .agg(ild_sum=("ild", "sum"), ild_users=("ild", "size"))
        .loc[:, [*SLICE, "warm", "ild_sum", "ild_users", "k"]]
    )


def evaluate(
    recs: pd.DataFrame,
    holdout: pd.DataFrame,
    ks: Sequence[int],
    n_catalog_items: int,
    item_categories: pd.DataFrame | None = None,
    models: Sequence[str] | None = None,
) -> pd.DataFrame:
    """``ml.evaluation.evaluate`` on pandas frames (same arguments, same table)."""
    ks = checked_ks(ks, n_catalog_items)
    truth = truth_slices(holdout)
    user_counts = (
        truth.groupby([TARGET, PROTOCOL, USER], as_index=False)["is_warm_user"]
        .max()
        .rename(columns={"is_warm_user": "warm"})
        .groupby([TARGET, PROTOCOL, "warm"], as_index=False)
        .size()
        .rename(columns={"size": "count"})
    )
    lists = Lists.of(recs)
    sums = _slice_sums(lists, truth, ks)
    coverage = _coverage(lists, ks, n_catalog_items)
    diversity = (
        _diversity(lists, truth, ks, item_categories) if item_categories is not None else None
    )
    return assemble(user_counts, sums, coverage, diversity, ks, models)
