"""`zero_shot = "adapted"` on another sentence model than the shipped one is refused: the adapted
thresholds (transforms/markers/model/adapted.toml) were chosen on all-MiniLM-L6-v2's adapted
scores, and on another model's they would flag by chance."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from moodcast.adapting import configured_markers
from moodcast.cli import main
from moodcast.config import load_settings
from transforms.embedding import DEFAULT_MODEL, resolve_model_path
from transforms.zero_shot import SourceError

TEXTS = (
    [f"so happy today, we won the final {i}!" for i in range(12)]
    + [f"i miss her so much, so sad {i}" for i in range(12)]
    + [f"the {i} bus leaves from stop {i + 1}" for i in range(12)]
)


def _data_dir(tmp_path: Path, model: str) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text(
        f'zero_shot = "adapted"\nmodel_backend = "torch"\nmodels = {{en = {model!r}}}\n',
        encoding="utf-8",
    )
    return data


@pytest.fixture
def other_model() -> str:
    """Another model than the shipped spec, by its folder: a copy of all-MiniLM-L6-v2's."""
    return str(resolve_model_path(DEFAULT_MODEL))


def test_adapt_refuses_another_model_before_reading_and_writes_nothing(tmp_path, other_model):
    data = _data_dir(tmp_path, other_model)
    corpus = tmp_path / "posts.jsonl"
    corpus.write_text(
        "\n".join(
            json.dumps({"id": f"p{i}", "created_at": "2025-03-01T10:00:00Z", "text": text,
                        "lang": "en", "author_id": f"a{i % 12}"})
            for i, text in enumerate(TEXTS)
        ) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    result = CliRunner().invoke(main, ["markers", "adapt", str(corpus), "--data-dir", str(data)])
    assert result.exit_code != 0
    assert "models.en" in result.output and 'zero_shot = "shipped"' in result.output
    assert not (data / "adapted").exists()


def test_the_adapted_setting_with_another_model_is_refused_naming_both_ways_out(
    tmp_path, other_model
):
    settings = load_settings(_data_dir(tmp_path, other_model))
    with pytest.raises(SourceError, match=r"models\.en") as refused:
        configured_markers(settings)
    assert 'zero_shot = "shipped"' in str(refused.value)
    assert '"default"' in str(refused.value)
