import json
from datetime import date, datetime, timedelta

import polars as pl
import pytest
from click.testing import CliRunner

from moodcast.cli import main
from moodcast.cli_options import PRESET_CHOICE
from moodcast.config import ConfigError, load_settings
from transforms.presets import PRESETS

STATUS = {
    "id": "1",
    "created_at": "2025-03-01T10:00:00.000Z",
    "content": "<p>I feel so sad &amp; alone<br>today</p>",
    "language": "en",
    "account": {"id": "acct-1"},
    "reblog": None,
}


def _statuses(path):
    reblog = {**STATUS, "id": "2", "content": "", "account": {"id": "acct-2"}, "reblog": STATUS}
    lines = [json.dumps(STATUS), json.dumps(reblog), '{"id": "3", "content": ']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_preset_choices_are_the_presets():
    assert sorted(PRESET_CHOICE.choices) == sorted(PRESETS)


def test_tag_with_a_preset_reads_mastodon_statuses(tmp_path):
    posts = _statuses(tmp_path / "statuses.jsonl")
    out = tmp_path / "out.parquet"
    args = ["tag", str(posts), "-o", str(out), "--markers", "sadness", "--keep-text",
            "--data-dir", str(tmp_path / "data")]  # fmt: skip
    result = CliRunner().invoke(main, [*args, "--preset", "mastodon"])
    assert result.exit_code == 0, result.output
    frame = pl.read_parquet(out)
    assert frame["id"].to_list() == ["1", "2"]  # the reblog is a post too; the bad line is skipped
    assert frame["text"].to_list() == ["I feel so sad & alone\ntoday"] * 2
    assert frame["sadness"].to_list() == [True, True]
    assert not any("author" in c for c in frame.columns)
    unmapped = CliRunner().invoke(main, args)
    assert unmapped.exit_code == 4 and "--preset mastodon" in unmapped.output  # no `text` field


def test_tag_with_a_mapping_file_and_the_options_are_exclusive(tmp_path):
    posts = tmp_path / "posts.csv"
    pl.DataFrame(
        {"uid": ["a"], "when": ["2025-01-01T00:00:00Z"], "msg": ["so sad"], "lang": ["en"]}
    ).write_csv(posts)
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('id = "uid"\ncreated_at = "when"\ntext = "msg"\n', encoding="utf-8")
    out = tmp_path / "out.parquet"
    args = ["tag", str(posts), "-o", str(out), "--markers", "sadness",
            "--data-dir", str(tmp_path / "data")]  # fmt: skip
    result = CliRunner().invoke(main, [*args, "--mapping", str(mapping)])
    assert result.exit_code == 0, result.output
    assert pl.read_parquet(out)["sadness"].to_list() == [True]
    both = CliRunner().invoke(main, [*args, "--mapping", str(mapping), "--preset", "x"])
    assert both.exit_code == 2 and "mutually exclusive" in both.output
    unknown = CliRunner().invoke(main, [*args, "--preset", "twitter"])
    assert unknown.exit_code == 2 and "'bluesky', 'mastodon', 'reddit', 'x'" in unknown.output


def test_config_names_a_preset_or_a_mapping_and_the_command_line_wins(tmp_path):
    (tmp_path / "config.toml").write_text('input_preset = "reddit"\n', encoding="utf-8")
    assert load_settings(tmp_path).record_mapping.key == "preset:reddit"
    (tmp_path / "m.toml").write_text('text = "body"\n', encoding="utf-8")
    overridden = load_settings(tmp_path, input_mapping=tmp_path / "m.toml")
    assert overridden.input_preset is None and overridden.record_mapping.key.startswith("mapping:")
    assert load_settings(tmp_path, input_preset="x").record_mapping.key == "preset:x"
    (tmp_path / "config.toml").write_text('input_mapping = "m.toml"\n', encoding="utf-8")
    assert load_settings(tmp_path).input_mapping == tmp_path.resolve() / "m.toml"
    assert load_settings(tmp_path / "nowhere").record_mapping is None


@pytest.mark.parametrize(
    ("config", "mapping", "message"),
    [
        ('input_preset = "twitter"', None, "input_preset: unknown input preset 'twitter'; presets: bluesky, mastodon, reddit, x"),
        ('input_preset = ["x"]', None, 'input_preset must be a quoted string, e.g. input_preset = "reddit"'),
        ('input_preset = "x"\ninput_mapping = "m.toml"', "", "input_preset and input_mapping are both set"),
        ('input_mapping = "absent.toml"', None, "input_mapping: cannot read"),
        ('input_mapping = "m.toml"', 'body = "text"', "body is not a Post field; Post fields: id, created_at"),
        ('input_mapping = "m.toml"', "text = ", "input_mapping: "),
    ],
)  # fmt: skip
def test_bad_input_settings_say_what_to_fix(tmp_path, config, mapping, message):
    (tmp_path / "config.toml").write_text(config + "\n", encoding="utf-8")
    if mapping is not None:
        (tmp_path / "m.toml").write_text(mapping + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        load_settings(tmp_path)


def _hourly(path, n: int, post) -> None:
    """Write `n` JSON lines to `path`, `post(i, when)` for post i at 09:00 UTC on 2025-03-01
    plus i hours."""
    first = datetime(2025, 3, 1, 9)
    rows = (post(i, first + timedelta(hours=i)) for i in range(n))
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def test_a_recomputed_day_reads_each_earlier_input_through_its_own_preset(tmp_path):
    import warehouse
    from moodcast.run import daily_run

    tweets, comments = tmp_path / "tweets.jsonl", tmp_path / "comments.jsonl"
    _hourly(tweets, 30, lambda i, when: {"id": f"t{i}", "text": "so sad today", "author_id": f"u{i}",
                                         "lang": "en", "created_at": when.isoformat() + "Z"})  # fmt: skip
    _hourly(comments, 20, lambda i, when: {"id": f"c{i}", "body": "so happy", "author": f"r{i}",
                                           "created_utc": int(when.timestamp())})  # fmt: skip
    data = tmp_path / "data"

    def run(path, name):
        settings = load_settings(data, input_preset=name)
        return daily_run([str(path)], settings=settings, as_of=date(2025, 3, 31), beam_args=[])

    run(tweets, "x")
    second = run(comments, "reddit")
    assert (second.read, second.valid, second.dead_lettered) == (50, 50, 0)
    with warehouse.open_published(data) as con:
        ledger = con.sql(
            "SELECT path, mapping FROM run_inputs WHERE run_id = ? ORDER BY path",
            params=[second.run_id],
        ).fetchall()
    assert ledger == [(str(comments), "preset:reddit"), (str(tweets), "preset:x")]


def test_a_recomputed_day_reads_an_earlier_input_with_its_own_default_language(tmp_path):
    from moodcast.run import daily_run

    emoji, spanish = tmp_path / "emoji.jsonl", tmp_path / "es.jsonl"
    _hourly(emoji, 20, lambda i, when: {"id": f"e{i}", "text": "😭😭", "author_id": f"u{i}",
                                        "created_at": when.isoformat() + "Z"})  # fmt: skip
    _hourly(spanish, 20, lambda i, when: {"id": f"s{i}", "text": "me siento muy triste esta noche",
                                          "author_id": f"v{i}", "created_at": when.isoformat() + "Z"})  # fmt: skip
    data = tmp_path / "data"

    def run(path, lang):
        settings = load_settings(data, default_lang=lang)
        return daily_run([str(path)], settings=settings, as_of=date(2025, 3, 31), beam_args=[])

    assert run(emoji, "en").valid == 20
    second = run(spanish, None)
    assert (second.read, second.valid, second.filtered) == (40, 40, {})
