"""`cartwheel dashboard`: a Streamlit app over the marts (`app.py`), reading them through
one small data-access module (`data.py`)."""
