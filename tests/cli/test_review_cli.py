"""`etiquette review` end to end on the rendered reception sample, graded against its ground-truth sidecar."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from test_cli import error_lines, run_cli

REPO = Path(__file__).resolve().parents[2]
VIDEO = REPO / "sample_videos" / "reception.mp4"
CAL = REPO / "calibration" / "reception.yaml"
GT = REPO / "sample_videos" / "reception.gt.json"


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory):
    out = tmp_path_factory.mktemp("review")
    proc = run_cli("review", str(VIDEO), "--calibration", str(CAL), "--out", str(out), "--lang", "en",
                   "--annotate", str(out / "annotated.mp4"))
    return proc, out


def truth_events():
    return json.loads(GT.read_text())["events"]


@pytest.mark.slow
def test_review_writes_every_output(reviewed):
    proc, out = reviewed
    assert proc.returncode == 0, proc.stderr
    for name in ("findings.json", "findings.csv", "report.html", "tracks.jsonl.gz", "annotated.mp4"):
        assert (out / name).stat().st_size > 0, name
    doc = json.loads((out / "findings.json").read_text())
    assert doc["schema"] == "etiquette-cv/findings"
    with open(out / "findings.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(doc["findings"])
    keyframes = [f["evidence_image"] for f in doc["findings"] if f["evidence_image"]]
    assert keyframes and all((out / k).exists() or Path(k).exists() for k in keyframes)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "data:image/jpeg;base64," in html and "<svg" in html


@pytest.mark.slow
def test_review_matches_the_sidecar_reception_verdicts(reviewed):
    proc, out = reviewed
    doc = json.loads((out / "findings.json").read_text())
    ev = truth_events()
    crossings_in = [e["t_s"] for e in ev if e["type"] == "cross_2m" and e["direction"] == "in"]
    ups = [e["t_s"] for e in ev if e["type"] == "stand_up"]
    visits = doc["visits"]
    assert len(visits) == len(crossings_in) == 2
    for v, t in zip(visits, crossings_in):
        assert abs(v["arrive_s"] - t) <= 0.3, (v, t)  # the target: 2 m crossing within 0.3 s
    greet = sorted((f for f in doc["findings"] if f["rule_id"] == "CC-2.6-stand-greet"), key=lambda f: f["visit_id"])
    assert [f["verdict"] for f in greet] == ["met", "late"]
    true_delay = ups[-1] - crossings_in[1]
    assert abs(greet[1]["measured_value"] - true_delay) <= 0.5
    send_off = [f for f in doc["findings"] if f["rule_id"] == "CC-2.6b-stand-send-off" and f["visit_id"] == 1]
    assert send_off and send_off[0]["verdict"] == "met"
    # coverage says how long each person was visible, and which rules could not be assessed (never compliance)
    assert doc["coverage"]["visible_s"]["clerk"] > 20
    # the clerk's floor path is measured, and she never runs
    assert "DB-5.1-walk" in doc["coverage"]["assessable_rules"]
    assert not [f for f in doc["findings"] if f["rule_id"] == "DB-5.1-walk"]


@pytest.mark.slow
def test_regrading_tracks_needs_no_video_and_gives_the_same_verdicts(reviewed, tmp_path):
    _, out = reviewed
    proc = run_cli("review", "--tracks", str(out / "tracks.jsonl.gz"), "--calibration", str(CAL),
                   "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    a = json.loads((out / "findings.json").read_text())["findings"]
    doc = json.loads((tmp_path / "findings.json").read_text())
    b = doc["findings"]
    image_checks = ("CC-2.10-counter-clutter", "DB-4-floor-debris", "DB-4-lighting")   # need the video's pixels
    assert [(f["rule_id"], f["verdict"]) for f in a if f["rule_id"] not in image_checks] == \
        [(f["rule_id"], f["verdict"]) for f in b]
    assert all("no video frame" in doc["coverage"]["not_assessable_rules"][r] for r in image_checks)


def test_review_rulebook_with_a_typo_is_one_line_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    text = (REPO / "src" / "etiquette_cv" / "rulebook" / "default.yaml").read_text(encoding="utf-8")
    bad.write_text(text.replace("allowance_s:", "alowance_s:", 1), encoding="utf-8")
    proc = run_cli("review", str(VIDEO), "--calibration", str(CAL), "--rulebook", str(bad), "--out", str(tmp_path))
    assert proc.returncode == 2
    lines = error_lines(proc)
    assert len(lines) == 1 and "bad.yaml" in lines[0] and "CC-2.6-stand-greet" in lines[0] and "alowance_s" in lines[0]


def test_review_calibration_with_a_typo_is_one_line_error(tmp_path):
    bad = tmp_path / "cam.yaml"
    bad.write_text(CAL.read_text(encoding="utf-8").replace("floor_points:", "floor_pionts:", 1), encoding="utf-8")
    proc = run_cli("review", str(VIDEO), "--calibration", str(bad), "--out", str(tmp_path))
    assert proc.returncode == 2
    lines = error_lines(proc)
    assert len(lines) == 1 and "cam.yaml" in lines[0] and "floor_pionts" in lines[0]


def test_review_missing_video_is_one_line_error(tmp_path):
    proc = run_cli("review", str(tmp_path / "nope.mp4"), "--calibration", str(CAL), "--out", str(tmp_path))
    assert proc.returncode == 2
    lines = error_lines(proc)
    assert len(lines) == 1 and "nope.mp4" in lines[0] and "no such file" in lines[0]


@pytest.mark.slow
def test_review_of_a_truncated_video_keeps_results_and_exits_3(tmp_path):
    import cv2
    cap = cv2.VideoCapture(str(VIDEO))
    writer = cv2.VideoWriter(str(tmp_path / "full.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 10, (1280, 720))
    for _ in range(120):
        ok, img = cap.read()
        writer.write(img)
    writer.release()
    data = (tmp_path / "full.avi").read_bytes()
    (tmp_path / "cut.avi").write_bytes(data[: len(data) * 2 // 3])
    proc = run_cli("review", str(tmp_path / "cut.avi"), "--calibration", str(CAL), "--out", str(tmp_path / "r"))
    assert proc.returncode == 3, proc.stderr
    assert any("cut.avi" in line and "truncated" in line for line in error_lines(proc))
    doc = json.loads((tmp_path / "r" / "findings.json").read_text())
    assert doc["problem"] and "truncated" in doc["problem"]
    assert (tmp_path / "r" / "report.html").exists()
