"""Pick the ALS backend: ``implicit`` on the driver when the data fits, else Spark MLlib.

``auto`` picks ``implicit`` when ``estimate_implicit_bytes`` is below ``AUTO_BUDGET_SHARE``
(25 %) of the memory budget (default: the memory currently available on the machine that
runs the dbt Python model, i.e. where ``implicit`` would run), else ``spark``.

The estimate (bytes) is deliberately generous:

    n_interactions * 200    # toPandas copy with two string ids (~150) + CSR and its
                            # transpose (2 x (4 data + 4 index))
  + (n_users + n_items) * (3 * 4 * rank + 150)
                            # float32 factors (+ solver copies) and the id -> code maps
  + n_users * k * 100       # the recommendation frame before createDataFrame

At the defaults (rank 16, k 10) 10M interactions, 1M users and 500k items estimate ~3.5 GB,
so ``auto`` wants ~14 GB available to pick ``implicit``.
"""

from __future__ import annotations

import os

BACKENDS = ("spark", "implicit", "auto")
AUTO_BUDGET_SHARE = 0.25
BYTES_PER_INTERACTION = 200
BYTES_PER_ID = 150
BYTES_PER_REC = 100


def estimate_implicit_bytes(
    n_interactions: int, n_users: int, n_items: int, rank: int, k: int
) -> int:
    """Rough peak driver memory of the ``implicit`` backend (see the module docstring)."""
    return int(
        n_interactions * BYTES_PER_INTERACTION
        + (n_users + n_items) * (3 * 4 * rank + BYTES_PER_ID)
        + n_users * k * BYTES_PER_REC
    )


def available_memory_bytes(cgroup: str = "/sys/fs/cgroup") -> int:
    """Memory available to this process now: the machine's ``MemAvailable`` (else its
    physical memory), capped by this process's cgroup limit (v2 ``memory.max`` minus
    ``memory.current``) where there is one: in a container or a cluster's client pod the
    limit, not the machine, is what ``implicit`` can use. This is the process that runs
    the dbt Python model (over Spark Connect: the dbt client, not the Spark driver)."""
    machine = None
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    machine = int(line.split()[1]) * 1024
    except OSError:
        pass
    if machine is None:
        machine = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    try:
        limit = open(f"{cgroup}/memory.max").read().strip()
        used = int(open(f"{cgroup}/memory.current").read().strip())
    except (OSError, ValueError):
        return machine
    if limit == "max":
        return machine
    return max(0, min(machine, int(limit) - used))


def choose_backend(
    setting: str,
    n_interactions: int,
    n_users: int,
    n_items: int,
    memory_budget_bytes: int | None = None,
    *,
    rank: int,
    k: int,
) -> str:
    """Resolve a backend setting to ``"spark"`` or ``"implicit"``.

    Args:
        setting: ``"spark"``, ``"implicit"`` or ``"auto"`` (case-insensitive).
        n_interactions, n_users, n_items: size of the training data.
        memory_budget_bytes: memory ``implicit`` may use (default: available memory).
        rank, k: factors and list length (they enter the estimate).

    Raises:
        ValueError: unknown setting (the message names the allowed values).
    """
    normalised = str(setting).strip().lower()
    if normalised not in BACKENDS:
        raise ValueError(
            f"unknown ALS backend {setting!r}: expected one of {', '.join(map(repr, BACKENDS))}"
        )
    if normalised != "auto":
        return normalised
    budget = available_memory_bytes() if memory_budget_bytes is None else memory_budget_bytes
    needed = estimate_implicit_bytes(n_interactions, n_users, n_items, rank, k)
    return "implicit" if needed < AUTO_BUDGET_SHARE * budget else "spark"
