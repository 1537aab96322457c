"""`etiquette review`'s speed options reach the people stage's settings (the CLI and the pipeline in process, the
people stage itself replaced: what is checked is what it would be given)."""

from __future__ import annotations

import importlib

import pytest
from typer.testing import CliRunner

from etiquette_cv.cli import app
from etiquette_cv.pipeline import review_run


class _Stop(Exception):
    pass


@pytest.fixture
def given(monkeypatch):
    """The PeopleConfig the review would hand the people stage (the run stops there)."""
    seen = {}

    def run_people(source, tracks_path, cal, config, **kw):
        seen["config"] = config
        raise _Stop

    monkeypatch.setattr(review_run, "run_people", run_people)
    monkeypatch.setattr(review_run, "open_video_for", lambda *a, **k: object())
    return seen


@pytest.mark.parametrize("gate, expected", [(None, 4), (0, 0), (7, 7)])
def test_the_quiet_detector_gate_reaches_the_people_stage(given, tmp_path, gate, expected):
    with pytest.raises(_Stop):
        review_run.review("clip.mp4", None, tmp_path, quiet_every=4, detect_gate=2, quiet_detect_gate=gate)
    cfg = given["config"]
    assert cfg.detect_gate.quiet_max_skip_frames == expected
    assert cfg.detect_gate.max_skip_frames == 2 and cfg.rate.quiet_every_n == 4


def test_the_cli_passes_the_quiet_detector_gate(monkeypatch, tmp_path):
    kwargs = {}

    def run_review(*args, **kw):
        kwargs.update(kw)
        raise ValueError("stopped here")

    # the module (the package re-exports its command function under the same name)
    monkeypatch.setattr(importlib.import_module("etiquette_cv.cli.review"), "run_review", run_review)
    res = CliRunner().invoke(app, ["review", "--tracks", str(tmp_path / "t.jsonl.gz"), "--out", str(tmp_path),
                                   "--quiet-every", "4", "--quiet-detect-gate", "0"])
    assert res.exit_code != 0 and "stopped here" in res.output
    assert kwargs["quiet_detect_gate"] == 0 and kwargs["quiet_every"] == 4
    res = CliRunner().invoke(app, ["review", "--tracks", str(tmp_path / "t.jsonl.gz"), "--out", str(tmp_path),
                                   "--quiet-detect-gate", "-1"])
    assert res.exit_code == 2     # typer's own range check
