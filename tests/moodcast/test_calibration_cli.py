import json
import shutil

import polars as pl
import pytest
from click.testing import CliRunner

from moodcast.cli import main
from transforms.prevalence import Z_95
from transforms.quantify import LEXICON_SOURCE, adjusted, blended, interval, lexicon_score
from transforms.rates import SCORE_COLUMNS, USER_RATES_NAME, read_user_rates
from transforms.validation import BOUNDED, MIXED, UNINFORMATIVE, VALIDATED


def _invoke(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def _write_labelled(root):
    """A data directory with two markers of our own (French, so no model is loaded) and 100
    labelled posts: `gloom` flags 32 of its 40 positives and 6 of its 60 negatives; `noise`
    flags half of everything."""
    data = root / "data"
    (data / "markers").mkdir(parents=True)
    for name, term in (("gloom", "gloom"), ("noise", "noise")):
        (data / "markers" / f"{name}.toml").write_text(
            f'name = "{name}"\n[lang.fr]\nterms = ["{term}"]\n', encoding="utf-8"
        )
    gold = [1] * 40 + [0] * 60
    flagged = [1] * 32 + [0] * 8 + [1] * 6 + [0] * 54
    pl.DataFrame(
        {
            "text": [
                f"post {i} {'gloom' if f else 'plain'} {'noise' if i % 2 else ''}"
                for i, f in enumerate(flagged)
            ],
            "lang": ["fr"] * 100,
            "gloom": gold,
            "noise": [1 - i % 2 if i < 50 else i % 2 for i in range(100)],
        }
    ).write_csv(root / "labels.csv")
    return data, root / "labels.csv"


@pytest.fixture
def labelled(tmp_path):
    """`_write_labelled` in the test's own directory."""
    return _write_labelled(tmp_path)


def _blended_share(rate: dict, hit: pl.Series, score: pl.Series) -> pl.DataFrame:
    """BLEND of ACC on `hit` and PACC on `score` under the recorded `rate`, computed directly
    from transforms.quantify: `t` (the share), `lo`, `hi` (its interval), `a` (ACC alone)."""
    n, counts = len(hit), (pl.lit(rate["tp"] + rate["fn"]), pl.lit(rate["fp"] + rate["tn"]))
    acc = adjusted(pl.lit(hit.mean()), pl.lit(n), pl.lit(rate["tpr"]), pl.lit(rate["fpr"]), *counts)
    pacc = adjusted(
        pl.lit(score.mean()), pl.lit(n), pl.lit(rate["score_pos_mean"]),
        pl.lit(rate["score_neg_mean"]), *counts,
        spreads=(pl.lit(score.var(ddof=0)), pl.lit(rate["score_pos_var"]), pl.lit(rate["score_neg_var"])),
    )  # fmt: skip
    theta, variance = blended(acc, pacc)
    lo, hi = interval(theta, variance)
    return pl.select(theta.alias("t"), lo.alias("lo"), hi.alias("hi"), acc[0].alias("a"))


def test_calibrate_records_rates_per_marker_and_language(labelled):
    data, labels = labelled
    rows = _invoke("markers", "calibrate", "--labels", labels, "--json", "--data-dir", data)
    by_marker = {r["marker"]: r for r in map(json.loads, rows.stdout.splitlines())}
    assert by_marker["gloom"]["tpr"] == 0.8 and by_marker["gloom"]["fpr"] == 0.1
    assert by_marker["gloom"]["validation"] == VALIDATED
    assert by_marker["noise"]["validation"] == UNINFORMATIVE
    stored = json.loads((data / USER_RATES_NAME).read_text(encoding="utf-8"))["rates"]
    gloom = next(r for r in stored if r["marker"] == "gloom")
    assert (gloom["lang"], gloom["tp"], gloom["fn"], gloom["fp"], gloom["tn"]) == (
        "fr",
        32,
        8,
        6,
        54,
    )
    assert (
        gloom["n"] == 100 and gloom["source"] == "labels.csv" and len(gloom["source_sha256"]) == 64
    )
    assert gloom["measured_on"] and gloom["marker_version"]


def test_calibrate_states_the_margin_its_rates_leave_on_adjusted_shares(labelled):
    data, labels = labelled
    rows = _invoke("markers", "calibrate", "--labels", labels, "--json", "--data-dir", data)
    by_marker = {r["marker"]: r for r in map(json.loads, rows.stdout.splitlines())}
    z2 = Z_95**2
    t = (32 + z2 / 2) / (40 + z2)
    f = (6 + z2 / 2) / (60 + z2)
    for theta, key in ((0.1, "rates_margin_10"), (0.4, "rates_margin_40")):
        variance = theta**2 * t * (1 - t) / (40 + z2) + (1 - theta) ** 2 * f * (1 - f) / (60 + z2)
        assert by_marker["gloom"][key] == pytest.approx(Z_95 * variance**0.5 / 0.7)
    assert by_marker["noise"]["rates_margin_40"] is None
    text = _invoke("markers", "calibrate", "--labels", labels, "--data-dir", data).stdout
    gloom = next(line for line in text.splitlines() if line.startswith("gloom") and "tpr" in line)
    assert f"±{by_marker['gloom']['rates_margin_40']:.3f} at 40%" in gloom


def test_evaluate_reports_true_flagged_and_adjusted_shares(labelled):
    data, labels = labelled
    _invoke("markers", "calibrate", "--labels", labels, "--data-dir", data)
    report = json.loads(
        _invoke("markers", "evaluate", "--labels", labels, "--json", "--data-dir", data).stdout
    )
    gloom = report["markers"]["gloom"]
    keys = {
        "precision",
        "recall",
        "f1",
        "support",
        "prevalence",
        "adjusted_prevalence",
        "flagged_share",
    }
    assert keys <= set(gloom)
    assert gloom["prevalence"] == 0.4 and gloom["flagged_share"] == 0.38
    assert gloom["adjusted_prevalence"] == pytest.approx((0.38 - 0.1) / 0.7)
    assert gloom["adjusted_prevalence_lo"] < 0.4 < gloom["adjusted_prevalence_hi"]
    noise = report["markers"]["noise"]
    assert noise["adjusted_prevalence"] is None and noise["validation"] == UNINFORMATIVE


def test_without_recorded_rates_the_adjusted_share_is_not_validated(labelled):
    data, labels = labelled
    report = json.loads(
        _invoke("markers", "evaluate", "--labels", labels, "--json", "--data-dir", data).stdout
    )
    gloom = report["markers"]["gloom"]
    assert gloom["adjusted_prevalence"] is None and gloom["validation"].startswith("not validated")
    table = _invoke("markers", "evaluate", "--labels", labels, "--data-dir", data).stdout
    assert "not validated" in table


def test_a_second_calibration_replaces_only_its_own_rows(labelled, tmp_path):
    data, labels = labelled
    _invoke("markers", "calibrate", "--labels", labels, "--data-dir", data)
    frame = pl.read_csv(labels).drop("noise").head(80)
    frame.write_csv(tmp_path / "fewer.csv")
    _invoke("markers", "calibrate", "--labels", tmp_path / "fewer.csv", "--data-dir", data)
    rates = read_user_rates(data)
    assert rates.get_column("marker").to_list() == ["gloom", "noise"]
    assert rates.filter(pl.col("marker") == "gloom").get_column("n").item() == 80
    assert rates.filter(pl.col("marker") == "noise").get_column("n").item() == 100


def test_rates_from_a_few_rows_of_a_language_do_not_replace_validated_rates_in_force(
    labelled, tmp_path
):
    """Regression: a file in one language has a few rows identified in another (1% of Spanish
    tweets as English); calibrate recorded that language's rates from those rows, which no
    adjustment uses, in place of the validated ones, so evaluate's adjusted share went missing."""
    data, labels = labelled
    _invoke("markers", "calibrate", "--labels", labels, "--data-dir", data)
    few = pl.read_csv(labels).head(30)
    few.write_csv(tmp_path / "few.csv")
    result = _invoke(
        "markers", "calibrate", "--labels", tmp_path / "few.csv", "--json", "--data-dir", data
    )
    rows = {r["marker"]: r for r in map(json.loads, result.stdout.splitlines())}
    assert rows["gloom"]["n"] == 30 and rows["gloom"]["recorded"] is False
    assert rows["noise"]["recorded"] is True
    assert "not recorded, too few labelled positives or negatives" in result.stderr
    assert "gloom [fr]" in result.stderr and "noise [fr]" not in result.stderr
    rates = read_user_rates(data)
    assert rates.filter(pl.col("marker") == "gloom").get_column("n").item() == 100
    assert rates.filter(pl.col("marker") == "noise").get_column("n").item() == 30


def test_calibrate_marks_rates_not_recorded_on_their_line_and_evaluate_names_those_it_used(
    labelled, tmp_path
):
    """Regression: calibrate's table printed thin rates it did not record like the others
    (only stderr said so), and evaluate did not say which rates its adjusted share used."""
    data, labels = labelled
    _invoke("markers", "calibrate", "--labels", labels, "--data-dir", data)
    pl.read_csv(labels).head(30).write_csv(tmp_path / "few.csv")
    result = _invoke("markers", "calibrate", "--labels", tmp_path / "few.csv", "--data-dir", data)
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert lines["gloom"].endswith("; not recorded")
    assert not lines["noise"].endswith("; not recorded")
    assert "label at least 25 positives and 25 negatives" in result.stderr
    args = ("markers", "evaluate", "--labels", tmp_path / "few.csv", "--data-dir", data)
    used = json.loads(_invoke(*args, "--json").stdout)["markers"]
    assert [(r["lang"], r["source"], r["n"]) for r in used["gloom"]["rates"]] == [
        ("fr", "labels.csv", 100)
    ]
    assert [(r["source"], r["n"]) for r in used["noise"]["rates"]] == [("few.csv", 30)]
    assert "gloom [fr] rates in force: measured on labels.csv (100 labelled posts" in (
        _invoke(*args).stdout
    )


def test_rates_from_a_few_rows_are_recorded_once_the_marker_version_in_force_changed(
    labelled, tmp_path
):
    """Validated rates hold off thin ones only for the marker version they were measured on:
    after the marker changes, those rates are another version's, and the new ones record."""
    data, labels = labelled
    _invoke("markers", "calibrate", "--labels", labels, "--data-dir", data)
    (data / "markers" / "gloom.toml").write_text(
        'name = "gloom"\n[lang.fr]\nterms = ["gloom", "murk"]\n', encoding="utf-8"
    )
    pl.read_csv(labels).head(30).write_csv(tmp_path / "few.csv")
    result = _invoke(
        "markers", "calibrate", "--labels", tmp_path / "few.csv", "--json", "--data-dir", data
    )
    rows = {r["marker"]: r for r in map(json.loads, result.stdout.splitlines())}
    assert rows["gloom"]["recorded"] is True
    assert "not recorded" not in result.stderr
    rates = read_user_rates(data)
    assert rates.filter(pl.col("marker") == "gloom").get_column("n").item() == 30


def test_an_unreadable_rates_file_is_refused_with_what_to_do(labelled):
    data, labels = labelled
    (data / USER_RATES_NAME).write_text('{"rates": [{"marker": "gloom"}]}', encoding="utf-8")
    result = CliRunner().invoke(
        main, ["markers", "evaluate", "--labels", str(labels), "--data-dir", str(data)]
    )
    assert result.exit_code == 5  # a MarkerError (RatesError)
    assert "is not a rates file" in result.output and "markers calibrate" in result.output


def _tagged(labels, data, tmp_path, *source):
    """`moodcast tag` of the labelled posts: the rule's decision and score, or `source`'s."""
    posts = tmp_path / "posts.jsonl"
    pl.read_csv(labels).with_row_index("id").select(
        pl.col("id").cast(pl.String), "text", "lang",
        pl.lit("2025-01-01T00:00:00Z").alias("created_at"),
    ).write_ndjson(posts)  # fmt: skip
    out = tmp_path / "tagged.parquet"
    _invoke("tag", posts, "-o", out, "--markers", "gloom", *source, "--data-dir", data)
    return pl.read_parquet(out)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """`_write_labelled` with an n-gram head trained for `gloom` (once for the module): the
    lexicon still decides (its rule), the head gives each French post a probability."""
    data, labels = _write_labelled(tmp_path_factory.mktemp("trained"))
    _invoke("markers", "train", "--labels", labels, "--label-cols", "gloom", "--family",
            "ngram", "--data-dir", data)  # fmt: skip
    return data, labels


@pytest.fixture
def with_head(trained, tmp_path):
    """A copy of `trained` of the test's own."""
    data, labels = trained
    shutil.copytree(data, tmp_path / "data")
    shutil.copy(labels, tmp_path / "labels.csv")
    return tmp_path / "data", tmp_path / "labels.csv"


def test_calibrate_records_the_probability_statistics_of_a_marker_with_a_model_source(
    with_head, tmp_path
):
    data, labels = with_head
    text = _invoke("markers", "calibrate", "--labels", labels, "--data-dir", data).stdout
    gloom = read_user_rates(data).filter(pl.col("marker") == "gloom").row(0, named=True)
    line = next(row for row in text.splitlines() if row.startswith("gloom") and "tpr" in row)
    assert f"mean score {gloom['score_pos_mean']:.3f} on positives" in line
    assert "(ngram head)" in line
    assert (gloom["tp"], gloom["fn"], gloom["fp"], gloom["tn"]) == (32, 8, 6, 54)
    assert gloom["score_source"] == "ngram head"
    prob = _tagged(labels, data, tmp_path, "--source", "model").get_column("gloom__score")
    gold = pl.read_csv(labels).get_column("gloom") == 1
    assert gloom["score_pos_mean"] == pytest.approx(prob.filter(gold).mean())
    assert gloom["score_neg_mean"] == pytest.approx(prob.filter(~gold).mean())
    assert gloom["score_pos_var"] == pytest.approx(prob.filter(gold).var(ddof=0))
    assert gloom["score_neg_var"] == pytest.approx(prob.filter(~gold).var(ddof=0))
    noise = read_user_rates(data).filter(pl.col("marker") == "noise").row(0, named=True)
    assert noise["score_source"] is None and noise["score_pos_mean"] is None


def _calibrated_then_evaluated(data, labels, tmp_path):
    """`markers calibrate` on `labels`, then `markers evaluate --json` on its rows after the
    first 20 (20 positives, 60 negatives): that file, gloom's report and its recorded rates."""
    _invoke("markers", "calibrate", "--labels", labels, "--data-dir", data)
    held_out = tmp_path / "held-out.csv"
    pl.read_csv(labels).slice(20).write_csv(held_out)  # 20 positives, 60 negatives
    report = json.loads(
        _invoke("markers", "evaluate", "--labels", held_out, "--json", "--data-dir", data).stdout
    )["markers"]["gloom"]
    rate = read_user_rates(data).filter(pl.col("marker") == "gloom").row(0, named=True)
    return held_out, report, rate


def _assert_blended(report, expected, estimator):
    """The report publishes BLEND with the score `estimator` names (`blend-model`,
    `blend-lexicon`), validated, equal to `expected` (_blended_share) and not to its ACC
    part."""
    assert report["estimator"] == estimator and report["validation"] == VALIDATED
    assert [(r["lang"], r["estimator"]) for r in report["rates"]] == [("fr", estimator)]
    assert report["adjusted_prevalence"] == pytest.approx(expected["t"].item())
    assert report["adjusted_prevalence_lo"] == pytest.approx(expected["lo"].item())
    assert report["adjusted_prevalence_hi"] == pytest.approx(expected["hi"].item())
    assert report["adjusted_prevalence"] != pytest.approx(expected["a"].item())


def test_evaluate_publishes_the_blend_of_acc_and_pacc_on_the_same_decisions_and_probabilities(
    with_head, tmp_path
):
    data, labels = with_head
    held_out, report, rate = _calibrated_then_evaluated(data, labels, tmp_path)
    hit = _tagged(held_out, data, tmp_path).get_column("gloom")
    prob = _tagged(held_out, data, tmp_path, "--source", "model").get_column("gloom__score")
    expected = _blended_share(rate, hit, prob)
    _assert_blended(report, expected, "blend-model")
    assert report["flagged_share"] == pytest.approx(hit.mean())


def _old_file(row):
    for column in (*SCORE_COLUMNS, "score_source"):
        del row[column]


def _other_source(row):
    row["score_source"] = "zero-shot on another-model"


def _calibrate_then_change(data, labels, change) -> None:
    """`markers calibrate` on `labels`, then `change` applied to every stored rates row."""
    _invoke("markers", "calibrate", "--labels", labels, "--data-dir", data)
    stored = json.loads((data / USER_RATES_NAME).read_text(encoding="utf-8"))
    for row in stored["rates"]:
        change(row)
    (data / USER_RATES_NAME).write_text(json.dumps(stored), encoding="utf-8")


@pytest.mark.parametrize("change", [_old_file, _other_source])
def test_evaluate_falls_back_to_acc_with_rates_that_hold_no_probability_statistics(
    with_head, change
):
    """A rates file written before the statistics existed, or statistics of another model
    source: the flagged share alone is adjusted."""
    data, labels = with_head
    _calibrate_then_change(data, labels, change)
    report = json.loads(
        _invoke("markers", "evaluate", "--labels", labels, "--json", "--data-dir", data).stdout
    )["markers"]["gloom"]
    assert report["estimator"] == "acc" and [r["estimator"] for r in report["rates"]] == ["acc"]
    assert report["adjusted_prevalence"] == pytest.approx((0.38 - 0.1) / 0.7)


def test_score_probabilities_are_null_where_the_marker_has_no_model_source(with_head):
    from moodcast.calibration import score_probabilities
    from moodcast.config import load_settings
    from transforms.markers import load_markers

    data, labels = with_head
    markers = load_markers(data / "markers", names=["gloom", "noise"])
    frame = pl.read_csv(labels).head(4).with_columns(pl.Series("lang", ["fr", "fr", "xx", "fr"]))
    config = load_settings(data).model_config
    found = score_probabilities(frame, markers, config=config)
    assert found.columns == ["gloom", "noise"] and found.height == 4
    assert found["noise"].null_count() == 4
    assert found["gloom"].is_null().to_list() == [False, False, True, False]
    assert ((found["gloom"].drop_nulls() >= 0) & (found["gloom"].drop_nulls() <= 1)).all()
    skipped = score_probabilities(frame, markers, config=config, only=set())
    assert skipped["gloom"].null_count() == 4


@pytest.fixture
def graded(tmp_path):
    """`_write_labelled`'s files, where every other flagged positive holds its term twice: the
    same decisions (tpr 0.8, fpr 0.1), and a lexicon score that separates better than them."""
    data, labels = _write_labelled(tmp_path)
    frame = pl.read_csv(labels)
    doubled = pl.Series([i < 32 and i % 2 == 0 for i in range(frame.height)])
    frame.with_columns(
        pl.when(doubled).then(pl.col("text").str.replace("gloom", "gloom gloom")).otherwise("text")
    ).write_csv(labels)
    return data, labels


def _lexicon_scores(tagged):
    """`transforms.quantify.lexicon_score` of each tagged post's `gloom` terms (`--explain`)."""
    return tagged.select(lexicon_score(pl.col("gloom__terms").list.len())).to_series()


def test_calibrate_records_the_lexicon_score_statistics_of_a_marker_without_a_model(
    graded, tmp_path
):
    data, labels = graded
    text = _invoke("markers", "calibrate", "--labels", labels, "--data-dir", data).stdout
    gloom = read_user_rates(data).filter(pl.col("marker") == "gloom").row(0, named=True)
    assert (gloom["tp"], gloom["fn"], gloom["fp"], gloom["tn"]) == (32, 8, 6, 54)
    assert gloom["score_source"] == LEXICON_SOURCE
    score = _lexicon_scores(_tagged(labels, data, tmp_path, "--explain"))
    gold = pl.read_csv(labels).get_column("gloom") == 1
    assert gloom["score_pos_mean"] == pytest.approx(0.6)  # 16 posts at 1, 16 at 0.5, of 40
    assert gloom["score_pos_mean"] == pytest.approx(score.filter(gold).mean())
    assert gloom["score_neg_mean"] == pytest.approx(score.filter(~gold).mean())
    assert gloom["score_pos_var"] == pytest.approx(score.filter(gold).var(ddof=0))
    assert gloom["score_neg_var"] == pytest.approx(score.filter(~gold).var(ddof=0))
    line = next(row for row in text.splitlines() if row.startswith("gloom") and "tpr" in row)
    assert f"({LEXICON_SOURCE})" in line


def test_evaluate_blends_with_the_lexicon_score_on_tags_decisions_and_scores(graded, tmp_path):
    data, labels = graded
    held_out, report, rate = _calibrated_then_evaluated(data, labels, tmp_path)
    tagged = _tagged(held_out, data, tmp_path, "--explain")
    hit, score = tagged.get_column("gloom"), _lexicon_scores(tagged)
    expected = _blended_share(rate, hit, score)
    _assert_blended(report, expected, "blend-lexicon")


@pytest.mark.parametrize("change", [_old_file, _other_source])
def test_old_rates_files_load_and_publish_acc_for_a_marker_without_a_model(graded, change):
    """A rates file written before the lexicon score was recorded (no statistics), or with
    statistics of a source the marker does not have: ACC, from the counts alone."""
    data, labels = graded
    _calibrate_then_change(data, labels, change)
    assert read_user_rates(data).height == 2
    report = json.loads(
        _invoke("markers", "evaluate", "--labels", labels, "--json", "--data-dir", data).stdout
    )["markers"]["gloom"]
    assert report["estimator"] == "acc" and [r["estimator"] for r in report["rates"]] == ["acc"]
    assert report["adjusted_prevalence"] == pytest.approx((0.38 - 0.1) / 0.7)


def test_probability_statistics_apply_only_to_the_scoring_they_were_measured_on():
    """score_sources names an adapted scoring by its fit and cut, so the shipped rates'
    probability statistics (zero-shot on the shipped centroids) are not reused for adapted
    probabilities, nor those of one fit for another or for the shipped scoring; the
    marker's lexicon statistics still apply, its version being the same."""
    import numpy as np

    from moodcast.calibration import score_sources, scored_rates
    from transforms.markers import load_markers
    from transforms.model_markers import ModelConfig
    from transforms.rates import read_shipped_rates
    from transforms.zero_shot import adapt_markers

    config = ModelConfig()
    shipped = load_markers(names=["joy"])
    fits = [adapt_markers(shipped, {"en": {"joy": np.full(4, v)}}) for v in (0.5, -0.5)]
    sources = [score_sources(m, config)[("joy", "en")] for m in (shipped, *fits)]
    assert sources[1].startswith(f"adapted zero-shot on {config.models['en']} ")
    assert len(set(sources)) == 3
    row = read_shipped_rates().filter(pl.col("marker") == "joy", pl.col("lang") == "en")
    statistics = [
        pl.lit(v).alias(c) for v, c in zip((0.6, 0.01, 0.3, 0.01), SCORE_COLUMNS, strict=True)
    ]
    rates = pl.concat(
        [row.with_columns(*statistics, pl.lit(s).alias("score_source")) for s in sources[:2]]
    )
    assert scored_rates(rates, shipped, config) == {("joy", "en"): sources[0]}
    assert scored_rates(rates, fits[0], config) == {("joy", "en"): sources[1]}
    assert scored_rates(rates[:1], fits[1], config) == {}
    lexical = row.with_columns(*statistics, pl.lit(LEXICON_SOURCE).alias("score_source"))
    assert scored_rates(lexical, fits[0], config) == {("joy", "en"): LEXICON_SOURCE}


@pytest.mark.parametrize(("other", "status"), [(3, BOUNDED), (10, MIXED)])
def test_evaluate_bounds_a_few_rows_of_a_language_without_rates(tmp_path, other, status):
    """The labelled-file language rule meets the roll-up: rows of a second language the
    marker has (de) but no rates for are bounded in the file's adjusted share where they are
    at most MAX_BOUNDED_SHARE of the rows, and withhold it above, naming the language."""
    data, labels = _write_labelled(tmp_path)
    (data / "markers" / "gloom.toml").write_text(
        'name = "gloom"\n[lang.fr]\nterms = ["gloom"]\n[lang.de]\nterms = ["gloom"]\n',
        encoding="utf-8",
    )
    _invoke("markers", "calibrate", "--labels", labels, "--data-dir", data)
    mixed = pl.read_csv(labels).with_columns(
        pl.when(pl.int_range(pl.len()) >= 100 - other)
        .then(pl.lit("de"))
        .otherwise("lang")
        .alias("lang")
    )
    mixed.write_csv(tmp_path / "mixed.csv")
    report = json.loads(
        _invoke(
            "markers", "evaluate", "--labels", tmp_path / "mixed.csv", "--json", "--data-dir", data
        ).stdout
    )
    gloom = report["markers"]["gloom"]
    assert gloom["validation"].startswith(status)
    assert (
        f"de: no labelled data for this marker and language, {other:.1f}% of labelled posts"
        in gloom["validation"]
    )
    assert [r["lang"] for r in gloom["rates"]] == ["fr"]
    assert (gloom["adjusted_prevalence"] is not None) == (status == BOUNDED)
    if status == BOUNDED:
        width = gloom["adjusted_prevalence_hi"] - gloom["adjusted_prevalence_lo"]
        assert width > other / 100
