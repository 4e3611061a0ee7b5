"""The global rankers (popularity, trending, random) and buy-again on pandas.

Popularity and trending give every user one ranking minus what the user saw; each user
needs only the first ``k + (seen items in the ranking)`` positions, so the candidate
pairs are linear in users x k plus the seen pairs, never users x catalogue.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.columns import ITEM, RANK, SCORE, USER, WEIGHT, check_k
from ml.local.frames import rec_table, seen_pairs, top_k, unix_seconds
from ml.matrix import concat_recs, top_n_per_row
from ml.popularity import DEFAULT_MAX_CANDIDATES
from ml.random_baseline import DEFAULT_POOL_SIZE, HASH_RANGE
from ml.trending import SECONDS_PER_DAY


def popularity_ranking(train: pd.DataFrame) -> pd.DataFrame:
    """``product_id, score`` (distinct users), best first: ``ml.popularity``'s order
    (users, then summed weight, then ``product_id`` ascending)."""
    table = train.groupby(ITEM, as_index=False).agg(
        n_users=(USER, "nunique"), total_weight=(WEIGHT, "sum")
    )
    table = table.sort_values(
        ["n_users", "total_weight", ITEM], ascending=[False, False, True], kind="mergesort"
    )
    return pd.DataFrame({ITEM: table[ITEM].to_numpy(), SCORE: table["n_users"].to_numpy(float)})


def trending_ranking(train: pd.DataFrame, half_life_days: float) -> pd.DataFrame:
    """``product_id, score`` (time-decayed users), best first: ``ml.trending``'s order."""
    if not half_life_days > 0:
        raise ValueError(f"trending half-life must be positive days, got {half_life_days!r}")
    seconds = unix_seconds(train["last_event_at"])
    age_days = (np.nanmax(seconds) - seconds) / SECONDS_PER_DAY if len(seconds) else seconds
    decayed = train[[ITEM, USER]].assign(_trend=np.power(0.5, age_days / float(half_life_days)))
    table = decayed.groupby(ITEM, as_index=False).agg(
        trend_score=("_trend", "sum"), n_users=(USER, "nunique")
    )
    table = table.sort_values(
        ["trend_score", "n_users", ITEM], ascending=[False, False, True], kind="mergesort"
    )
    return pd.DataFrame({ITEM: table[ITEM].to_numpy(), SCORE: table["trend_score"].to_numpy()})


def ranked_lists(
    ranking: pd.DataFrame,
    train: pd.DataFrame,
    users: np.ndarray,
    k: int,
    exclude_seen: bool,
    max_candidates: int = DEFAULT_MAX_CANDIDATES,
) -> pd.DataFrame:
    """The first k products of ``ranking`` per user, minus the user's training products
    under ``exclude_seen`` (``ml.popularity.recommend_ranked_items``)."""
    check_k(k)
    n = min(len(ranking), max_candidates)
    if n == 0 or len(users) == 0:
        return concat_recs([])
    positions = pd.Series(np.arange(n), index=ranking[ITEM].to_numpy()[:n])
    user_codes = pd.Series(np.arange(len(users)), index=users)
    seen_keys = np.array([], dtype=np.int64)
    n_seen = np.zeros(len(users), dtype=np.int64)
    if exclude_seen:
        seen = seen_pairs(train, users)
        pos = positions.reindex(seen[ITEM].to_numpy()).to_numpy()
        codes = user_codes.reindex(seen[USER].to_numpy()).to_numpy()
        keep = ~np.isnan(pos)
        codes, pos = codes[keep].astype(np.int64), pos[keep].astype(np.int64)
        seen_keys = codes * n + pos
        n_seen = np.bincount(codes, minlength=len(users))
    lengths = np.minimum(k + n_seen, n)
    user_index = np.repeat(np.arange(len(users)), lengths)
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    pos = np.arange(lengths.sum()) - starts
    keep = ~np.isin(user_index * n + pos, seen_keys)
    user_index, pos = user_index[keep], pos[keep]
    frame = pd.DataFrame({USER: users[user_index], "_pos": pos})
    frame[RANK] = frame.groupby(USER, sort=False).cumcount().to_numpy() + 1
    frame = frame[frame[RANK] <= k].copy()
    frame[ITEM] = ranking[ITEM].to_numpy()[frame["_pos"].to_numpy()]
    frame[SCORE] = ranking[SCORE].to_numpy(float)[frame["_pos"].to_numpy()]
    return rec_table(frame)


def recommend_buy_again(train: pd.DataFrame, users: np.ndarray, k: int) -> pd.DataFrame:
    """Each user's past purchases (``ml.buy_again``'s order): purchase days, purchases,
    last purchase, ``product_id``, larger first."""
    bought = train[(train["n_purchases"].fillna(0) > 0) & train[USER].isin(users)]
    scored = pd.DataFrame(
        {
            USER: bought[USER].to_numpy(),
            ITEM: bought[ITEM].to_numpy(),
            SCORE: bought["n_purchase_days"].to_numpy(float),
            "n_purchases": bought["n_purchases"].to_numpy(),
            "_last": unix_seconds(bought["last_purchase_at"]),
        }
    )
    return top_k(scored, k, [SCORE, "n_purchases", "_last", ITEM])


def _mix(values: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: a well-spread 64-bit hash of uint64 values."""
    with np.errstate(over="ignore"):
        z = values.astype(np.uint64)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def _hash_ids(ids: np.ndarray, seed: int) -> np.ndarray:
    with np.errstate(over="ignore"):
        base = pd.util.hash_array(np.asarray(ids, dtype=object), categorize=False)
        return _mix(base ^ _mix(np.array([seed], dtype=np.uint64)))


def recommend_random(
    train: pd.DataFrame,
    users: np.ndarray,
    k: int,
    seed: int,
    exclude_seen: bool,
    pool_size: int = DEFAULT_POOL_SIZE,
    batch_users: int = 2_000,
) -> pd.DataFrame:
    """k random training products per user from a seeded pool (``ml.random_baseline``'s
    design, a hash of its own): the pool is the products with the smallest seeded hash;
    each user's order is a seeded hash of (user, product). Users are scored in batches of
    ``batch_users`` x pool."""
    check_k(k)
    seen = seen_pairs(train, users) if exclude_seen else seen_pairs(train, users[:0])
    n_seen = int(seen.groupby(USER).size().max()) if len(seen) else 0
    products = np.array(sorted(train[ITEM].dropna().unique()), dtype=object)
    if not len(products) or not len(users):
        return concat_recs([])
    pool = products[np.lexsort((products, _hash_ids(products, seed)))]
    pool = np.sort(pool[: max(pool_size, k + n_seen)])[::-1]  # ties: larger product_id first
    pool_hash = _hash_ids(pool, seed)
    user_hash = _hash_ids(users, seed)
    positions = pd.Series(np.arange(len(pool)), index=pool)
    seen_pos = positions.reindex(seen[ITEM].to_numpy()).to_numpy()
    seen_user = pd.Series(np.arange(len(users)), index=users).reindex(seen[USER].to_numpy())
    keep = ~np.isnan(seen_pos)
    seen_user, seen_pos = seen_user.to_numpy()[keep].astype(int), seen_pos[keep].astype(int)
    n = min(k, len(pool))
    frames = []
    for start in range(0, len(users), batch_users):
        stop = min(start + batch_users, len(users))
        with np.errstate(over="ignore"):
            draw = _mix(user_hash[start:stop, None] * np.uint64(31) + pool_hash[None, :])
        scores = (draw % np.uint64(HASH_RANGE)).astype(np.float64) / float(HASH_RANGE)
        in_batch = (seen_user >= start) & (seen_user < stop)
        scores[seen_user[in_batch] - start, seen_pos[in_batch]] = -np.inf
        order = top_n_per_row(scores, n)
        best = np.take_along_axis(scores, order, axis=1)
        r, c = np.nonzero(np.isfinite(best))
        frames.append(
            pd.DataFrame(
                {
                    USER: users[start:stop][r],
                    ITEM: pool[order[r, c]],
                    RANK: c + 1,
                    SCORE: best[r, c],
                }
            )
        )
    return rec_table(pd.concat(frames, ignore_index=True))
