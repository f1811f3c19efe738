"""The CLI's shared option helpers: one date parser for every command that takes a date."""

from datetime import date
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from moodcast.cli import main
from moodcast.cli_options import iso_date


def test_iso_date_parses_a_day_and_keeps_none():
    assert iso_date(None, None, "2025-03-01") == date(2025, 3, 1)
    assert iso_date(None, None, None) is None


def test_iso_date_names_the_bad_value_and_the_expected_form():
    with pytest.raises(click.BadParameter, match="'2025-13-01' is not a date like 2025-03-01"):
        iso_date(None, None, "2025-13-01")


@pytest.mark.parametrize(
    "args",
    [
        ["run", "posts.jsonl", "--as-of", "31/01/2025"],
        ["alerts", "replay", "series.csv", "--from", "31/01/2025"],
    ],
)
def test_every_dated_option_gives_the_same_message(args, tmp_path):
    with CliRunner().isolated_filesystem(temp_dir=tmp_path):
        for name in ("posts.jsonl", "series.csv"):
            open(name, "w").close()
        result = CliRunner().invoke(main, args, obj={"beam_args": []})
    assert result.exit_code == 2, result.output
    assert "'31/01/2025' is not a date like 2025-03-01" in result.output


def test_shared_options_parse_and_print_one_way(tmp_path):
    from moodcast.cli_options import count_option, echo_table, file_option, freq_option

    @click.command()
    @file_option("--series", "series_path", "a file", required=True)
    @freq_option()
    @count_option("--delay", 0, "periods", minimum=0)
    def show(series_path, freq, delay):
        echo_table(
            ["name", "freq", "delay", "share", "none"],
            [(series_path.name, freq, delay, 1 / 3, None)],
        )

    (tmp_path / "s.csv").write_text("unique_id,ds,y\n")
    result = CliRunner().invoke(show, ["--series", str(tmp_path / "s.csv"), "--freq", "W"])
    assert result.exit_code == 0, result.output
    assert result.output == "name\tfreq\tdelay\tshare\tnone\ns.csv\tW\t0\t0.3333\t\n"
    result = CliRunner().invoke(show, ["--series", str(tmp_path / "s.csv"), "--delay", "-1"])
    assert result.exit_code == 2 and "-1 is not in the range x>=0" in result.output
    result = CliRunner().invoke(show, ["--series", str(tmp_path / "missing.csv")])
    assert result.exit_code == 2 and "does not exist" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["run", "posts.jsonl"],
        ["tag", "posts.jsonl", "-o", "out.parquet"],
        ["stream", "--subscription", "projects/project-p/subscriptions/s"],
        ["markers", "adapt", "posts.jsonl"],
        ["markers", "train", "--labels", "labels.csv"],
        ["markers", "evaluate", "--labels", "labels.csv"],
        ["markers", "calibrate", "--labels", "labels.csv"],
    ],
)
def test_every_lang_option_refuses_a_code_no_post_can_be_in_with_the_codes(args, tmp_path):
    """Regression: `--lang` took any 2-3 letters, so a typo (`enn`) wrote heads, rates or
    markers under a code that no identified post ever reaches (the run went on, its
    short posts in a language no marker has)."""
    with CliRunner().isolated_filesystem(temp_dir=tmp_path):
        Path("posts.jsonl").write_text(
            '{"id": "1", "created_at": "2025-03-01T10:00:00Z", "text": "so sad"}\n'
        )
        Path("labels.csv").write_text("text,sadness\nso sad,1\nso glad,0\n")
        Path("lexicon.txt").write_text("sad\tsadness\t1\n")
        result = CliRunner().invoke(
            main, [*args, "--lang", "enn", "--data-dir", "data"], obj={"beam_args": []}
        )
    assert result.exit_code == 3, result.output
    assert "'enn' is not a language code posts are identified with" in result.output
    assert "eng is en, spa is es" in result.output and ", en, eo, es, " in result.output


def test_a_lexicon_is_imported_in_a_language_posts_are_never_identified_in_with_a_warning(
    tmp_path,
):
    """Regression: `markers import nrc FILE --lang haw` was refused (exit 3) because no marker
    had `haw` yet, while a marker file written by hand in `haw` is taken; a code that is no
    language (`english`, `und`) is still refused."""
    lexicon = tmp_path / "lexicon.txt"
    lexicon.write_text("kaumaha\tsadness\t1\n", encoding="utf-8")
    data = tmp_path / "data"
    args = ["markers", "import", "nrc", str(lexicon), "--data-dir", str(data)]
    result = CliRunner().invoke(main, [*args, "--lang", "haw"])
    assert result.exit_code == 0, result.output
    assert "posts are never identified in haw" in result.output
    assert "[lang.haw]" in (data / "markers" / "nrc_sadness.toml").read_text(encoding="utf-8")
    for code in ("english", "und"):
        refused = CliRunner().invoke(main, [*args, "--force", "--lang", code])
        assert refused.exit_code == 3, refused.output
        assert f"'{code}' is not a language code posts are identified with" in refused.output


def test_a_refused_default_lang_stops_only_the_commands_that_read_posts(published_run, tmp_path):
    """Regression: a config.toml whose default_lang names no language (a code an earlier version
    took) stopped every command with exit 3, `export` and `markers list` included, which never
    use it."""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(published_run[0], data, symlinks=True)
    with (data / "config.toml").open("a", encoding="utf-8") as config:
        config.write('\ndefault_lang = "enn"\n')
    exported = CliRunner().invoke(
        main, ["export", "-o", str(tmp_path / "out"), "--data-dir", str(data)]
    )
    assert exported.exit_code == 0, exported.output
    assert (tmp_path / "out" / "timelines.csv").exists()
    listed = CliRunner().invoke(main, ["markers", "list", "--data-dir", str(data)])
    assert listed.exit_code == 0 and "sadness" in listed.output, listed.output
    posts = tmp_path / "posts.jsonl"
    posts.write_text(
        '{"id": "1", "created_at": "2025-03-01T10:00:00Z", "text": "so sad"}\n', encoding="utf-8"
    )
    tagged = CliRunner().invoke(
        main, ["tag", str(posts), "-o", str(tmp_path / "t.parquet"), "--data-dir", str(data)]
    )
    assert tagged.exit_code == 3
    assert f"{data / 'config.toml'}: default_lang (--lang): 'enn'" in tagged.output


def test_tag_warns_once_of_a_default_language_posts_are_never_identified_in(tmp_path):
    """Regression: with default_lang = "haw" in config.toml, `moodcast tag` said twice (three
    times with --markers) that posts are never identified in haw: each time it read the
    settings again for the markers."""
    data = tmp_path / "data"
    (data / "markers").mkdir(parents=True)
    (data / "markers" / "kaumaha.toml").write_text(
        'name = "kaumaha"\n[lang.haw]\nterms = ["kaumaha"]\n', encoding="utf-8"
    )
    (data / "config.toml").write_text('default_lang = "haw"\n', encoding="utf-8")
    posts = tmp_path / "posts.jsonl"
    posts.write_text(
        '{"id": "1", "created_at": "2025-03-01T10:00:00Z", "text": "kaumaha"}\n', encoding="utf-8"
    )
    for names in ([], ["--markers", "kaumaha"]):
        result = CliRunner().invoke(
            main,
            ["tag", str(posts), "-o", str(tmp_path / "t.parquet"), "--data-dir", str(data),
             *names],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert result.output.count("posts are never identified in haw") == 1, result.output
