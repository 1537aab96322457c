"""Bows made with the head raised or dropped: how far the measured bow peak moves (synthetic true joints).

DB 表4 asks for a bow bent at the waist with the eyes on the floor 1.5 m ahead (the head in line with the trunk);
clerks often look up at the customer instead. The trunk fit (``posture/trunk_fit.py``) models the ears on the
trunk's line, so a head off that line pulls the fitted trunk with it. This benchmark measures by how much: a clerk
of the rulebook's defaults stands behind a counter and bows 30° and 45° with the neck bent -30° (head raised),
0° (in line) and +30° (dropped) at the peak, seen by a camera 2.4 m high from six places; true joints with 1 px of
noise (``etiquette_cv.sim``), so this is the geometry's share only, not MediaPipe's. Printed per view: the measured
peak (median over the peak's hold) for each bow and head pose, and the mean error per head pose over the views.
Nothing was tuned on it (it was written to show a weakness, thirty-ninth session).

    python benchmarks/bow_head.py        (about a minute on 2 cores)
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from etiquette_cv.geometry.camera import CameraModel  # noqa: E402
from etiquette_cv.posture.clerk import measure_clerk  # noqa: E402
from etiquette_cv.rules.rulebook import load_rulebook  # noqa: E402
from etiquette_cv.sim.camera import VirtualCamera  # noqa: E402
from etiquette_cv.sim.landmarks import synthesize  # noqa: E402
from etiquette_cv.sim.scenario import Scenario  # noqa: E402

STATION = [0.0, -0.85]
COUNTER = np.array([[-1.2, 0.0], [1.2, 0.0]])
VIEWS = {"front 3.9 m": [0.0, 3.0], "oblique 3.1 m": [2.3, 1.5], "side 3.5 m": [3.5, -0.85],
         "over the shoulder 3.3 m": [1.0, -4.0], "front 6.9 m": [0.0, 6.0], "side 6.0 m": [6.0, -0.85]}
BOWS_DEG = (30.0, 45.0)
NECKS_DEG = (-30.0, 0.0, 30.0)


def measured_peak(rb, camera_xy: list[float], bow_deg: float, neck_deg: float) -> float:
    """The bow's measured peak (degrees): the median flexion over its 1-s hold at ``bow_deg`` with the neck bent
    ``neck_deg`` (positive forward) from 3 to 4 s."""
    keys = [{"t": 0.0, "pos_m": STATION, "heading_deg": 90, "stance": "stand", "arms": "sides",
             "trunk_flexion_deg": 0}, {"t": 2.0, "trunk_flexion_deg": 0, "neck_flexion_deg": 0},
            {"t": 3.0, "trunk_flexion_deg": bow_deg, "neck_flexion_deg": neck_deg},
            {"t": 4.0, "trunk_flexion_deg": bow_deg, "neck_flexion_deg": neck_deg},
            {"t": 5.0, "trunk_flexion_deg": 0, "neck_flexion_deg": 0}, {"t": 7.0, "trunk_flexion_deg": 0}]
    sc = Scenario.from_dict({
        "version": 1, "name": "bow_head", "duration_s": 7.0, "fps": 10,
        "camera": {"position_m": [*camera_xy, 2.4], "look_at_m": [0.0, -0.85, 1.0], "hfov_deg": 60, "width": 1280,
                   "height": 720},
        "scene": {"counter": {"x0_m": -1.2, "x1_m": 1.2, "height_m": 0.76, "depth_m": 0.6, "desk_height_m": 0.76}},
        "persons": [{"id": "clerk", "role": "clerk", "body": {"height_m": 1.68, "sex": "female"}, "keyframes": keys}],
    })
    cam = VirtualCamera.from_spec(sc.camera)
    frames = synthesize(sc, cam, noise_px=1.0, seed=3)
    s = measure_clerk(frames, CameraModel.from_pose(cam.K, cam.R, cam.t, cam.width, cam.height), np.array(STATION),
                      np.array([0.0, 1.0]), rb.posture_settings(), COUNTER, 0.76)
    hold = (s.t_s >= 3.2) & (s.t_s <= 3.8)
    return float(np.nanmedian(s.flexion_deg[hold])) if np.isfinite(s.flexion_deg[hold]).any() else float("nan")


def main() -> None:
    print(f"machine: {platform.machine()}, {len(__import__('os').sched_getaffinity(0))} cores, Python "
          f"{platform.python_version()}")
    rb = load_rulebook()
    errors = {n: [] for n in NECKS_DEG}
    print(f"{'view':<24}" + "".join(f"{f'bow {b:.0f}° neck {n:+.0f}°':>20}" for b in BOWS_DEG for n in NECKS_DEG))
    for name, xy in VIEWS.items():
        cells = []
        for bow in BOWS_DEG:
            for neck in NECKS_DEG:
                peak = measured_peak(rb, xy, bow, neck)
                errors[neck].append(peak - bow)
                cells.append(f"{peak:>19.1f}°")
        print(f"{name:<24}" + "".join(cells))
    for neck, e in errors.items():
        e = np.array(e)
        print(f"head {'raised' if neck < 0 else 'dropped' if neck > 0 else 'in line'} ({neck:+.0f}°): bow peak error "
              f"mean {np.nanmean(e):+.1f}°, worst {e[np.nanargmax(np.abs(e))]:+.1f}° over {len(e)} bows "
              f"({int(np.isnan(e).sum())} not measured)")


if __name__ == "__main__":
    main()
