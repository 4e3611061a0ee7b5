-- Training data of the validation window (see ml_split_train and ml_split_windows).
{{ ml_window('train', 'validation') }}
