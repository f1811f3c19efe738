"""Controls shared by pages: the series picker and the download buttons of a view.

The chosen series is kept in the session (`st.session_state["series"]`), so Timelines and
Forecasts open on the same one; a link with `?marker=…&region=…&lang=…` (the Alerts page
makes them) chooses it once and is then cleared from the address; a link to a series that is
not published says so instead of opening silently on another.
"""

from __future__ import annotations

import re

import polars as pl
import streamlit as st

from dashboard import data, summaries
from transforms.contracts import ALL

SERIES_KEY = "series"


def _index(values: list[str], wanted: str | None) -> int:
    return values.index(wanted) if wanted in values else 0


def _linked() -> tuple[str, str, str] | None:
    """The series a link's `?marker=…&region=…&lang=…` names, once: the address is cleared."""
    params = st.query_params
    if "marker" not in params:
        return None
    linked = (params["marker"], params.get("region", ALL), params.get("lang", ALL))
    st.query_params.clear()
    return linked


def _as_typed(text: str) -> str:
    """`text` from a link as a Markdown code span on one line: shown as typed, never as a link,
    an image or formatting (anyone can write a link)."""
    text = " ".join(text.split())
    fence = "`" * (max(map(len, re.findall("`+", text)), default=0) + 1)
    return f"{fence} {text} {fence}"


def _wanted(options: pl.DataFrame, published: data.Version) -> tuple[str, str, str]:
    if SERIES_KEY in st.session_state:
        return st.session_state[SERIES_KEY]
    opening = summaries.most_severe(data.alerts(published, None))
    return opening or (options.get_column("marker").min(), ALL, ALL)


def pick_series(published: data.Version) -> tuple[str, str, str]:
    """Marker, region and language selectors opening on a link's series, else the session's,
    else the most severe recent alert's, else the first marker in all regions and languages.
    A link naming a series that is not published (a typo in it) says so below the selectors
    and which series they show instead. Where no series is published, says so
    (`summaries.no_series`) and stops the page."""
    options = data.series_options(published)
    if options.is_empty():
        st.info(summaries.no_series(data.tz()))
        st.stop()
    if linked := _linked():
        st.session_state[SERIES_KEY] = linked
    marker, region, lang = _wanted(options, published)
    left, middle, right = st.columns(3)
    markers = options.get_column("marker").unique().sort().to_list()
    marker = left.selectbox("Marker", markers, index=_index(markers, marker))
    of_marker = options.filter(pl.col("marker") == marker)
    regions = of_marker.get_column("region").unique().sort().to_list()
    region = middle.selectbox("Region", regions, index=_index(regions, region))
    langs = of_marker.filter(pl.col("region") == region).get_column("lang").unique().sort()
    langs = langs.to_list()
    lang = right.selectbox("Language", langs, index=_index(langs, lang))
    if linked and linked != (marker, region, lang):
        asked = [_as_typed(part) for part in linked]
        st.warning(
            f"The link asks for {asked[0]} in region {asked[1]} ({asked[2]}), which has no "
            f"published series: showing {marker} in region {region} ({lang}) instead. Check "
            "the link's spelling against the selectors."
        )
    st.session_state[SERIES_KEY] = (marker, region, lang)
    return marker, region, lang


def download_buttons(view: str, frame: pl.DataFrame, *, name: str, key: str) -> None:
    """CSV and Parquet download buttons for `frame` (an export `view`), each a zip with the
    data dictionary; the file is made only when the analyst clicks."""
    left, right = st.columns(2)
    for column, fmt in ((left, "csv"), (right, "parquet")):
        column.download_button(
            f"Download {fmt.upper()} + data dictionary",
            data=lambda fmt=fmt: data.bundle(view, frame, fmt),
            file_name=f"moodcast-{name}-{fmt}.zip",
            mime="application/zip",
            key=f"{key}-{fmt}",
            on_click="ignore",
            icon=":material/download:",
        )
