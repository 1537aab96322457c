"""``etiquette score`` end to end on the bundled reception sample (pose model: slow), with and without its floor
calibration, against the verdicts the sidecar's truth gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from etiquette_cv.cli import app
from etiquette_cv.rules.rulebook import load_rulebook
from etiquette_cv.training.scenario import load_scenario
from etiquette_cv.training.scoring import score_attempt
from etiquette_cv.training.truth import truth_events

REPO = Path(__file__).resolve().parents[2]
VIDEO = REPO / "sample_videos" / "reception.mp4"


def _verdicts(path: Path) -> dict[str, str]:
    return {s["step_id"]: s["verdict"] for s in json.loads(path.read_text(encoding="utf-8"))["steps"]}


@pytest.mark.slow
def test_score_the_reception_sample_with_and_without_a_calibration(tmp_path):
    rb = load_rulebook()
    truth = score_attempt(load_scenario("farewell", rb), truth_events(VIDEO.with_name("reception.gt.json")))
    out = tmp_path / "cal"
    res = CliRunner().invoke(app, ["score", str(VIDEO), "--scenario", "farewell", "-c",
                                   str(REPO / "calibration" / "reception.yaml"), "--out", str(out), "--lang", "en"])
    assert res.exit_code == 0, res.output
    got = _verdicts(out / "score.json")
    # every step the truth can grade comes out as the truth says (站送 and the 30° thanks bow: done)
    assert {s.step_id: s.verdict for s in truth.steps if s.verdict != "not_assessable"} == \
        {"stand_up": "done", "thanks_bow": "done"}
    # the clip scripts no wave (its sidecar's arms: desk, folded): missing, which the truth cannot say (gestures are
    # not annotated)
    assert got == {"stand_up": "done", "thanks_bow": "done", "wave": "missing"}
    assert (out / "score.html").exists() and (out / "keyframes" / "step_thanks_bow.jpg").exists()

    # again without the calibration, from the tracks file it wrote (no second pose run for the calibrated case)
    out2 = tmp_path / "nocal"
    res = CliRunner().invoke(app, ["score", str(VIDEO), "--scenario", "reception", "--out", str(out2)])
    assert res.exit_code == 0, res.output
    doc = json.loads((out2 / "score.json").read_text(encoding="utf-8"))
    steps = {s["step_id"]: s for s in doc["steps"]}
    assert [s["verdict"] for s in steps.values()] == ["done", "not_assessable", "missing"]
    assert "calibration" in steps["greeting_bow"]["reason"]
    # the 2 m cue bounded from the customer's stop at the counter (the truth's crossing: 3.78 s): the stand-up is
    # on time wherever in that span the crossing was
    lo, hi = steps["stand_up"]["anchor_span_s"]
    assert lo <= 3.78 <= hi and hi - lo < 5
    assert any("stopped at the counter" in n for n in doc["notes"])
    # the stand-up is still found from the image: within 0.5 s of the truth's onset (3.81 s)
    assert abs(steps["stand_up"]["event"]["t_s"] - 3.81) < 0.5
    assert "seen longest" in doc["notes"][0]

    # the trainer names the trainee: by place, or by the number a sheet showed; a number nobody has is one line
    out3 = tmp_path / "named"
    tracks = out2 / "tracks.jsonl.gz"
    res = CliRunner().invoke(app, ["score", "--tracks", str(tracks), "--scenario", "reception", "--out", str(out3),
                                   "--trainee", "centre"])
    assert res.exit_code == 0, res.output
    assert "--trainee centre" in json.loads((out3 / "score.json").read_text(encoding="utf-8"))["notes"][0]
    res = CliRunner().invoke(app, ["score", "--tracks", str(tracks), "--scenario", "reception", "--out", str(out3),
                                   "--trainee", "#99"])
    assert res.exit_code != 0
    assert "--trainee #99: no person #99 was posed" in res.output and len(res.output.strip().splitlines()) == 1

    # the 2 m line marked on the floor instead of a calibration: its two ends where the true camera sees them (as a
    # trainer would click the tape's ends); the stand-up for the first customer is graded again, as the truth says
    import numpy as np
    from etiquette_cv.geometry.calibration import load_calibration
    from etiquette_cv.geometry.polyline import side_normal
    from etiquette_cv.geometry.solver import solve_camera
    cal = load_calibration(REPO / "calibration" / "reception.yaml")
    a, b = cal.counter.edge_m[0], cal.counter.edge_m[-1]           # the straight counter edge, moved 2 m out
    normal = side_normal((a + b) / 2, cal.counter.edge_m, cal.counter.customer_side)
    ends = solve_camera(cal).project(np.array([[*(a + 2 * normal), 0.0], [*(b + 2 * normal), 0.0]]))
    line = ",".join(f"{v:.1f}" for v in ends.ravel())
    reception_truth = score_attempt(load_scenario("reception", rb), truth_events(VIDEO.with_name("reception.gt.json")))
    out4 = tmp_path / "line"
    res = CliRunner().invoke(app, ["score", "--tracks", str(tracks), "--scenario", "reception", "--out", str(out4),
                                   "--cue-line", line])
    assert res.exit_code == 0, res.output
    doc = json.loads((out4 / "score.json").read_text(encoding="utf-8"))
    steps = {s["step_id"]: s for s in doc["steps"]}
    assert steps["stand_up"]["verdict"] == reception_truth.steps[0].verdict == "done"
    assert abs(doc["cues"]["customer_near"] - 3.78) < 0.5       # the truth's crossing of 2 m: 3.78 s
    assert any("marked on the floor" in n and "toward the counter at 3." in n for n in doc["notes"])
    for bad, why in ((["--cue-line", "1,2,3"], "x1,y1,x2,y2"), (["--cue-line", "5,5,6,6"], "px apart"),
                     (["--cue-line", line, "-c", str(REPO / "calibration" / "reception.yaml")], "one or the other")):
        res = CliRunner().invoke(app, ["score", "--tracks", str(tracks), "--scenario", "reception", "--out",
                                       str(out4), *bad])
        assert res.exit_code != 0 and why in res.output and len(res.output.strip().splitlines()) == 1, res.output
