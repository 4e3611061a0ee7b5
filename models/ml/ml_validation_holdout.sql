-- Holdout truth of the validation window (see ml_split_holdout and ml_split_windows).
{{ ml_window('holdout', 'validation') }}
