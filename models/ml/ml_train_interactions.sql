-- Training data of the test window (see ml_split_train and ml_split_windows).
{{ ml_window('train', 'test') }}
