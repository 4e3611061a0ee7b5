"""Time in the synthetic shop: month boundaries, daily traffic weights and holiday peaks.

Traffic per day = trend x yearly wave x weekday effect x holiday factor. Holidays: Black
Friday (the day after the 4th Thursday of November) and its weekend, Cyber Monday, the
December run-up to Christmas, quiet Christmas/New Year's days, and a mid-July sales event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np

SECONDS_PER_DAY = 86_400
WEEKDAY = np.array([1.04, 1.00, 0.98, 0.97, 0.96, 1.01, 1.09])  # Monday first
# UTC hour-of-day profile: quiet nights, a lunchtime bump and an evening peak.
HOURLY = np.array(
    [0.25, 0.15, 0.10, 0.08, 0.08, 0.12, 0.25, 0.45, 0.65, 0.80, 0.90, 0.95,
     1.00, 0.98, 0.95, 0.95, 1.00, 1.10, 1.25, 1.35, 1.30, 1.05, 0.70, 0.40]
)  # fmt: skip
YEARLY_GROWTH = 0.22  # log-growth of traffic per year


@dataclass(frozen=True)
class Month:
    """One calendar month of the span: its index, label and [start, end) in epoch seconds."""

    index: int
    first_day: date
    start: int
    end: int
    day_weights: np.ndarray  # traffic weight per day of this month
    deal_factor: np.ndarray  # purchase-rate multiplier per day (holiday deals)

    @property
    def label(self) -> str:
        return f"{self.first_day.year:04d}-{self.first_day.month:02d}"

    @property
    def days(self) -> int:
        return len(self.day_weights)


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after `day`'s month."""
    total = day.year * 12 + (day.month - 1) + months
    return date(total // 12, total % 12 + 1, 1)


def epoch_seconds(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def black_friday(year: int) -> date:
    """The day after the fourth Thursday of November."""
    first = date(year, 11, 1)
    first_thursday = first + timedelta(days=(3 - first.weekday()) % 7)
    return first_thursday + timedelta(days=22)


def holiday_factor(day: date) -> float:
    """How much busier than usual `day` is because of sales and holidays."""
    bf = black_friday(day.year)
    offset = (day - bf).days
    peaks = {-3: 1.25, -2: 1.3, -1: 1.15, 0: 2.6, 1: 1.7, 2: 1.5, 3: 1.9, 4: 1.3}
    if offset in peaks:
        return peaks[offset]
    if day.month == 12:
        if day.day <= 21:
            return 1.2 + 0.25 * day.day / 21
        return {24: 0.8, 25: 0.55, 31: 0.7}.get(day.day, 1.05)
    if day.month == 1 and day.day == 1:
        return 0.6
    if day.month == 7 and day.day in (11, 12):
        return 1.45
    return 1.0


def day_weight(day: date, span_start: date) -> float:
    years = (day - span_start).days / 365.25
    doy = day.timetuple().tm_yday
    yearly = 1.0 + 0.10 * np.cos(2 * np.pi * (doy - 355) / 365.25)
    trend = np.exp(YEARLY_GROWTH * years)
    return float(trend * yearly * WEEKDAY[day.weekday()] * holiday_factor(day))


def build_months(start: date, months: int) -> list[Month]:
    """Every calendar month of the span with its daily weights."""
    result = []
    for index in range(months):
        first = add_months(start, index)
        nxt = add_months(start, index + 1)
        days = [first + timedelta(days=d) for d in range((nxt - first).days)]
        weights = np.array([day_weight(d, start) for d in days])
        deals = np.array([holiday_factor(d) for d in days]) ** 0.35
        result.append(Month(index, first, epoch_seconds(first), epoch_seconds(nxt), weights, deals))
    return result


def split_budget(total: int, weights: np.ndarray) -> np.ndarray:
    """Split `total` into integers proportional to `weights` (largest remainder)."""
    share = weights / weights.sum() * total
    counts = np.floor(share).astype(np.int64)
    short = total - int(counts.sum())
    if short:
        order = np.argsort(-(share - counts), kind="stable")
        counts[order[:short]] += 1
    return counts
