"""The moodcast dashboard: a router over its pages (`streamlit run dashboard/app.py`).

The pages live in `screens/`, not `pages/`: Streamlit would serve a `pages/` folder's scripts
on their own at deep links, past this router and its sign-in. A page that stops at a block of
the published file that fails its checksum (`warehouse.damage_of`) says so instead.
"""

import os

import streamlit as st

import warehouse
from dashboard import data
from dashboard.auth import signed_in
from dashboard.serve import INSECURE_ENV

st.set_page_config(page_title="moodcast", page_icon=":material/show_chart:", layout="wide")
if os.environ.get(INSECURE_ENV) == "1":
    st.warning(
        "This dashboard is served without sign-in on a network address "
        "(`--insecure-no-auth`): anyone who can reach it sees every page.",
        icon=":material/lock_open:",
    )
if signed_in():
    page = st.navigation(
        [
            st.Page("screens/overview.py", title="Overview", icon=":material/home:", default=True),
            st.Page("screens/timelines.py", title="Timelines", icon=":material/show_chart:"),
            st.Page("screens/forecasts.py", title="Forecasts", icon=":material/online_prediction:"),
            st.Page("screens/alerts.py", title="Alerts", icon=":material/notifications:"),
            st.Page("screens/exports.py", title="Exports", icon=":material/download:"),
            st.Page("screens/health.py", title="Data health", icon=":material/monitor_heart:"),
        ]
    )
    try:
        page.run()
    except Exception as exc:
        if (damage := warehouse.damage_of(data.data_dir(), exc)) is None:
            raise
        st.warning(f"The published data cannot be read right now. {damage}")
