"""The moodcast dashboard: a router over its pages (`streamlit run dashboard/app.py`)."""

import streamlit as st

st.set_page_config(page_title="moodcast", page_icon="📈", layout="wide")
page = st.navigation([st.Page("pages/timeline.py", title="Timeline", icon="📈", default=True)])
page.run()
