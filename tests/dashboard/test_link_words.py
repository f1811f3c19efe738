"""A link's words shown back on the page stay words: never a link, an image or formatting."""

from __future__ import annotations

from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

REPO = Path(__file__).parents[2]

CRAFTED = {
    "marker": "anger",
    "region": "[sign in again](https://example.org/login) `x`",
    "lang": "es\n\n![](https://example.org/pixel.png)",
}


@pytest.mark.parametrize("page", ["timelines", "forecasts"])
def test_a_crafted_link_is_shown_as_typed_never_as_a_link_or_image(
    published_run, monkeypatch, page
):
    """Regression: the warning for a link to no published series (st.warning renders Markdown)
    put the link's region and language into the page as Markdown, so anyone could send an
    analyst a dashboard link that showed a clickable link of their choosing on the page, or an
    image that made the analyst's browser call their server. The words are now code spans on
    one line, rendered here by a CommonMark parser as Streamlit's frontend renders them."""
    monkeypatch.setenv("MOODCAST_HOME", str(published_run[0]))
    at = AppTest.from_file(str(REPO / "dashboard" / "screens" / f"{page}.py"), default_timeout=60)
    at.query_params.update(CRAFTED)
    at.run()
    assert not at.exception
    (warning,) = [w.value for w in at.warning if "The link asks for" in w.value]
    html = MarkdownIt("commonmark").render(warning)
    assert "<a " not in html and "<img" not in html
    assert "<code>[sign in again](https://example.org/login) `x`</code>" in html
    assert "<code>es ![](https://example.org/pixel.png)</code>" in html
