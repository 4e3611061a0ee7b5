"""cartwheel: dbt-on-Spark analytics engineering for e-commerce personalization."""

__version__ = "0.1.0"
