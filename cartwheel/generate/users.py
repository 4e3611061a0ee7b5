"""The shoppers: heavy-tailed activity, a lifetime in the shop and slowly drifting tastes.

Each user likes one to three top-level categories and has a few "taste slots" in them; a slot
is a leaf plus a favourite brand in that leaf. How a user spreads sessions over the slots
drifts: two sparse Dirichlet mixes A and B, and the month's mix is A cos^2 + B sin^2 of a
phase that turns a quarter circle every `TASTE_DRIFT_MONTHS`, from a random start. So a
user's preferred categories shift slowly and steadily, never overnight. Users also have a
preferred price tier and a propensity to wander off-taste ("explore" sessions that follow
global popularity).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from cartwheel.generate.catalog import N_TIERS, Catalog
from cartwheel.generate.sampler import GroupSampler
from cartwheel.generate.taxonomy import LEAVES, TOPS

USER_ID_BASE = 500_000_000
N_SLOTS = 6
EXISTING_SHARE = 0.4  # users who were customers before the span starts
SLOT_CONCENTRATION = 0.6  # Dirichlet concentration of slot weights: lower = more focused tastes
EXPLORE_BETA = (1.5, 10.0)  # Beta(a, b) share of a user's sessions off their tastes (mean 13 %)
TASTE_DRIFT_MONTHS = 18.0  # months for a user's slot mix to move fully from one mix to another


@dataclass(frozen=True)
class Population:
    """Column arrays, one row per user (index = user number)."""

    user_id: np.ndarray  # int64
    activity: np.ndarray  # float64 sessions-per-month intensity (heavy-tailed)
    join: np.ndarray  # float64 months from span start
    leave: np.ndarray  # float64 months from span start
    slot_leaf: np.ndarray  # (users, N_SLOTS) int64
    slot_brand: np.ndarray  # (users, N_SLOTS) int64
    slot_weight: np.ndarray  # (users, N_SLOTS) float64, rows sum to 1: mix A (`tastes_at`: now)
    slot_weight_b: np.ndarray  # (users, N_SLOTS) float64, rows sum to 1: mix B
    taste_phase: np.ndarray  # float64 radians: where each user's drift starts
    tier: np.ndarray  # int64 preferred price tier
    explore: np.ndarray  # float64 probability that a session ignores the user's tastes

    @property
    def size(self) -> int:
        return len(self.user_id)


def gumbel_top_k(rng: np.random.Generator, weights: np.ndarray, n: int, k: int) -> np.ndarray:
    """`k` distinct indices per row, drawn without replacement in proportion to `weights`."""
    keys = np.log(weights)[None, :] - np.log(-np.log(rng.random((n, len(weights)))))
    return np.argsort(-keys, axis=1, kind="stable")[:, :k]


def favourite_tops(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Up to three liked top-level categories per user, and how many each user has."""
    top_traffic = np.zeros(len(TOPS))
    for leaf in LEAVES:
        top_traffic[TOPS.index(leaf.top)] += leaf.traffic
    tops = gumbel_top_k(rng, top_traffic**0.7, n, 3)
    count = rng.choice([1, 2, 3], size=n, p=[0.45, 0.38, 0.17])
    return tops, count


def slot_leaves(rng: np.random.Generator, tops: np.ndarray, count: np.ndarray) -> np.ndarray:
    """A leaf per taste slot, inside one of the user's liked top-level categories."""
    n = len(count)
    which_top = np.floor(rng.random((n, N_SLOTS)) * count[:, None]).astype(np.int64)
    slot_top = np.take_along_axis(tops, which_top, axis=1)
    leaf_top = np.array([TOPS.index(leaf.top) for leaf in LEAVES])
    traffic = np.array([leaf.traffic for leaf in LEAVES]) ** 0.6
    sampler = GroupSampler(leaf_top, len(TOPS))
    sampler.reweight(traffic)
    leaves = sampler.sample(slot_top.ravel(), rng.random(slot_top.size))
    return leaves.reshape(n, N_SLOTS)


def slot_brands(rng: np.random.Generator, slot_leaf: np.ndarray, catalog: Catalog) -> np.ndarray:
    """A favourite brand per slot: the brand of a popular product of the slot's leaf."""
    sampler = GroupSampler(catalog.leaf, len(LEAVES))
    sampler.reweight(catalog.popularity)
    product = sampler.sample(slot_leaf.ravel(), rng.random(slot_leaf.size))
    return catalog.brand[product].reshape(slot_leaf.shape)


def lifetimes(rng: np.random.Generator, n: int, months: int) -> tuple[np.ndarray, np.ndarray]:
    """When each user joins and leaves the shop, in months from the span start."""
    existing = rng.random(n) < EXISTING_SHARE
    join = np.where(existing, -rng.uniform(0.0, 24.0, n), rng.uniform(0.0, months, n))
    stay = rng.lognormal(np.log(18.0), 1.0, n)
    return join, join + stay


def build_population(
    rng: np.random.Generator, n_users: int, catalog: Catalog, months: int
) -> Population:
    """`n_users` users with activity, lifetimes and tastes."""
    tops, count = favourite_tops(rng, n_users)
    slot_leaf = slot_leaves(rng, tops, count)
    join, leave = lifetimes(rng, n_users, months)
    return Population(
        user_id=USER_ID_BASE + np.arange(n_users, dtype=np.int64),
        activity=rng.lognormal(0.0, 1.1, n_users),
        join=join,
        leave=leave,
        slot_leaf=slot_leaf,
        slot_brand=slot_brands(rng, slot_leaf, catalog),
        slot_weight=rng.dirichlet(np.full(N_SLOTS, SLOT_CONCENTRATION), n_users),
        slot_weight_b=rng.dirichlet(np.full(N_SLOTS, SLOT_CONCENTRATION), n_users),
        taste_phase=rng.uniform(0.0, np.pi, n_users),
        tier=rng.choice(N_TIERS, size=n_users, p=[0.35, 0.4, 0.25]),
        explore=rng.beta(*EXPLORE_BETA, n_users),
    )


def tastes_at(population: Population, month_index: int) -> Population:
    """The population with `slot_weight` set to each user's taste mix in this month."""
    angle = population.taste_phase + (month_index + 0.5) * (np.pi / 2) / TASTE_DRIFT_MONTHS
    a = np.cos(angle)[:, None] ** 2
    mix = a * population.slot_weight + (1.0 - a) * population.slot_weight_b
    return replace(population, slot_weight=mix)


def monthly_activity(population: Population, month_index: int) -> np.ndarray:
    """Expected sessions per user in a month: activity x the share of the month they are here."""
    overlap = np.clip(
        np.minimum(population.leave, month_index + 1) - np.maximum(population.join, month_index),
        0.0,
        1.0,
    )
    return population.activity * overlap


def fit_score(
    population: Population, catalog: Catalog, user: np.ndarray, product: np.ndarray
) -> np.ndarray:
    """How well each product suits its user: taste weight of its leaf, brand and tier match."""
    leaf = catalog.leaf[product][:, None]
    brand = catalog.brand[product][:, None]
    in_leaf = population.slot_leaf[user] == leaf
    leaf_weight = np.where(in_leaf, population.slot_weight[user], 0.0).sum(axis=1)
    brand_match = (in_leaf & (population.slot_brand[user] == brand)).any(axis=1)
    tier_match = population.tier[user] == catalog.tier[product]
    return (
        1.2 * np.sqrt(leaf_weight)
        + 0.5 * in_leaf.any(axis=1)
        + 0.5 * brand_match
        + 0.3 * tier_match
    )
