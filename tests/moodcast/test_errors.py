"""A new user's mistakes: each gets one paragraph, no traceback, and its documented exit code."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from moodcast.cli import EXIT_CODES, exit_code, main
from transforms import errors
from transforms.presets import suggest_reading
from transforms.timestamp_forms import AMBIGUOUS_TIMESTAMP, TIMESTAMP_FORMS

ROOT = Path(__file__).resolve().parents[2]


def _moodcast(args: list[str], *, beam_args: list[str] = (), env: dict | None = None):
    runner = CliRunner()
    result = runner.invoke(main, args, obj={"beam_args": list(beam_args)}, env=env)
    output = result.output
    assert "Traceback" not in output, output
    assert result.exception is None or isinstance(result.exception, SystemExit), output
    return result.exit_code, output


def _error_paragraph(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith("Error: ")]
    assert len(lines) == 1, output
    return lines[0]


@pytest.fixture
def posts_csv(tmp_path):
    path = tmp_path / "posts.csv"
    path.write_text("post_id,body,ts\n1,so sad today,2025-03-01\n", encoding="utf-8")
    return path


def test_a_directory_as_input_names_it_and_suggests_a_glob(tmp_path):
    (tmp_path / "in").mkdir()
    data = tmp_path / "data"
    code, output = _moodcast(["run", str(tmp_path / "in"), "--data-dir", str(data)])
    assert code == 4
    assert "is a directory: give the files in it" in _error_paragraph(output)
    assert not data.exists()


def test_a_missing_input_creates_nothing_and_prints_no_secret_warning(tmp_path):
    data = tmp_path / "data"
    code, output = _moodcast(
        ["run", str(tmp_path / "absent.jsonl"), "--data-dir", str(data)],
        env={"MOODCAST_SECRET": ""},
    )
    assert code == 4
    assert "no input file matches" in _error_paragraph(output)
    assert not data.exists()
    assert "MOODCAST_SECRET" not in output


def test_a_remote_runner_without_temp_location_is_a_setting_error(tmp_path, posts_csv):
    code, output = _moodcast(
        ["run", str(posts_csv), "--data-dir", str(tmp_path / "data")],
        beam_args=["--runner=DataflowRunner", "--project=p"],
        env={"MOODCAST_SECRET": "a-test-secret-of-at-least-32-bytes!"},
    )
    assert code == 3
    assert "--temp_location" in _error_paragraph(output)
    assert not (tmp_path / "data").exists()


def test_a_beam_flag_before_the_separator_is_told_to_go_after_it(tmp_path, posts_csv):
    code, output = _moodcast(["run", str(posts_csv), "--runner=DataflowRunner"])
    assert code == 2
    assert "put it after `--`" in output


def test_our_own_option_after_the_separator_is_told_to_go_before_it(tmp_path, posts_csv):
    code, output = _moodcast(["run", str(posts_csv)], beam_args=["--data-dir", "d"])
    assert code == 2
    assert "--data-dir is an option of moodcast run: put it before `--`" in output


def test_a_stream_option_after_the_separator_is_told_to_go_before_it(tmp_path):
    data = tmp_path / "data"
    code, output = _moodcast(
        ["stream", "--recover", "--data-dir", str(data)], beam_args=["--duration=1s"]
    )
    assert code == 2
    assert "--duration is an option of moodcast stream: put it before `--`" in output
    assert not data.exists()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('k = "eleven"', "config.toml: k must be a whole number, e.g. k = 11; got the string 'eleven'"),
        ("k = 0", "config.toml: k must be a whole number of at least 1, e.g. k = 11, got 0"),
        ('include_reposts = "yes"', "include_reposts must be true or false"),
        ("horizon_days = 7.5", "horizon_days must be a whole number, e.g. horizon_days = 14"),
        ('models = { en = 3 }', 'models must be a table of quoted values, e.g. [models] en = "default"'),
        ('tz = "Mars/Olympus"', "config.toml: tz: unknown time zone 'Mars/Olympus'"),
        ("k = ", "is not valid TOML"),
        ("colour = 3", "unknown setting(s) colour"),
    ],
)  # fmt: skip
def test_a_bad_setting_names_the_key_the_file_and_the_form(tmp_path, line, message):
    (tmp_path / "config.toml").write_text(line + "\n", encoding="utf-8")
    code, output = _moodcast(["export", "-o", str(tmp_path / "out"), "--data-dir", str(tmp_path)])
    assert code == 3
    assert message in _error_paragraph(output)


def test_exporting_before_any_run_is_a_warehouse_error(tmp_path):
    code, output = _moodcast(["export", "-o", str(tmp_path / "out"), "--data-dir", str(tmp_path)])
    assert code == 7
    _error_paragraph(output)


@pytest.mark.slow
def test_a_run_that_keeps_no_post_fails_with_the_fields_and_a_mapping(tmp_path, posts_csv):
    code, output = _moodcast(
        ["run", str(posts_csv), "--data-dir", str(tmp_path / "data"), "--as-of", "2025-03-02"],
        env={"MOODCAST_SECRET": "a-test-secret-of-at-least-32-bytes!"},
    )
    assert code == 4
    message = _error_paragraph(output)
    assert "No usable post: read 1 record(s), 1 dead-lettered (1 missing field id)" in message
    assert "has the fields post_id, body, ts" in message
    assert 'id = "post_id"; created_at = "ts"; text = "body"' in message


@pytest.mark.slow
def test_a_run_whose_every_timestamp_is_unread_names_the_forms_read_not_a_mapping(tmp_path):
    """Regression: a file whose dates are `01/11/2026 04:36`, read through a mapping that names
    its date column, was told to write a mapping naming a created_at column, which it had. Such
    a date is now a dead letter of its own, whose advice says why it is not read."""
    posts = tmp_path / "posts.csv"
    posts.write_text(
        "post_id,posted,body\n1,01/11/2026 04:36,so sad today\n2,next week,me too\n",
        encoding="utf-8",
    )
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('id = "post_id"\ncreated_at = "posted"\ntext = "body"\n', encoding="utf-8")
    code, output = _moodcast(
        ["run", str(posts), "--mapping", str(mapping), "--data-dir", str(tmp_path / "data"),
         "--as-of", "2026-01-12"],
        env={"MOODCAST_SECRET": "a-test-secret-of-at-least-32-bytes!"},
    )  # fmt: skip
    assert code == 4
    message = _error_paragraph(output)
    assert f"2 dead-lettered (1 {AMBIGUOUS_TIMESTAMP}, 1 unparseable timestamp)" in message
    assert "mapping file (--mapping" not in message and "created_at =" not in message
    assert "an order the value does not tell (1 November or 11 January)" in message
    assert f"reads created_at as {TIMESTAMP_FORMS}" in message


def _row(*fields: str) -> dict:
    return dict.fromkeys(fields, "1")


def test_reading_advice_names_the_preset_whose_fields_a_file_has():
    reddit = _row("id", "body", "created_utc", "subreddit", "author")
    assert "--preset reddit" in suggest_reading(reddit)
    tweet = {"data": _row("id", "text", "created_at"), "includes": {}}
    assert "--preset x" in suggest_reading(tweet)
    assert suggest_reading(_row("id", "created_at", "text")) == ""


def test_created_utc_alone_is_no_sign_of_reddit():
    """`created_utc` is a common name for a Unix time: a record of another source with it and
    no field only Reddit's records carry was told --preset reddit."""
    record = {"id": "p1", "created_utc": 1764561600, "body": "hi", "author": "u1"}
    advice = suggest_reading(record)
    assert "--preset" not in advice
    assert 'created_at = "created_utc"; text = "body"' in advice
    assert "--preset reddit" in suggest_reading({**record, "subreddit": "s"})


def test_a_run_read_with_the_preset_it_would_be_advised_is_not_advised_it_again(tmp_path):
    """Regression: a Reddit file read with --preset reddit whose one post is too long (a dead
    letter of its own) was told to read it with --preset reddit."""
    path = tmp_path / "posts.jsonl"
    record = {"id": "a", "subreddit": "depression", "selftext": "so sad today, and every day",
              "created_utc": 1764561600, "author": "u1"}  # fmt: skip
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text("max_text_chars = 5\n", encoding="utf-8")
    env = {"MOODCAST_SECRET": "a-test-secret-of-at-least-32-bytes!"}
    code, output = _moodcast(
        ["run", str(path), "--data-dir", str(data), "--preset", "reddit", "--as-of", "2025-12-02"],
        env=env,
    )
    message = _error_paragraph(output)
    assert code == 4 and "1 dead-lettered (1 oversized text)" in message
    assert "read with --preset reddit" in message and "read them with" not in message
    assert "--preset reddit" in suggest_reading(record)
    assert suggest_reading(record, read_with="reddit") == ""


def test_reading_advice_names_no_preset_that_would_not_read_the_record():
    """One Mastodon-like field (`account`) was enough to advise --preset mastodon, whose run
    then failed on `field text must be a string` with the same advice: a loop."""
    record = {
        "uuid": "p1",
        "meta": {"sent_at": "2025-11-01T04:44:00Z"},
        "account": {"id": "u1"},
        "content": {"body": "hi"},
    }
    advice = suggest_reading(record)
    assert "--preset" not in advice
    assert (
        'id = "uuid"; created_at = "meta.sent_at"; text = "content.body"; author_id = "account.id"'
    ) in advice
    status = {**_row("id", "created_at", "content"), "account": {"id": "u1"}}
    assert "--preset mastodon" in suggest_reading(status)


def test_the_drafted_mapping_reads_names_in_any_case_and_spelling():
    advice = suggest_reading(_row("PostID", "Date", "Text", "UserHandle"))
    assert 'id = "PostID"; created_at = "Date"; text = "Text"; author_id = "UserHandle"' in advice


def test_a_run_with_the_preset_once_advised_is_now_told_a_mapping(tmp_path):
    path = tmp_path / "posts.jsonl"
    record = {
        "uuid": "p1",
        "meta": {"sent_at": "2025-11-01T04:44:00Z"},
        "account": {"id": "u1"},
        "content": {"body": "hi"},
    }
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    for preset in ([], ["--preset", "mastodon"]):
        code, output = _moodcast(
            ["run", str(path), "--data-dir", str(tmp_path / "data"), *preset],
            env={"MOODCAST_SECRET": "a-test-secret-of-at-least-32-bytes!"},
        )
        message = _error_paragraph(output)
        assert code == 4 and "read them with --preset" not in message
        assert 'text = "content.body"' in message


def test_a_run_whose_posts_were_all_filtered_is_not_told_the_preset_it_was_read_with(tmp_path):
    """Regression: a Reddit file read with --preset reddit whose posts were all dated after
    --as-of was told to read it with --preset reddit; its records were read, so only the dates'
    advice applies."""
    path = tmp_path / "posts.jsonl"
    record = {"id": "a", "name": "t3_a", "subreddit": "depression", "selftext": "so sad today",
              "title": "x", "created_utc": 1893456000, "author": "u1"}  # fmt: skip
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    code, output = _moodcast(
        ["run", str(path), "--data-dir", str(tmp_path / "data"), "--preset", "reddit",
         "--as-of", "2026-01-05"],
        env={"MOODCAST_SECRET": "a-test-secret-of-at-least-32-bytes!"},
    )  # fmt: skip
    message = _error_paragraph(output)
    assert code == 4 and "1 filtered (1 future timestamp)" in message
    assert "read with --preset reddit" in message and "read them with" not in message
    assert "give --as-of the last day the data cover" in message


def test_the_drafted_mapping_names_the_author_a_file_has_so_its_cells_can_reach_k():
    advice = suggest_reading(_row("post_id", "posted_at", "message", "User", "country"))
    assert 'id = "post_id"; created_at = "posted_at"; text = "message"' in advice
    assert 'author_id = "User"' in advice
    assert 'region = "country"' in advice
    assert "lang =" not in advice


def test_the_drafted_mapping_asks_for_an_author_where_no_field_looks_like_one():
    advice = suggest_reading(_row("post_id", "posted_at", "message"))
    assert 'author_id = "<the column that holds it>"' in advice
    assert "none would be published" in advice


def test_a_csv_separated_by_semicolons_is_told_to_convert_not_to_map_its_one_field():
    advice = suggest_reading(_row("post_id;posted_at;message;user"))
    assert "reads CSV separated by commas" in advice and "delimiter=';'" in advice
    assert "mapping" not in advice
    assert "delimiter='\\t'" in suggest_reading(_row("post_id\tposted_at\tmessage"))


def test_every_error_kind_has_its_own_code_and_the_readme_documents_each():
    codes = [code for _, code, _ in EXIT_CODES]
    assert len(codes) == len(set(codes))
    kinds = [
        errors.BusyError, errors.ConfigError, errors.InputError, errors.MarkerError,
        errors.ModelError, errors.WarehouseError, errors.ContractError, errors.WorkerError,
    ]  # fmt: skip
    assert len({exit_code(kind("x")) for kind in kinds}) == len(kinds)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = {int(n) for n in re.findall(r"^\| `(\d+)` \|", readme, re.M)}
    assert set(codes) | {0, 2, 130} <= documented


def test_the_packages_errors_belong_to_the_family():
    from ingest.sources import InputError
    from moodcast.config import ConfigError
    from transforms.contracts import ContractError
    from transforms.embedding import ModelError
    from transforms.markers import MarkerError
    from transforms.presets import MappingError
    from warehouse.errors import RunLocked, WarehouseError

    assert exit_code(MappingError("x")) == exit_code(ConfigError("x")) == 3
    assert exit_code(RunLocked("x", holder=None)) == 75
    for kind in (InputError, ContractError, ModelError, MarkerError, WarehouseError):
        assert issubclass(kind, errors.MoodcastError)
    assert json.dumps(exit_code(OSError(13, "Permission denied"))) == "9"


def test_the_installed_command_answers_a_directory_in_one_paragraph(tmp_path):
    import subprocess
    import sys

    (tmp_path / "in").mkdir()
    done = subprocess.run(
        [sys.executable, "-c", "from moodcast.cli import cli; cli()", "run", str(tmp_path / "in"),
         "--data-dir", str(tmp_path / "data")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 4
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [_error_paragraph(done.stderr)]


def test_every_error_a_remote_worker_raises_keeps_its_exit_code():
    """worker_error rebuilds a remote worker's error as its kind: the exit code stays the one
    the error itself has, for every subclass of the family this package defines."""
    import importlib

    from ingest.worker_errors import worker_error

    for module in ("warehouse.errors", "warehouse.annotations", "ingest.inputs",
                   "transforms.rates", "transforms.zero_shot", "moodcast.stream_landing",
                   "moodcast.marker_import", "moodcast.backtest", "moodcast.alert_replay",
                   "moodcast.tagging"):  # fmt: skip
        importlib.import_module(module)
    kinds, todo = [], [errors.MoodcastError]
    while todo:
        kinds.append(todo.pop())
        todo.extend(kinds[-1].__subclasses__())
    assert len(kinds) > 20
    for kind in kinds:
        name = f"{kind.__module__}.{kind.__qualname__}"
        text = (
            f'Traceback (most recent call last):\n  File "w.py", line 1, in setup\n'
            f"RuntimeError: {name}: no [while running 'PrepareChunks']"
        )
        rebuilt = worker_error(RuntimeError(text))
        assert exit_code(rebuilt) == exit_code(kind.__new__(kind)), name


@pytest.mark.slow
def test_an_os_error_on_a_worker_is_one_paragraph_naming_its_step_with_exit_9(tmp_path):
    """Regression: an OSError raised on a worker (here the landing folder of the data directory
    is a file, so the step that spills the posts' keys cannot create its folder) reached the
    operator as Beam's RuntimeError: exit 1, Beam's traceback logged, then the traceback again.
    `--verbose` shows the worker's traceback."""
    posts = tmp_path / "posts.jsonl"
    posts.write_text('{"id": "1", "created_at": "2025-03-01", "text": "so sad"}\n')
    data = tmp_path / "data"
    data.mkdir()
    (data / "landing").write_text("not a folder")
    args = ["run", str(posts), "--as-of", "2025-03-01", "--data-dir", str(data)]
    env = {"MOODCAST_SECRET": "a-test-secret-of-at-least-32-bytes!"}
    code, output = _moodcast(args, env=env)
    assert code == 9
    message = _error_paragraph(output)
    assert "step 'KeyPosts/FlatMap(key_posts)' of the Beam job failed on a worker with" in message
    assert f"NotADirectoryError: [Errno 20] Not a directory: '{data / 'landing'}" in message
    verbose = CliRunner().invoke(main, ["--verbose", *args], obj={"beam_args": []}, env=env)
    assert verbose.exit_code == 9
    assert "Traceback" in verbose.output and "in key_posts" in verbose.output


def test_a_run_of_a_csv_separated_by_bars_is_told_to_convert_it_as_a_labelled_file_is(tmp_path):
    """Regression: the advice for a CSV of another separator was written twice, in other words:
    a run's knew `;` and tabs (a `|` file was drafted a mapping of its one field), a labelled
    file's also `|` but no command. One check and one sentence now serve both."""
    from moodcast.cli import main as moodcast

    path = tmp_path / "posts.csv"
    path.write_text("id|created_at|text\n1|2025-03-01|so sad today\n", encoding="utf-8")
    code, output = _moodcast(
        ["run", str(path), "--data-dir", str(tmp_path / "data")],
        env={"MOODCAST_SECRET": "a-test-secret-of-at-least-32-bytes!"},
    )
    advice = suggest_reading(_row("id|created_at|text"))
    assert code == 4 and advice in _error_paragraph(output)
    assert "delimiter='|'" in advice and "mapping" not in advice
    labelled = CliRunner().invoke(
        moodcast, ["markers", "evaluate", "--labels", str(path), "--data-dir", str(tmp_path)]
    )
    assert labelled.exit_code == 4 and advice in " ".join(labelled.output.split())
