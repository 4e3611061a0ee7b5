"""The local backend: the recommenders and the evaluation on pandas, numpy and scipy.

A training window that fits in memory (var ``ml_backend``: ``local``, or ``auto`` with at
most ``ml_local_max_rows`` training pairs and an estimate within half the available memory,
``use_local``) is collected to the process running the Python
model once, and every model and metric is computed there: seconds instead of hundreds of
small Spark jobs. The models and tie rules are those of the Spark modules (``ml.popularity``
and the others), so both backends give the same lists (tested), except ``random``, whose
draw is seeded by a hash of its own (still deterministic and uniform).
"""

from ml.local.recommend import recommend_all_local, use_local

__all__ = ["recommend_all_local", "use_local"]
