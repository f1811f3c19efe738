"""A mapping file that reads an optional Post field from a path the input does not hold
(`region = "user.location"` for posts that carry `region`) made every post's region `unknown`
without a word; a run now warns, naming the field, the path and the file."""

from __future__ import annotations

import json

from click.testing import CliRunner

from moodcast.cli import main
from moodcast.reading import unread_mapped_fields
from transforms.presets import mapping_from_table, preset

POST = {"id": "1", "created_at": "2025-03-01T10:00:00Z", "text": "so sad", "region": "ES-MD"}


def _posts(tmp_path):
    path = tmp_path / "posts.jsonl"
    path.write_text(json.dumps(POST) + "\n", encoding="utf-8")
    return str(path)


def test_the_optional_fields_a_mapping_reads_from_nowhere_are_named(tmp_path):
    table = {
        "region": "user.location",
        "lang": ["meta.lang", "language"],
        "author_id": "id",
        "platform": {"const": "forum"},
    }
    mapping = mapping_from_table(table, origin="map.toml")
    unread = unread_mapped_fields(_posts(tmp_path), mapping)
    assert sorted(unread) == ['lang = "meta.lang" or "language"', 'region = "user.location"']
    assert unread_mapped_fields(_posts(tmp_path), preset("mastodon")) == []
    assert unread_mapped_fields(_posts(tmp_path), None) == []


def test_a_run_warns_of_a_region_mapped_to_nowhere(tmp_path, monkeypatch):
    """A too-short MOODCAST_SECRET stops the run (exit 3) right after its inputs are checked."""
    (tmp_path / "map.toml").write_text('region = "user.location"\n', encoding="utf-8")
    monkeypatch.setenv("MOODCAST_SECRET", "short")
    args = ["run", _posts(tmp_path), "--mapping", str(tmp_path / "map.toml")]
    result = CliRunner().invoke(main, [*args, "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 3, result.output
    assert (
        f'your mapping reads region = "user.location", which none of the first records of '
        f"{tmp_path / 'posts.jsonl'} holds" in result.stderr
    )
