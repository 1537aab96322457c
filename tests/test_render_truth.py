"""The rendered sample clips' ground-truth sidecars (sample_videos/*.gt.json) are self-consistent.

Fast: reads JSON only (no rendering, no mediapipe).
"""

from __future__ import annotations

import glob
import gzip
import json
import math
import os

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIDECARS = sorted(glob.glob(os.path.join(ROOT, "sample_videos", "*.gt.json"))
                  + glob.glob(os.path.join(ROOT, "sample_videos", "*.gt.json.gz")))


def _load(path):
    if path.endswith(".gz"):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return json.load(f)
    with open(path, encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="module", params=SIDECARS, ids=[os.path.basename(p) for p in SIDECARS])
def gt(request):
    return _load(request.param)


def _project(cam, X):
    K = np.array(cam["K"], float)
    R = np.array(cam["R_world_to_cam"], float)
    t = np.array(cam["t_world_to_cam"], float)
    rvec, _ = cv2.Rodrigues(R)
    uv, _ = cv2.projectPoints(np.asarray(X, float).reshape(-1, 1, 3), rvec, t, K, np.array(cam["dist"], float))
    return uv.reshape(-1, 2)


def test_sidecars_exist():
    assert SIDECARS, "no sample_videos/*.gt.json committed"


def test_header(gt):
    assert gt["schema"] == "etiquette-cv/ground-truth"
    assert gt["version"] == 1
    cam = gt["camera"]
    R = np.array(cam["R_world_to_cam"])
    assert np.allclose(R @ R.T, np.eye(3), atol=1e-9)
    assert np.allclose(-R.T @ np.array(cam["t_world_to_cam"]), cam["position_m"], atol=1e-6)
    assert abs(cam["height_above_floor_m"] - cam["position_m"][2]) < 1e-9
    assert len(gt["floor_points"]) >= 6
    assert len(gt["landmark_names"]) == 33
    assert gt["n_frames"] == len(gt["frames"])
    fps = gt["fps"]
    for f in gt["frames"]:
        assert abs(f["t_s"] - f["index"] / fps) < 1e-3


def test_floor_points_reproject(gt):
    cam = gt["camera"]
    X = np.array([p["world_m"] for p in gt["floor_points"]])
    assert np.all(X[:, 2] == 0)
    uv = _project(cam, X)
    ref = np.array([p["px"] for p in gt["floor_points"]])
    assert np.abs(uv - ref).max() < 0.01


def test_landmarks_reproject(gt):
    cam = gt["camera"]
    worst = 0.0
    for f in gt["frames"]:
        for rec in f["persons"].values():
            X = np.array(rec["landmarks_world_m"])
            assert X.shape == (33, 3)
            uv = _project(cam, X)
            worst = max(worst, float(np.abs(uv - np.array(rec["landmarks_px"])).max()))
            assert len(rec["occluded"]) == 33
    assert worst < 0.01, worst


def test_trunk_flexion_matches_landmarks(gt):
    """trunk_flexion_deg: angle of the hip-centre -> shoulder-centre line from the vertical in the person's sagittal
    plane (+ = forward along the heading); trunk_lateral_deg: its angle out of that plane (+ = own right)."""
    for f in gt["frames"][::7]:
        for rec in f["persons"].values():
            X = np.array(rec["landmarks_world_m"])
            v = (X[11] + X[12]) / 2 - (X[23] + X[24]) / 2
            h = math.radians(rec["heading_deg"])
            fwd = v[0] * math.cos(h) + v[1] * math.sin(h)
            right = v[0] * math.sin(h) - v[1] * math.cos(h)
            assert abs(math.degrees(math.atan2(fwd, v[2])) - rec["trunk_flexion_deg"]) < 0.1
            lateral = math.degrees(math.asin(right / float(np.linalg.norm(v))))
            assert abs(lateral - rec["trunk_lateral_deg"]) < 0.1


def _series(gt, pid, key):
    t = np.array([f["t_s"] for f in gt["frames"] if pid in f["persons"]])
    v = np.array([f["persons"][pid][key] for f in gt["frames"] if pid in f["persons"]])
    return t, v


def test_two_metre_events_match_distances(gt):
    dt = 1.0 / gt["fps"]
    events = [e for e in gt["events"] if e["type"] == "cross_2m"]
    for e in events:
        t, d = _series(gt, e["person"], "distance_to_counter_m")
        # the per-frame distance changes side of 2.0 m within one frame of the event time
        before = d[(t <= e["t_s"]) & (t >= e["t_s"] - dt - 1e-6)]
        after = d[(t >= e["t_s"]) & (t <= e["t_s"] + dt + 1e-6)]
        assert len(before) and len(after)
        if e["direction"] == "in":
            assert before[0] >= 2.0 - 1e-3 and after[-1] <= 2.0 + 1e-3
        else:
            assert before[0] <= 2.0 + 1e-3 and after[-1] >= 2.0 - 1e-3
    # and every per-frame crossing has an event
    pids = {p["id"] for p in gt["persons"] if p["role"] == "customer"}
    for pid in pids:
        t, d = _series(gt, pid, "distance_to_counter_m")
        for i in range(1, len(t)):
            if (d[i - 1] < 2.0) != (d[i] < 2.0):
                assert any(e["person"] == pid and t[i - 1] - 1e-6 <= e["t_s"] <= t[i] + 1e-6 for e in events), \
                    (pid, t[i])


def test_stance_events_match_frames(gt):
    dt = 1.0 / gt["fps"]
    for e in gt["events"]:
        if e["type"] not in ("stand_up", "sit_down"):
            continue
        t, s = _series(gt, e["person"], "stance")
        want_before, want_after = ("sit", "stand") if e["type"] == "stand_up" else ("stand", "sit")
        b = s[t <= e["t_s"] - 1e-6]
        a = s[t >= e["t_s"] + 1e-6]
        if len(b):
            assert b[-1] == want_before
        if len(a):
            assert a[0] == want_after
        assert e["start_s"] <= e["t_s"] <= e["end_s"]
        assert e["end_s"] - e["start_s"] <= 5.0 + dt


def test_bow_peaks_match_frames(gt):
    dt = 1.0 / gt["fps"]
    for e in gt["events"]:
        if e["type"] not in ("bow_peak", "reach_peak"):
            continue
        t, a = _series(gt, e["person"], "trunk_flexion_deg")
        near = np.abs(t - e["t_s"]) <= dt + 1e-6
        assert near.any()
        assert abs(a[near].max() - e["angle_deg"]) < 1.0
        window = (t >= e["start_s"] - 1e-6) & (t <= e["end_s"] + 1e-6)
        assert a[window].max() <= e["angle_deg"] + 0.25


def test_violation_and_clutter_events_well_formed(gt):
    for e in gt["events"]:
        if e["type"] == "violation":
            assert e["start_s"] < e["end_s"]
            assert isinstance(e["violation"], str)
        if e["type"] == "clutter_appears":
            lo, hi = np.array(e["box_min_m"]), np.array(e["box_max_m"])
            assert np.all(hi > lo)
            assert e["region"] in ("counter_top", "floor")
