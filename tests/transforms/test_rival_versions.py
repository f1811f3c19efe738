"""A basic emotion's zero-shot score is a softmax over its rivals (every shipped CONTRASTED
marker), so a rival's new prototypes move its scores while its own file stays as it was: where
its model source decides, its version (model_versioned) and its zero_shot_basis cover the
rivals too, a model/thresholds.toml or model/adapted.toml cut chosen before the change no longer
applies to it, and nor do the zero-shot statistics rates.csv measured before (their score source
names the rivals).
The shipped set is replaced by a real marker directory, a copy with fear's prototypes changed;
the scores are the real all-MiniLM-L6-v2's."""

from dataclasses import replace

import numpy as np
import pytest

import benchmarks.zero_shot as bench
import transforms.markers.definitions as definitions
import transforms.zero_shot as zero_shot
from benchmarks.zero_shot import write_thresholds
from moodcast.calibration import scored_rates
from transforms.embedding import DEFAULT_MODEL, load_encoder, resolve_model_path
from transforms.markers import BUILTIN_DIR, load_markers
from transforms.model_folders import weights_digest
from transforms.model_markers import ModelConfig
from transforms.model_versions import model_versioned
from transforms.rates import read_shipped_rates
from transforms.zero_shot import adapt_markers, model_threshold, zero_shot_basis

POSTS = ["I keep thinking something awful will happen tonight", "we won the final, best day ever"]


def _clear() -> None:
    zero_shot.contrasted_phrases.cache_clear()
    zero_shot._shipped_markers.cache_clear()
    zero_shot._model_tables.cache_clear()


@pytest.fixture
def rival_changed(tmp_path, monkeypatch):
    """Switches the shipped set to a copy whose fear has one more English prototype."""
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    for path in BUILTIN_DIR.glob("*.toml"):
        (shipped / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    fear = (shipped / "fear.toml").read_text(encoding="utf-8")
    changed = fear.replace(
        "prototypes = [\n", 'prototypes = [\n    "my hands shake at night",\n', 1
    )
    assert changed != fear
    (shipped / "fear.toml").write_text(changed, encoding="utf-8")

    def switch() -> None:
        monkeypatch.setattr(definitions, "BUILTIN_DIR", shipped)
        _clear()

    _clear()
    yield switch
    monkeypatch.undo()
    _clear()


def _decided(name: str) -> dict:
    """The shipped marker `name` under the rule `either`: its zero-shot source decides."""
    marker = load_markers(names=[name])[name]
    return {name: replace(marker, rule="either")}


def test_a_rivals_new_prototypes_move_an_emotions_scores_version_and_basis(rival_changed):
    """joy under `either` restarts; joy under its shipped rule `lexicon` (the model decides no
    flag) and anxiety (not scored against the emotions) keep their versions."""
    encoder = load_encoder()
    x = encoder.encode(POSTS)
    joy, lexicon, anxiety = _decided("joy"), load_markers(names=["joy"]), _decided("anxiety")
    config = ModelConfig()
    before = [model_versioned(m, config)[n].version for n, m in _named(joy, lexicon, anxiety)]
    bases = [zero_shot_basis(m[n], "en") for n, m in _named(joy, anxiety)]
    scores = zero_shot.zero_shot(x, marker=joy["joy"], lang="en", encoder=encoder)
    assert before[1] == lexicon["joy"].version
    assert before[2] == anxiety["anxiety"].version

    rival_changed()
    assert load_markers(names=["joy"])["joy"].version == joy["joy"].version
    assert not np.allclose(
        zero_shot.zero_shot(x, marker=joy["joy"], lang="en", encoder=encoder), scores
    )
    after = [model_versioned(m, config)[n].version for n, m in _named(joy, lexicon, anxiety)]
    assert after[0] != before[0] and after[1:] == before[1:]
    assert [zero_shot_basis(m[n], "en") for n, m in _named(joy, anxiety)] != bases
    assert zero_shot_basis(anxiety["anxiety"], "en") == bases[1]


def _named(*markers: dict) -> list[tuple[str, dict]]:
    return [(next(iter(m)), m) for m in markers]


def test_a_table_cut_chosen_before_a_rival_changed_no_longer_applies(
    rival_changed, tmp_path, monkeypatch
):
    """benchmarks/zero_shot.py --write-thresholds records each cut's score_basis: once fear's
    prototypes change, joy's cut (scored against fear) is stale, anxiety's still holds."""
    folder = str(resolve_model_path(DEFAULT_MODEL))
    table = tmp_path / "thresholds.toml"
    table.write_text("# chosen before fear changed\n")
    monkeypatch.setattr(bench, "MODEL_THRESHOLDS_FILE", table)
    monkeypatch.setattr(zero_shot, "MODEL_THRESHOLDS_FILE", table)
    write_thresholds(
        weights_digest(resolve_model_path(folder)), "small", {"joy": 1.5, "anxiety": 2.5}
    )
    markers = load_markers(names=["joy", "anxiety"])
    assert model_threshold(markers["joy"], "en", folder) == 1.5

    rival_changed()
    assert model_threshold(markers["joy"], "en", folder) is None
    assert model_threshold(markers["anxiety"], "en", folder) == 2.5


def test_an_emotions_rated_score_statistics_stop_applying_once_a_rival_changes(rival_changed):
    """rates.csv's zero-shot statistics of joy (rule `lexicon`: its version stays) name the
    rivals they were measured against, so a changed rival sets them aside; anxiety's stay."""
    rates = read_shipped_rates()
    markers = load_markers(names=["joy", "anxiety"])
    found = scored_rates(rates, markers, ModelConfig())
    assert found["joy", "en"].startswith(f"zero-shot on {DEFAULT_MODEL} against rivals ")
    assert found["anxiety", "en"] == f"zero-shot on {DEFAULT_MODEL}"

    rival_changed()
    after = scored_rates(rates, markers, ModelConfig())
    assert ("joy", "en") not in after and after["anxiety", "en"] == found["anxiety", "en"]


def test_an_emotion_is_not_adapted_at_a_cut_chosen_against_other_rivals(rival_changed):
    """model/adapted.toml records the score_basis of each cut: after fear changes, joy's
    adapted cut was chosen on other scores, so joy keeps the shipped scoring; anxiety (no
    rivals) is still adapted."""
    markers = load_markers(names=["joy", "anxiety"])
    unit = np.full(384, 384**-0.5, dtype=np.float32)
    moved = {"en": {"joy": unit, "anxiety": unit}}
    assert all("en" in m.adapted for m in adapt_markers(markers, moved).values())

    rival_changed()
    adapted = adapt_markers(markers, moved)
    assert adapted["joy"] is markers["joy"] and "en" in adapted["anxiety"].adapted
