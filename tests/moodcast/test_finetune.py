import dataclasses
import json
import pickle
import shutil

import numpy as np
import polars as pl
import pytest

from moodcast.finetune import FinetuneSettings, finetune, holdout_mask
from moodcast.training import best_threshold, train_heads
from transforms.embedding import DEFAULT_MODEL, load_encoder, resolve_model_path
from transforms.markers import MarkerError, load_markers
from transforms.model_markers import ModelConfig, SourceError
from transforms.model_scoring import score_embeddings, score_texts

TINY = FinetuneSettings(epochs=1, batch_size=4, max_seq_length=16, max_steps=3, holdout=0.25)


def _rows() -> pl.DataFrame:
    calm = ["lunch by the river", "coffee and a crossword", "a slow walk home", "new bus route"]
    worried = ["cannot sleep again", "my chest is tight", "panic before the exam", "so anxious"]
    texts = [f"{t} {i}" for i in range(3) for t in (*calm, *worried)]
    anxious = [int(i % 8 >= 4) for i in range(len(texts))]
    tired = [int(i % 3 == 0) for i in range(len(texts))]
    return pl.DataFrame({"text": texts, "lang": "en", "anxious": anxious, "tired": tired})


def test_settings_refuse_values_that_cannot_train():
    with pytest.raises(ValueError, match="epochs, holdout"):
        FinetuneSettings(epochs=0, holdout=1.0)


def test_the_held_out_rows_are_seeded_and_hold_both_classes_of_every_label():
    common = np.array([[i % 2] for i in range(20)])
    assert holdout_mask(common, 0.25, 0).sum() == 5
    assert (holdout_mask(common, 0.25, 0) == holdout_mask(common, 0.25, 0)).all()
    assert holdout_mask(common[:2], 0.9, 0).sum() == 1
    rare = np.zeros((20, 1), dtype=int)
    rare[[3, 11]] = 1
    for seed in range(10):
        assert holdout_mask(rare, 0.1, seed)[[3, 11]].sum() == 1
        assert holdout_mask(rare, 0.9, seed)[[3, 11]].sum() == 1


@pytest.mark.slow
def test_a_finetune_head_saves_its_model_reloads_and_scores_the_same_on_a_rerun(tmp_path):
    rows = _rows()
    config = ModelConfig(backend="torch")
    heads = train_heads(rows, markers={}, config=config, out_dir=tmp_path / "a", origin="t.csv",
                        family="finetune", settings=TINY)  # fmt: skip
    assert [h.name for h in heads] == ["anxious", "tired"] and heads[0].rows == 24
    saved = json.loads(heads[0].path.read_text())
    encoder_dir = tmp_path / "a" / saved["model"]
    assert saved["family"] == "finetune" and saved["held_out_rows"] == 6
    assert encoder_dir.name == f"finetuned-{saved['encoder_digest']}"
    assert (encoder_dir / "modules.json").is_file()
    tokenizer = json.loads((encoder_dir / "tokenizer_config.json").read_text())
    assert tokenizer["model_max_length"] == TINY.max_seq_length

    again = train_heads(rows, markers={}, config=config, out_dir=tmp_path / "b", origin="t.csv",
                        family="finetune", settings=TINY)  # fmt: skip
    assert json.loads(again[0].path.read_text()) == saved

    markers = pickle.loads(pickle.dumps(load_markers(tmp_path / "a", names=["anxious", "tired"])))
    head = markers["anxious"].heads["en"]
    assert head.family == "finetune" and head.model == str(encoder_dir.resolve())
    base = load_encoder(backend="torch")
    texts = ["cannot sleep, so anxious", "a slow walk by the river"]
    found = score_texts(texts, lang="en", markers=markers, encoder=base)
    tuned = load_encoder(str(encoder_dir), backend="torch")
    logits = tuned.encode(texts) @ np.asarray(head.coef, dtype=np.float32) + head.intercept
    np.testing.assert_allclose(found["anxious"], 1 / (1 + np.exp(-logits)), rtol=1e-5)
    assert set(found) == {"anxious", "tired"}
    assert not np.allclose(tuned.encode(texts), base.encode(texts), atol=1e-4)
    assert score_texts(texts, lang="en", markers=markers, encoder=None) == {}
    with pytest.raises(SourceError, match="score it with score_texts"):
        score_embeddings(base.encode(texts), lang="en", markers=markers, encoder=base)

    longer = dataclasses.replace(TINY, max_steps=4)
    killed = tmp_path / "a" / ".finetuning-killed" / "model"
    killed.mkdir(parents=True)
    (killed / "model.safetensors").write_bytes(b"a fine-tuning killed while saving")
    train_heads(rows, markers={}, config=config, out_dir=tmp_path / "a", origin="t.csv",
                family="finetune", settings=longer)  # fmt: skip
    (kept,) = (tmp_path / "a").glob("finetuned-*")
    assert kept != encoder_dir and not encoder_dir.exists()
    assert not list((tmp_path / "a").glob(".finetuning*"))
    shutil.rmtree(kept)
    with pytest.raises(MarkerError, match=r"fine-tuned model .* is missing"):
        load_markers(tmp_path / "a")


def test_settings_refuse_a_negative_patience_or_weight_decay():
    with pytest.raises(ValueError, match="weight_decay, patience"):
        FinetuneSettings(weight_decay=-0.1, patience=-1)


@pytest.mark.slow
def test_early_stopping_stops_when_the_held_out_loss_rises_and_keeps_the_best_epoch(tmp_path):
    rows = _rows()
    texts = rows.get_column("text").to_list()
    y = rows.select("anxious").to_numpy()
    # the held-out rows repeat the texts learnt from with the other label: their loss rises
    settings = FinetuneSettings(epochs=4, batch_size=4, max_seq_length=16, holdout=0.25,
                                learning_rate=1e-4, patience=1)  # fmt: skip
    held = holdout_mask(y, settings.holdout, settings.seed)
    flipped = np.where(held[:, None], 1 - y, y)
    assert (holdout_mask(flipped, settings.holdout, settings.seed) == held).all()
    seen = []
    tuned = finetune(texts, flipped, model_path=resolve_model_path(DEFAULT_MODEL),
                     out_dir=tmp_path / "model", settings=settings, best_threshold=best_threshold,
                     epoch_end=lambda epoch, _, head: seen.append(head.weight.detach().clone()))  # fmt: skip
    assert len(seen) == 2 and tuned.epochs == 1
    np.testing.assert_array_equal(tuned.coef, seen[0].numpy().astype(np.float64))
    whole = finetune(texts, flipped, model_path=resolve_model_path(DEFAULT_MODEL),
                     out_dir=tmp_path / "whole", settings=dataclasses.replace(settings, patience=0),
                     best_threshold=best_threshold)  # fmt: skip
    assert whole.epochs == 4
