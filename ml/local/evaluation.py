"""``ml.evaluation`` on pandas: the same per-slice aggregates (user counts, metric sums,
coverage, diversity) computed on the driver, assembled by ``ml.evaluation.assemble``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ml.columns import CATEGORY, ITEM, MODEL, RANK, USER
from ml.evaluation import PROTOCOL, PROTOCOLS, TARGET, TARGETS, assemble, checked_ks
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


def _slice_sums(recs: pd.DataFrame, truth: pd.DataFrame, ks: Sequence[int]) -> pd.DataFrame:
    max_k = max(ks)
    users = truth.groupby([TARGET, PROTOCOL, USER], as_index=False).agg(
        n_truth=(ITEM, "size"), warm=("is_warm_user", "max")
    )
    top = recs.loc[(recs[RANK] >= 1) & (recs[RANK] <= max_k), [MODEL, PROTOCOL, USER, ITEM, RANK]]
    labelled = top.merge(users, on=[PROTOCOL, USER])
    hits = truth[[TARGET, PROTOCOL, USER, ITEM]].assign(hit=1.0)
    labelled = labelled.merge(hits, on=[TARGET, PROTOCOL, USER, ITEM], how="left")
    labelled["hit"] = labelled["hit"].fillna(0.0)
    labelled = labelled.sort_values([*SLICE, USER, RANK], kind="mergesort")
    labelled["cum_hits"] = labelled.groupby([*SLICE, USER], sort=False)["hit"].cumsum()
    rank = labelled[RANK].to_numpy(float)
    hit = labelled["hit"].to_numpy(float)
    columns = {}
    for k in ks:
        upto = rank <= k
        columns[f"hits_{k}"] = np.where(upto, hit, 0.0)
        columns[f"dcg_{k}"] = np.where(upto, hit / np.log2(rank + 1), 0.0)
        columns[f"ap_{k}"] = np.where(upto, hit * labelled["cum_hits"].to_numpy() / rank, 0.0)
    per_user = (
        labelled[[*SLICE, USER, "n_truth", "warm"]]
        .assign(**columns)
        .groupby([*SLICE, USER], as_index=False)
        .agg({"n_truth": "first", "warm": "first", **dict.fromkeys(columns, "sum")})
    )
    idcg = np.array([0.0] + [ideal_dcg(n) for n in range(1, max_k + 1)])
    n_truth = per_user["n_truth"].to_numpy(float)
    sums = {"n_users_with_recs": np.ones(len(per_user), np.int64)}
    for k in ks:
        depth = np.minimum(per_user["n_truth"].to_numpy(), k).astype(int)
        hits_k = per_user[f"hits_{k}"].to_numpy()
        sums[f"precision_at_k_{k}"] = hits_k / float(k)
        sums[f"recall_at_k_{k}"] = hits_k / n_truth
        sums[f"ndcg_at_k_{k}"] = per_user[f"dcg_{k}"].to_numpy() / idcg[depth]
        sums[f"map_at_k_{k}"] = per_user[f"ap_{k}"].to_numpy() / depth
        sums[f"hit_rate_at_k_{k}"] = (hits_k > 0).astype(float)
    frame = per_user[[*SLICE, "warm"]].assign(**sums)
    return frame.groupby([*SLICE, "warm"], as_index=False).sum()


def _coverage(recs: pd.DataFrame, ks: Sequence[int], n_catalog_items: int) -> pd.DataFrame:
    rows = []
    for (model, protocol), lists in recs.groupby([MODEL, PROTOCOL]):
        for k in ks:
            covered = lists.loc[lists[RANK] <= k, ITEM].nunique()
            rows.append(
                {
                    MODEL: model,
                    PROTOCOL: protocol,
                    "k": k,
                    "catalog_coverage": covered / n_catalog_items,
                }
            )
    return pd.DataFrame(rows, columns=[MODEL, PROTOCOL, "k", "catalog_coverage"])


def _diversity(
    recs: pd.DataFrame, truth: pd.DataFrame, ks: Sequence[int], categories: pd.DataFrame
) -> pd.DataFrame:
    users = truth.groupby([TARGET, PROTOCOL, USER], as_index=False).agg(
        warm=("is_warm_user", "max")
    )
    known = categories[categories[CATEGORY].notna()].drop_duplicates(ITEM)[[ITEM, CATEGORY]]
    with_category = recs[[MODEL, PROTOCOL, USER, ITEM, RANK]].merge(known, on=ITEM)
    parts = []
    for k in ks:
        counts = (
            with_category[(with_category[RANK] >= 1) & (with_category[RANK] <= k)]
            .groupby([MODEL, PROTOCOL, USER, CATEGORY])
            .size()
            .rename("c")
            .reset_index()
        )
        counts["sq"] = counts["c"] ** 2
        per_user = counts.groupby([MODEL, PROTOCOL, USER], as_index=False).agg(
            n=("c", "sum"), sumsq=("sq", "sum")
        )
        per_user = per_user[per_user["n"] >= 2]
        n = per_user["n"].to_numpy(float)
        per_user = per_user.assign(ild=(n**2 - per_user["sumsq"].to_numpy()) / (n * (n - 1)))
        parts.append(
            per_user.merge(users, on=[PROTOCOL, USER])
            .groupby([*SLICE, "warm"], as_index=False)
            .agg(ild_sum=("ild", "sum"), ild_users=("ild", "size"))
            .assign(k=k)
        )
    return pd.concat(parts, ignore_index=True)


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
    sums = _slice_sums(recs, truth, ks)
    coverage = _coverage(recs, ks, n_catalog_items)
    diversity = (
        _diversity(recs, truth, ks, item_categories) if item_categories is not None else None
    )
    return assemble(user_counts, sums, coverage, diversity, ks, models)
