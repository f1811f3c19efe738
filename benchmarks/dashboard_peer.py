"""The peer of benchmarks/dashboard.py: a bare Streamlit page with one selectbox and no
data, so its rerun time is the floor any Streamlit app pays per interaction."""

import streamlit as st

st.title("Peer")
choice = st.selectbox("Marker", [f"marker_{i:02d}" for i in range(30)])
st.write(choice)
