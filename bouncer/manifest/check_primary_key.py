"""cartwheel's primary-key rule, a dbt-bouncer custom check.

Every model has a key: one column with both `unique` and `not_null` tests, or a
`cartwheel_unique_combination` test whose columns are each not null: a `not_null` test on
the column or the column listed in a `cartwheel_not_null_columns` test of the same model
(one scan for several columns). Bouncer's own `check_model_has_unique_test` counts a
`unique` test alone, so a key column that may be null (and then joins to nothing) would
pass it.
"""

from dbt_bouncer.check_framework.decorator import check, fail
from dbt_bouncer.utils import get_clean_model_name

COMBINATION = "cartwheel_unique_combination"
NOT_NULL_COLUMNS = "cartwheel_not_null_columns"


@check(code="CW001")
def check_model_has_primary_key_test(model, ctx):
    """Models must have a primary-key test: unique + not_null on one column, or a unique
    combination of not-null columns (each with `not_null` or listed in the model's
    `cartwheel_not_null_columns`)."""
    unique, not_null, combinations = set(), set(), []
    for test in ctx.tests_by_attached_node.get(model.unique_id, []):
        meta = getattr(test, "test_metadata", None)
        if meta is None:
            continue
        kwargs = getattr(meta, "kwargs", None) or {}
        column = kwargs.get("column_name") or getattr(test, "column_name", None)
        if meta.name == "unique" and column:
            unique.add(column)
        elif meta.name == "not_null" and column:
            not_null.add(column)
        elif meta.name == NOT_NULL_COLUMNS:
            not_null.update(kwargs.get("columns") or [])
        elif meta.name == COMBINATION:
            combinations.append(set(kwargs.get("columns") or []))
    if unique & not_null or any(c and c <= not_null for c in combinations):
        return
    fail(
        f"`{get_clean_model_name(model.unique_id)}` has no primary-key test "
        "(unique + not_null on one column, or a unique combination of not-null columns)."
    )
