"""The people stage finds the people in the rendered samples (detector, tracker, a landmarker per person, roles
from the calibrated floor), the clerk as the clerk, with landmarks near the sidecar's ground truth."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from etiquette_cv.geometry.calibration import load_calibration
from etiquette_cv.pipeline import run_people
from etiquette_cv.io.tracks import read_tracks
from etiquette_cv.io.video import VideoSource

REPO = Path(__file__).resolve().parents[1]
CLIPS = ["reception", "bows_front", "bows_side", "deportment", "clutter"]
TORSO = [11, 12, 23, 24]


@pytest.mark.slow
@pytest.mark.parametrize("name", CLIPS)
def test_people_found_with_landmarks_near_the_truth(name, tmp_path):
    cal = load_calibration(REPO / "calibration" / f"{name}.yaml")
    out = tmp_path / "t.jsonl.gz"
    run_people(VideoSource(REPO / "sample_videos" / f"{name}.mp4", analysis_fps=10.0), out, cal)
    truth = {round(f["t_s"], 2): f["persons"] for f in
             json.loads((REPO / "sample_videos" / f"{name}.gt.json").read_text())["frames"]}
    frames = read_tracks(out).frames
    clerk_found, clerk_err, need, cust_found, cust_err = 0, [], 0, 0, []
    for f in frames:
        q = truth[round(f.timestamp_s, 2)]
        c = [p for p in f.by_role("clerk") if p.landmarks_source == "mediapipe"]
        if c:
            clerk_found += 1
            seen = [i for i in TORSO if not q["clerk"]["occluded"][i]]  # hidden by the desk: not comparable
            true_px = np.asarray(q["clerk"]["landmarks_px"])
            clerk_err += list(np.linalg.norm(c[0].image_xy_px[seen] - true_px[seen], axis=1))
        for pid, p in q.items():
            if pid.startswith("customer") and p["distance_to_counter_m"] <= 3.5:
                need += 1
                true_px = np.asarray(p["landmarks_px"])[TORSO]
                d = [np.linalg.norm(s.image_xy_px[TORSO] - true_px, axis=1) for s in f.by_role("customer")
                     if s.landmarks_source == "mediapipe"]
                d = [x for x in d if np.median(x) < 50]  # the customer whose landmarks lie on this one
                if d:
                    cust_found += 1
                    cust_err += list(d[0])
    clerk_pct = 100.0 * clerk_found / len(frames)
    print(f"{name}: clerk found in {clerk_pct:.1f} % of {len(frames)} frames, median shoulder/hip error "
          f"{np.median(clerk_err):.1f} px" + (f"; customers within 3.5 m found in {100.0 * cust_found / need:.1f} % "
                                               f"of {need}, median error {np.median(cust_err):.1f} px" if need else ""))
    assert clerk_pct >= 95.0
    assert np.median(clerk_err) < 15.0
    if need:
        assert 100.0 * cust_found / need >= 90.0
        assert np.median(cust_err) < 15.0
