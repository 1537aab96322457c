"""`etiquette review` with the scene checks: bad tickets and references are one-line errors; the bundled clutter
sample reports its objects with evidence (slow: runs the people stage)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_cli import error_lines, run_cli

REPO = Path(__file__).resolve().parents[2]
VIDEO = REPO / "sample_videos" / "clutter.mp4"
CAL = REPO / "calibration" / "clutter.yaml"
GT = REPO / "sample_videos" / "clutter.gt.json"


def test_malformed_tickets_fail_before_any_work(tmp_path):
    bad = tmp_path / "tickets.csv"
    bad.write_text("ticket,issued\nA1,09:00\n", encoding="utf-8")
    proc = run_cli("review", str(VIDEO), "-c", str(CAL), "--out", str(tmp_path / "out"), "--tickets", str(bad))
    assert proc.returncode == 2
    (line,) = error_lines(proc)
    assert "tickets.csv: line 1: missing column(s) called, finished" in line


def test_missing_reference_image_is_a_one_line_error(tmp_path):
    cal = tmp_path / "cam.yaml"
    cal.write_text(CAL.read_text(encoding="utf-8").replace("clutter_reference.png", "gone.png"), encoding="utf-8")
    proc = run_cli("review", str(VIDEO), "-c", str(cal), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    (line,) = error_lines(proc)
    assert "cam.yaml: reference_frames[0]: file not found" in line


@pytest.mark.slow
def test_bundled_clutter_sample_reports_every_object_with_evidence(tmp_path):
    out = tmp_path / "out"
    proc = run_cli("review", str(VIDEO), "-c", str(CAL), "--out", str(out), "--lang", "en")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    truth = [e for e in json.loads(GT.read_text())["events"] if e["type"] == "clutter_appears"]
    for region, rule in (("counter_top", "CC-2.10-counter-clutter"), ("floor", "DB-4-floor-debris")):
        found = [f for f in doc["findings"] if f["rule_id"] == rule and f["verdict"] == "violation"]
        want = [e for e in truth if e["region"] == region]
        assert len(found) == len(want), [f["note"] for f in found]
        for f, e in zip(sorted(found, key=lambda f: f["start_s"]), sorted(want, key=lambda e: e["t_s"])):
            assert abs(f["start_s"] - e["t_s"]) <= 2.0
            assert f["measured_unit"] == "cm²" and f["evidence_image"]
            assert (out / f["evidence_image"]).is_file()
    assert "CC-2.10-counter-clutter" in (out / "report.html").read_text(encoding="utf-8")

    # a privacy mask over the cup: it is neither looked at nor shown — the review from the same tracks reports the
    # other two counter objects, and every evidence image has the mask's region flat grey
    import cv2
    import yaml
    cup = next(e for e in truth if e["object"] == "cup")["bbox_px"]
    x0, y0, x1, y1 = cup[0] - 12, cup[1] - 12, cup[2] + 12, cup[3] + 12
    d = yaml.safe_load(CAL.read_text(encoding="utf-8"))
    d["reference_frames"] = [str(CAL.parent / r) for r in d["reference_frames"]]
    d["privacy_masks"] = [{"name": "cup", "image_px": [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]}]
    masked_cal = tmp_path / "masked.yaml"
    masked_cal.write_text(yaml.safe_dump(d), encoding="utf-8")
    out2 = tmp_path / "masked"
    proc = run_cli("review", str(VIDEO), "-c", str(masked_cal), "--tracks", str(out / "tracks.jsonl.gz"),
                   "--out", str(out2), "--lang", "en")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((out2 / "findings.json").read_text(encoding="utf-8"))
    counter = [f for f in doc["findings"] if f["rule_id"] == "CC-2.10-counter-clutter" and f["verdict"] == "violation"]
    assert len(counter) == 2 and all(abs(f["start_s"] - 2.0) > 1.0 for f in counter)
    images = [out2 / f["evidence_image"] for f in doc["findings"] if f.get("evidence_image")]
    assert images
    for path in images:
        patch = cv2.imread(str(path))[int(y0) + 3:int(y1) - 2, int(x0) + 3:int(x1) - 2].astype(float)
        # flat grey within JPEG noise (a zone outline may be drawn across it)
        assert np.median(np.abs(patch - 64)) <= 4, path.name
