"""One month of shop traffic: sessions of views, some of which end in a cart or a purchase.

A session belongs to a user drawn in proportion to their activity this month. Most sessions
follow one of the user's taste slots (a leaf, a favourite brand, a price tier); the rest
"explore" a leaf chosen by global popularity. A session views several products of its leaf
(sometimes the same one again). A viewed product is carted (and later bought or, rarely,
removed) or bought straight away without a cart event, as REES46 logs many purchases.
Restock sessions (see `replenish`) come back to buy a consumable bought before.

The funnel rates are the calibration targets of the package docstring: per view,
`CARTS_PER_VIEW` carts and `PURCHASES_PER_VIEW` purchases, `PURCHASES_WITHOUT_CART` of them
without a cart. Session, product and deal effects move single rates around, but they are
normalised over each batch of views, so the month's expected rates stay on target; restock
purchases are counted against the target too.
Everything is vectorised over all sessions of the month; exactly `budget` events come out.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from cartwheel.generate.calendar import HOURLY, SECONDS_PER_DAY, Month
from cartwheel.generate.catalog import N_TIERS, Catalog
from cartwheel.generate.sampler import GroupSampler
from cartwheel.generate.taxonomy import LEAVES
from cartwheel.generate.users import Population

VIEW, CART, REMOVE, PURCHASE = 0, 1, 2, 3
EVENT_TYPES = ("view", "cart", "remove_from_cart", "purchase")

MORE_VIEWS_P = 0.27  # views per session = 1 + NegBin(1, p): mean ~3.7, long tail
MAX_VIEWS = 60
REPEAT_VIEW = 0.3  # chance a view returns to the previous product of the session
TASTE_ROUTES = (0.45, 0.85)  # taste-session views: brand group below, tier group, else leaf
CARTS_PER_VIEW = 0.0227  # REES46 2019-Oct: 926,516 carts / 40,779,399 views
PURCHASES_PER_VIEW = 0.0182  # REES46 2019-Oct: 742,849 purchases / 40,779,399 views
PURCHASES_WITHOUT_CART = 0.6  # share of purchases with no cart of the product in the session
REMOVE_RATE = 0.1  # share of carted-but-not-bought products removed (REES46 2019-Oct: none)
DURABLE_REBUY = 0.1  # purchase-rate factor for a durable the user already bought
TIER_LOYALTY = 0.7
MAX_RATE = 0.95


@dataclass(frozen=True)
class Samplers:
    """Product samplers over the same monthly weights, by different groupings."""

    everything: GroupSampler
    leaf: GroupSampler
    leaf_tier: GroupSampler
    leaf_brand: GroupSampler
    n_brands: int

    def reweight(self, weights: np.ndarray) -> None:
        for sampler in (self.everything, self.leaf, self.leaf_tier, self.leaf_brand):
            sampler.reweight(weights)


def build_samplers(catalog: Catalog) -> Samplers:
    n_leaves, n_brands = len(LEAVES), len(catalog.brand_names)
    return Samplers(
        everything=GroupSampler(np.zeros(catalog.size, dtype=np.int64), 1),
        leaf=GroupSampler(catalog.leaf, n_leaves),
        leaf_tier=GroupSampler(catalog.leaf * N_TIERS + catalog.tier, n_leaves * N_TIERS),
        leaf_brand=GroupSampler(catalog.leaf * n_brands + catalog.brand, n_leaves * n_brands),
        n_brands=n_brands,
    )


@dataclass(frozen=True)
class MonthContext:
    """Everything about a month that sessions are drawn from."""

    month: Month
    user_cdf: np.ndarray  # cumulative activity over users
    leaf_season: np.ndarray  # per-leaf seasonal multiplier
    population: Population  # with this month's taste mix
    catalog: Catalog
    samplers: Samplers
    deal_norm: float = 1.0  # mean deal factor over the span: deals shift, not raise, purchases
    owned: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # sorted user * n_products + product keys of durables bought in earlier months

    def owns(self, user: np.ndarray, product: np.ndarray) -> np.ndarray:
        """Whether each user already bought that (durable) product in an earlier month."""
        keys = user * self.catalog.size + product
        pos = np.minimum(np.searchsorted(self.owned, keys), max(len(self.owned) - 1, 0))
        return self.owned[pos] == keys if len(self.owned) else np.zeros(len(keys), dtype=bool)


@dataclass(frozen=True)
class Sessions:
    """Per-session arrays."""

    user: np.ndarray
    start: np.ndarray  # epoch seconds
    explore: np.ndarray  # bool
    leaf: np.ndarray
    brand: np.ndarray
    tier: np.ndarray
    deal: np.ndarray  # purchase-rate multiplier of the session's day
    target: np.ndarray  # product a restock session comes back to buy, else -1

    def __len__(self) -> int:
        return len(self.user)


@dataclass(frozen=True)
class Events:
    """Per-event arrays; `session` indexes the month's sessions."""

    time: np.ndarray  # int64 epoch seconds
    kind: np.ndarray  # int8 VIEW / CART / REMOVE / PURCHASE
    product: np.ndarray  # int64
    session: np.ndarray  # int64

    def __len__(self) -> int:
        return len(self.time)

    def take(self, index: np.ndarray | slice) -> Events:
        return Events(self.time[index], self.kind[index], self.product[index], self.session[index])

    @staticmethod
    def concat(parts: list[Events]) -> Events:
        return Events(
            *(np.concatenate([getattr(p, f) for p in parts]) for f in field_names(Events))
        )


def field_names(cls: type) -> list[str]:
    return [f.name for f in fields(cls)]


def draw_from_cdf(rng: np.random.Generator, cdf: np.ndarray, n: int) -> np.ndarray:
    """Indices drawn in proportion to the increments of a cumulative weight array."""
    return np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right")


def choose_slots(rng: np.random.Generator, ctx: MonthContext, user: np.ndarray) -> np.ndarray:
    """A taste slot per session: the user's slot weights times this month's leaf season."""
    pop = ctx.population
    weights = pop.slot_weight[user] * ctx.leaf_season[pop.slot_leaf[user]]
    cumulative = np.cumsum(weights, axis=1)
    target = rng.random(len(user)) * cumulative[:, -1]
    return np.minimum((cumulative <= target[:, None]).sum(axis=1), weights.shape[1] - 1)


def session_times(rng: np.random.Generator, month: Month, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Start times (epoch seconds) by daily and hourly traffic; also the day of the month."""
    day = draw_from_cdf(rng, np.cumsum(month.day_weights), n)
    hour = draw_from_cdf(rng, np.cumsum(HOURLY), n)
    start = month.start + day * SECONDS_PER_DAY + hour * 3600 + rng.integers(0, 3600, n)
    return start, day


def draw_sessions(rng: np.random.Generator, ctx: MonthContext, n: int) -> Sessions:
    """`n` sessions: owner, start, and what the session is about."""
    pop = ctx.population
    user = draw_from_cdf(rng, ctx.user_cdf, n)
    explore = rng.random(n) < pop.explore[user]
    slot = choose_slots(rng, ctx, user)
    seed_product = ctx.samplers.everything.sample(np.zeros(n, dtype=np.int64), rng.random(n))
    leaf = np.where(explore, ctx.catalog.leaf[seed_product], pop.slot_leaf[user, slot])
    loyal = rng.random(n) < TIER_LOYALTY
    tier = np.where(loyal, pop.tier[user], rng.integers(0, N_TIERS, n))
    start, day = session_times(rng, ctx.month, n)
    return Sessions(
        user=user,
        start=start,
        explore=explore,
        leaf=leaf,
        brand=pop.slot_brand[user, slot],
        tier=tier,
        deal=ctx.month.deal_factor[day] / ctx.deal_norm,
        target=np.full(n, -1, dtype=np.int64),
    )


def pick_products(
    rng: np.random.Generator, ctx: MonthContext, sessions: Sessions, session: np.ndarray
) -> np.ndarray:
    """One product per view, from the session's brand, tier or leaf group."""
    s = ctx.samplers
    route = rng.random(len(session))
    u = rng.random(len(session))
    leaf = sessions.leaf[session]
    taste = ~sessions.explore[session]
    by_brand = taste & (route < TASTE_ROUTES[0])
    by_tier = taste & (route >= TASTE_ROUTES[0]) & (route < TASTE_ROUTES[1])
    product = s.leaf.sample(leaf, u)
    brand_group = leaf[by_brand] * s.n_brands + sessions.brand[session][by_brand]
    product[by_brand] = s.leaf_brand.sample(brand_group, u[by_brand])
    tier_group = leaf[by_tier] * N_TIERS + sessions.tier[session][by_tier]
    product[by_tier] = s.leaf_tier.sample(tier_group, u[by_tier])
    empty = product < 0
    product[empty] = s.leaf.sample(leaf[empty], u[empty])
    empty = product < 0
    product[empty] = s.everything.sample(np.zeros(empty.sum(), dtype=np.int64), u[empty])
    return product


def repeat_previous(
    rng: np.random.Generator, product: np.ndarray, first: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Some views go back to the previous product of the session; returns (product, repeated)."""
    repeated = ~first & (rng.random(len(product)) < REPEAT_VIEW)
    index = np.arange(len(product))
    source = np.maximum.accumulate(np.where(repeated, 0, index))
    return product[source], repeated


Views = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def draw_views(rng: np.random.Generator, ctx: MonthContext, sessions: Sessions) -> Views:
    """Views of all sessions: (session, product, time, repeated), grouped by session."""
    n_views = np.minimum(1 + rng.negative_binomial(1, MORE_VIEWS_P, len(sessions)), MAX_VIEWS)
    session = np.repeat(np.arange(len(sessions)), n_views)
    offsets = np.cumsum(n_views) - n_views
    first = np.zeros(len(session), dtype=bool)
    first[offsets] = True
    product = pick_products(rng, ctx, sessions, session)
    restock = first & (sessions.target[session] >= 0)
    product[restock] = sessions.target[session[restock]]
    product, repeated = repeat_previous(rng, product, first)
    gaps = np.where(first, 0, rng.lognormal(np.log(45.0), 1.0, len(session)).astype(np.int64))
    elapsed = np.cumsum(gaps)
    time = sessions.start[session] + elapsed - np.repeat(elapsed[offsets], n_views)
    return session, product, time, repeated


@dataclass(frozen=True)
class FunnelRates:
    """Mean per-view rates for the ordinary views of a month, and carted-to-bought."""

    cart: float
    direct: float  # purchases without a cart, per view
    convert: float  # share of carted products bought

    @staticmethod
    def for_month(budget: int, restocks: int) -> FunnelRates:
        """Rates that put the month on target once `restocks` forced purchases are counted."""
        not_bought = CARTS_PER_VIEW - (1 - PURCHASES_WITHOUT_CART) * PURCHASES_PER_VIEW
        per_view = 1 + CARTS_PER_VIEW + PURCHASES_PER_VIEW + REMOVE_RATE * not_bought
        views = max(budget / per_view, 1.0)
        buy = max(PURCHASES_PER_VIEW - restocks / views, 0.0)
        cart = max(CARTS_PER_VIEW - (1 - PURCHASES_WITHOUT_CART) * restocks / views, 1e-9)
        return FunnelRates(
            cart=cart,
            direct=PURCHASES_WITHOUT_CART * buy,
            convert=min((1 - PURCHASES_WITHOUT_CART) * buy / cart, MAX_RATE),
        )


def normalised(effect: np.ndarray) -> np.ndarray:
    """Relative effects with mean 1 over the batch, so they move rates but keep the mean."""
    return effect / effect.mean() if len(effect) else effect


def funnel(
    rng: np.random.Generator,
    ctx: MonthContext,
    sessions: Sessions,
    views: Views,
    rates: FunnelRates,
) -> Events:
    """Views plus the carts, purchases and removals they lead to.

    A view is carted, bought without a cart, or neither (one uniform draw decides). Taste
    sessions, good products and second looks cart and buy more than exploring sessions and
    weak products; holiday deals raise purchases; a durable the user already owns is rarely
    bought again. The first view of a restock session is always bought, through a cart or
    not in the same proportion as other purchases.
    """
    session, product, time, repeated = views
    quality = ctx.catalog.quality[product]
    explore = sessions.explore[session]
    deal = sessions.deal[session]
    first = np.ones(len(session), dtype=bool)
    first[1:] = session[1:] != session[:-1]
    forced = first & (sessions.target[session] >= 0)
    interest = np.where(explore, 0.55, 1.35) * np.where(repeated, 1.6, 1.0)
    rebuy = np.where(ctx.owns(sessions.user[session], product), DURABLE_REBUY, 1.0)
    p_cart = rates.cart * normalised(interest * np.exp(0.25 * quality))
    p_direct = rates.direct * normalised(interest * np.exp(0.15 * quality) * rebuy) * deal
    u = rng.random(len(session))
    via_cart = rng.random(len(session)) >= PURCHASES_WITHOUT_CART
    carted_mask = np.where(forced, via_cart, u < p_cart)
    direct = np.where(forced, ~via_cart, (u >= p_cart) & (u < p_cart + p_direct))
    carted = np.flatnonzero(carted_mask)
    cart_time = time[carted] + rng.integers(3, 60, len(carted))
    c_session = session[carted]
    p_buy = rates.convert * normalised(
        np.where(explore[carted], 0.8, 1.1) * np.exp(0.15 * quality[carted]) * rebuy[carted]
    )
    p_buy = np.minimum(p_buy * deal[carted], MAX_RATE)
    bought = forced[carted] | (rng.random(len(carted)) < p_buy)
    removed = ~bought & (rng.random(len(carted)) < REMOVE_RATE)
    last_view = np.zeros(len(sessions), dtype=np.int64)
    np.maximum.at(last_view, session, time)
    buy_time = np.maximum(cart_time, last_view[c_session]) + rng.integers(30, 900, len(carted))
    remove_time = cart_time + rng.integers(20, 1800, len(carted))
    direct_time = time[direct] + rng.integers(20, 600, int(direct.sum()))
    purchase_time = np.concatenate([buy_time[bought], direct_time])
    return Events(
        time=np.concatenate([time, cart_time, purchase_time, remove_time[removed]]),
        kind=np.repeat(
            np.array([VIEW, CART, PURCHASE, REMOVE], dtype=np.int8),
            [len(time), len(carted), len(purchase_time), removed.sum()],
        ),
        product=np.concatenate(
            [
                product,
                product[carted],
                product[carted][bought],
                product[direct],
                product[carted][removed],
            ]
        ),
        session=np.concatenate(
            [session, c_session, c_session[bought], session[direct], c_session[removed]]
        ),
    )


def concat_sessions(parts: list[Sessions]) -> Sessions:
    return Sessions(
        *(np.concatenate([getattr(p, f) for p in parts]) for f in field_names(Sessions))
    )


def keep_inside_month(events: Events, month: Month) -> Events:
    """Sort by session then time and shift sessions that run past the month's end back."""
    events = events.take(np.lexsort((events.kind, events.time, events.session)))
    if not len(events):
        return events
    last = np.flatnonzero(np.diff(events.session, append=events.session[-1] + 1))
    end_of_session = np.repeat(events.time[last], np.diff(last, prepend=-1))
    shift = np.maximum(end_of_session - (month.end - 1), 0)
    time = np.maximum(events.time - shift, month.start)
    return Events(time, events.kind, events.product, events.session)


def empty_events() -> Events:
    none = np.zeros(0, dtype=np.int64)
    return Events(none, none.astype(np.int8), none, none)


def simulate_month(
    rng: np.random.Generator, ctx: MonthContext, budget: int, restock: Sessions | None = None
) -> tuple[Sessions, Events]:
    """Exactly `budget` events of the month, in time order, and the sessions they belong to.

    `restock` sessions (if any) come first, so they are never cut off by the budget.
    """
    first = restock if restock is not None else draw_sessions(rng, ctx, 0)
    rates = FunnelRates.for_month(budget, len(first))
    session_parts: list[Sessions] = [first]
    event_parts: list[Events] = [funnel(rng, ctx, first, draw_views(rng, ctx, first), rates)]
    produced, n_sessions, per_session = len(event_parts[0]), len(first), 3.9
    while produced < budget:
        n = int(np.ceil((budget - produced) / per_session * 1.04)) + 4
        sessions = draw_sessions(rng, ctx, n)
        events = funnel(rng, ctx, sessions, draw_views(rng, ctx, sessions), rates)
        shifted = Events(events.time, events.kind, events.product, events.session + n_sessions)
        event_parts.append(shifted)
        session_parts.append(sessions)
        produced += len(events)
        n_sessions += n
        per_session = max(len(events) / n, 1.0)
    events = keep_inside_month(Events.concat(event_parts), ctx.month).take(slice(0, budget))
    events = events.take(np.lexsort((events.kind, events.session, events.time)))
    return concat_sessions(session_parts), events
