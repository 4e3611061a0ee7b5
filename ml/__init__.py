"""cartwheel's recommender logic: importable and testable without dbt.

Every function takes and returns Spark DataFrames (or small pandas frames for report
tables) and uses only the DataFrame API, ``pyspark.ml`` and ``toPandas`` /
``createDataFrame``, so it runs on a classic SparkSession and over Spark Connect.

- ``ml.columns``: column names of the input/output contracts.
- ``ml.topk``: target users, seen items, bounded per-user top-k (``max_by(..., k)``).
- ``ml.indexing``: dense, collision-free integer ids.
- ``ml.popularity``: most-interacted unseen products.
- ``ml.random_baseline``: seeded random unseen products.
- ``ml.als``: ALS with ``implicit`` (driver) and Spark MLlib backends, ``auto`` choice.
- ``ml.metrics``: Precision/Recall/NDCG/MAP@K, hit rate, coverage, diversity.
- ``ml.revenue``: classic and price-aware revenue scenarios with bootstrap CIs.
- ``ml.ab_test``: simulated A/B test with a two-proportion z-test.
"""
