-- Holdout truth of the test window (see ml_split_holdout and ml_split_windows).
{{ ml_window('holdout', 'test') }}
