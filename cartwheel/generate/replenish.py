"""Repeat purchases: buyers of consumables come back for the same product, of durables rarely.

Each purchase of a consumable (a leaf with `cycle_days` > 0: beauty, diapers, printer
cartridges) is followed, with chance `REPLENISH_SHARE`, by a restock about one cycle later
(lognormal spread `CYCLE_SPREAD`). A restock is a session of that user that opens on the
product and buys it again; that purchase may schedule the next restock, so loyal buyers form
chains of repeat purchases (REPLENISH_SHARE / (1 - REPLENISH_SHARE) repeats on average).
Restocks due after the user has left the shop or the product was delisted never happen.
Pending restocks carry over from month to month like pending reviews. Durables (every other
leaf) that a user bought are remembered, and the funnel buys them again only at
`events.DURABLE_REBUY` times the usual rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cartwheel.generate.calendar import HOURLY, SECONDS_PER_DAY
from cartwheel.generate.events import (
    PURCHASE,
    Events,
    MonthContext,
    Sessions,
    draw_from_cdf,
    field_names,
)
from cartwheel.generate.taxonomy import LEAVES

REPLENISH_SHARE = 0.6  # chance that a consumable purchase is bought again one cycle later
CYCLE_SPREAD = 0.35  # lognormal sigma of the time between two purchases around the cycle
MAX_RESTOCK_SHARE = 0.1  # restock sessions per month at most this share of the month's budget
CYCLE_DAYS = np.array([leaf.cycle_days for leaf in LEAVES])


@dataclass(frozen=True)
class Restocks:
    """Pending repeat purchases: who buys which product again, and when (epoch seconds)."""

    user: np.ndarray
    product: np.ndarray
    due: np.ndarray

    def __len__(self) -> int:
        return len(self.user)

    def take(self, index: np.ndarray) -> Restocks:
        return Restocks(*(getattr(self, f)[index] for f in field_names(Restocks)))

    @staticmethod
    def concat(parts: list[Restocks]) -> Restocks:
        return Restocks(
            *(np.concatenate([getattr(p, f) for p in parts]) for f in field_names(Restocks))
        )


def no_restocks() -> Restocks:
    none = np.zeros(0, dtype=np.int64)
    return Restocks(none, none, none)


def split_restocks(pending: Restocks, until: int) -> tuple[Restocks, Restocks]:
    """(restocks due before `until`, the rest)."""
    due = pending.due < until
    return pending.take(np.flatnonzero(due)), pending.take(np.flatnonzero(~due))


def restock_sessions(
    rng: np.random.Generator, ctx: MonthContext, due: Restocks, budget: int
) -> Sessions:
    """One session per due restock of a user still in the shop, on the day it falls due."""
    month, pop, catalog = ctx.month, ctx.population, ctx.catalog
    at = np.maximum(due.due, month.start)  # due late last month: comes back now
    when = month.index + (at - month.start) / (month.end - month.start)
    still_here = when < pop.leave[due.user]
    keep = np.flatnonzero(still_here & (when < catalog.delist[due.product]))
    limit = int(budget * MAX_RESTOCK_SHARE / 4)  # a session has ~4 events
    if len(keep) > limit:
        keep = np.sort(rng.choice(keep, size=limit, replace=False))
    user, product = due.user[keep], due.product[keep]
    day = (at[keep] - month.start) // SECONDS_PER_DAY
    hour = draw_from_cdf(rng, np.cumsum(HOURLY), len(keep))
    start = month.start + day * SECONDS_PER_DAY + hour * 3600 + rng.integers(0, 3600, len(keep))
    return Sessions(
        user=user,
        start=start,
        explore=np.zeros(len(keep), dtype=bool),
        leaf=catalog.leaf[product],
        brand=catalog.brand[product],
        tier=catalog.tier[product],
        deal=month.deal_factor[day] / ctx.deal_norm,
        target=product,
    )


def schedule_restocks(
    rng: np.random.Generator, ctx: MonthContext, sessions: Sessions, events: Events
) -> Restocks:
    """Restocks that this month's consumable purchases lead to (one per session and product)."""
    bought = np.flatnonzero(events.kind == PURCHASE)
    product = events.product[bought]
    consumable = CYCLE_DAYS[ctx.catalog.leaf[product]] > 0
    bought, product = bought[consumable], product[consumable]
    _, once = np.unique(events.session[bought] * ctx.catalog.size + product, return_index=True)
    bought, product = bought[np.sort(once)], product[np.sort(once)]
    again = rng.random(len(bought)) < REPLENISH_SHARE
    bought, product = bought[again], product[again]
    cycle = CYCLE_DAYS[ctx.catalog.leaf[product]] * SECONDS_PER_DAY
    wait = cycle * rng.lognormal(0.0, CYCLE_SPREAD, len(bought))
    return Restocks(
        user=sessions.user[events.session[bought]],
        product=product,
        due=events.time[bought] + wait.astype(np.int64),
    )


def add_owned(
    owned: np.ndarray, ctx: MonthContext, sessions: Sessions, events: Events
) -> np.ndarray:
    """`owned` (sorted user * n_products + product keys) plus this month's durable purchases."""
    bought = np.flatnonzero(events.kind == PURCHASE)
    product = events.product[bought]
    durable = CYCLE_DAYS[ctx.catalog.leaf[product]] == 0
    user = sessions.user[events.session[bought[durable]]]
    return np.union1d(owned, user * ctx.catalog.size + product[durable])
