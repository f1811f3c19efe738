import json

import polars as pl
import pytest
from click.testing import CliRunner

from moodcast.cli import main
from transforms.prevalence import Z_95
from transforms.quantify import UNINFORMATIVE, VALIDATED
from transforms.rates import USER_RATES_NAME, read_user_rates


def _invoke(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def labelled(tmp_path):
    """A data directory with two markers of our own (French, so no model is loaded) and 100
    labelled posts: `gloom` flags 32 of its 40 positives and 6 of its 60 negatives; `noise`
    flags half of everything."""
    data = tmp_path / "data"
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
    ).write_csv(tmp_path / "labels.csv")
    return data, tmp_path / "labels.csv"


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


def test_an_unreadable_rates_file_is_refused_with_what_to_do(labelled):
    data, labels = labelled
    (data / USER_RATES_NAME).write_text('{"rates": [{"marker": "gloom"}]}', encoding="utf-8")
    result = CliRunner().invoke(
        main, ["markers", "evaluate", "--labels", str(labels), "--data-dir", str(data)]
    )
    assert result.exit_code == 5  # a MarkerError (RatesError)
    assert "is not a rates file" in result.output and "markers calibrate" in result.output
