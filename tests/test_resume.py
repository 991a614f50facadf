"""Resuming interrupted training (issue 8, point 3; xstilts.resume): a run stopped after any validation
point and started again ends with the uninterrupted run's checkpoint, byte for byte, and the same
history and curves; a state from another run or an unreadable one is never used.

    pytest tests/test_resume.py
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from tiny_model import make_tiny_encoder, toy_rows
from xstilts.config import TrainConfig
from xstilts.resume import ResumeState, resume_dir_for
from xstilts.training import TRAINING_LOG, train_classifier

pytestmark = pytest.mark.slow  # interrupted and resumed training runs

# 3 epochs × 2 validation points of 6 batches each; dropout on (the tiny encoder's 0.1).
CFG = TrainConfig(learning_rate=3e-3, epochs=3, batch_size=4, warmup_ratio=0.2, evals_per_epoch=2, max_length=32)
LABELS = ["no", "yes"]


class Interrupted(Exception):
    pass


@pytest.fixture(scope="module")
def encoder(tmp_path_factory):
    return make_tiny_encoder(tmp_path_factory.mktemp("tiny") / "encoder")


def _train(encoder, out, cfg=CFG, logs=None, rows=None):
    return train_classifier(encoder, rows or toy_rows(48, 1), toy_rows(24, 2), LABELS, cfg, 5, out, False, log_dir=logs)


def _stop_after_saving(monkeypatch, points: int) -> None:
    """Make training raise right after it saved its resume state for the `points`-th time."""
    real, calls = ResumeState.save, []

    def save_then_stop(self, *args, **kwargs):
        real(self, *args, **kwargs)
        calls.append(1)
        if len(calls) == points:
            raise Interrupted
    monkeypatch.setattr(ResumeState, "save", save_then_stop)


@pytest.fixture(scope="module", params=[(1, False), (2, False), (1, True)],
                ids=["accumulate1", "accumulate2", "frozen-embeddings"])
def reference(request, encoder, tmp_path_factory):
    accumulation, frozen = request.param  # frozen word embeddings are left out of the saved state
    cfg = dataclasses.replace(CFG, gradient_accumulation_steps=accumulation, freeze_word_embeddings=frozen)
    work = tmp_path_factory.mktemp("reference")
    result = _train(encoder, work / "model", cfg, work / "logs")
    return cfg, work, result


def _same_run(work, reference_work) -> None:
    assert (work / "model/model.safetensors").read_bytes() == (reference_work / "model/model.safetensors").read_bytes()
    for curve in ("train_loss", "validation_accuracy", "learning_rate"):
        path = f"logs/plots/metrics/{curve}.tsv"
        assert (work / path).read_text() == (reference_work / path).read_text(), curve
    ours, theirs = (json.loads((w / "logs/metrics.json").read_text()) for w in (work, reference_work))
    assert {k: v for k, v in ours.items() if k != "seconds"} == {k: v for k, v in theirs.items() if k != "seconds"}


@pytest.mark.parametrize("points", [1, 2, 5], ids=["mid-epoch", "epoch-end", "last-epoch"])
def test_a_resumed_run_is_the_uninterrupted_run(points, reference, encoder, tmp_path, monkeypatch, capsys):
    cfg, reference_work, expected = reference
    with monkeypatch.context() as patch:
        _stop_after_saving(patch, points)
        with pytest.raises(Interrupted):
            _train(encoder, tmp_path / "model", cfg, tmp_path / "logs")
    state = resume_dir_for(tmp_path / "model")
    assert not (tmp_path / "model").exists() and not (tmp_path / "logs").exists()
    # Only JSON and safetensors: nothing in a resume state is unpickled.
    assert {p.suffix for p in state.iterdir()} == {".json", ".safetensors"}

    result = _train(encoder, tmp_path / "model", cfg, tmp_path / "logs")
    assert result.resumed_at_step == expected.history[points - 1]["step"]
    assert f"resuming at step {result.resumed_at_step}" in capsys.readouterr().out
    assert [h["train_loss"] for h in result.history] == [h["train_loss"] for h in expected.history]
    assert [h["validation_accuracy"] for h in result.history] == [h["validation_accuracy"] for h in expected.history]
    assert (result.best_step, result.best_validation_accuracy) == (expected.best_step, expected.best_validation_accuracy)
    _same_run(tmp_path, reference_work)
    assert json.loads((tmp_path / "model" / TRAINING_LOG).read_text())["resumed_at_step"] == result.resumed_at_step
    assert not state.exists()  # removed once the checkpoint is saved
    assert sorted(p.name for p in tmp_path.iterdir()) == ["logs", "model"]


def _interrupted_state(encoder, out, monkeypatch, cfg=CFG):
    with monkeypatch.context() as patch:
        _stop_after_saving(patch, 3)
        with pytest.raises(Interrupted):
            _train(encoder, out, cfg)
    return resume_dir_for(out)


def test_a_state_from_a_different_run_is_not_used(encoder, tmp_path, monkeypatch, capsys):
    state = _interrupted_state(encoder, tmp_path / "model", monkeypatch)
    changed = dataclasses.replace(CFG, learning_rate=1e-3)
    result = _train(encoder, tmp_path / "model", changed)
    assert result.resumed_at_step is None
    assert "resume state of a different run" in capsys.readouterr().out
    assert not state.exists()
    # Other training data is another run too.
    state = _interrupted_state(encoder, tmp_path / "model", monkeypatch)
    assert _train(encoder, tmp_path / "model", rows=toy_rows(48, 3)).resumed_at_step is None


def test_an_unreadable_state_means_starting_over(encoder, tmp_path, monkeypatch, capsys):
    fresh = _train(encoder, tmp_path / "fresh" / "model")
    state = _interrupted_state(encoder, tmp_path / "model", monkeypatch)
    (state / "optimizer.safetensors").write_bytes(b"truncated")
    result = _train(encoder, tmp_path / "model")
    assert result.resumed_at_step is None and "unreadable resume state" in capsys.readouterr().out
    assert (tmp_path / "model/model.safetensors").read_bytes() == (tmp_path / "fresh/model/model.safetensors").read_bytes()
    assert not state.exists()


def test_xstilts_resume_0_saves_no_state(encoder, tmp_path, monkeypatch):
    monkeypatch.setenv("XSTILTS_RESUME", "0")
    with monkeypatch.context() as patch:
        seen = []
        patch.setattr(ResumeState, "save", lambda *a, **k: seen.append(1))
        _train(encoder, tmp_path / "model")
    assert seen == [] and not resume_dir_for(tmp_path / "model").exists()
