"""The dashboard's data: one cached read-only warehouse connection and cached queries.

The connection is keyed by the published file's version, so the first rerun after a run
publishes opens the new file; until then readers keep the version they have. Nothing here
writes. Settings come from the environment that `moodcast dashboard` sets.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import streamlit as st

import warehouse
from transforms.privacy import DEFAULT_K
from warehouse import queries

TTL_SECONDS = 60


def data_dir() -> Path:
    return Path(os.environ.get("MOODCAST_HOME", "moodcast-data"))


def k() -> int:
    return int(os.environ.get("MOODCAST_K", DEFAULT_K))


def tz() -> str:
    return os.environ.get("MOODCAST_TZ", "UTC")


def version() -> tuple | None:
    """The published warehouse's version, or None when nothing is published yet."""
    return warehouse.published_version(data_dir())


@st.cache_resource(max_entries=1)
def _connection(directory: str, published: tuple):
    return warehouse.open_published(directory)


def _con():
    return _connection(str(data_dir()), version()).cursor()


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def series_options(published: tuple) -> pl.DataFrame:
    return queries.series_options(_con())


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def timeline(published: tuple, marker: str, region: str, lang: str, k: int) -> pl.DataFrame:
    return queries.daily(_con(), marker=marker, region=region, lang=lang, k=k)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def forecasts(published: tuple, unique_id: str) -> pl.DataFrame:
    return queries.forecasts(_con(), unique_id)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def alerts(published: tuple, unique_id: str) -> pl.DataFrame:
    return queries.alerts(_con(), unique_id)
