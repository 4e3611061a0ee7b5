"""cartwheel's recommender logic: importable and testable without dbt."""
