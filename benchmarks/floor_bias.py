"""Where the floor points from the feet go wrong: bias along the camera's line of sight, and the height of the foot
landmarks above the floor.

Reads the tracks that `benchmarks/people.py --keep DIR` kept (DIR/NAME/tracks.jsonl) and the truth of the same
clips, matches found people to truth people per frame as that script does, and prints per clip:

* for floor points taken from the feet: the median error along the line of sight from the camera (cm, positive =
  too far from the camera) and the median size of the error across it;
* for people standing still (truth walking speed < 0.2 m/s) posed by MediaPipe: the height (cm) at which the ray of
  each seen ankle / heel landmark passes over the truth's floor point, and the same for the truth's own ankle joint
  pixel. The geometry intersects the ankle rays with the plane ``geometry.ankle_height_m`` and the heel rays with
  ``geometry.heel_height_m``: these medians are what those settings should be.

    python benchmarks/people.py --split tuning --no-real --keep /tmp/people
    python benchmarks/floor_bias.py /tmp/people --split tuning
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

from people import MIN_HEIGHT_PX, MIN_VISIBLE, SET, match_frame  # noqa: E402

from etiquette_cv.core import Landmark  # noqa: E402
from etiquette_cv.geometry.calibration import load_calibration  # noqa: E402
from etiquette_cv.geometry.solver import solve_camera  # noqa: E402
from etiquette_cv.io.tracks import read_tracks  # noqa: E402

STILL_M_S = 0.2
FEET = ((int(Landmark.LEFT_ANKLE), int(Landmark.LEFT_HEEL)), (int(Landmark.RIGHT_ANKLE), int(Landmark.RIGHT_HEEL)))


def _median_cm(values: list[float]) -> str:
    return f"{100 * np.median(values):6.1f}" if values else "     -"


def clip_bias(clip: dict, tracks_path: Path) -> dict[str, list[float]]:
    """Per matched person-frame: along/across-sight errors (m) of feet floor points, and the heights (m) of the
    ankle, heel and truth-ankle rays over the truth floor point of people standing still."""
    camera = solve_camera(load_calibration(SET / clip["files"]["calibration"]))
    seen = camera.geometry.visibility_threshold
    cam_xy = np.asarray(camera.position_m[:2], float)
    truth = {f["index"]: f for f in json.loads((SET / clip["files"]["truth"]).read_text())["frames"]}
    out: dict[str, list[float]] = {"along": [], "across": [], "ankle": [], "heel": [], "truth_ankle": []}
    for frame in read_tracks(tracks_path).frames:
        tf = truth.get(frame.frame_index)
        if tf is None:
            continue
        # matched against every truth person with a box, counted only when mostly in view and tall enough
        people = [p for p in tf["persons"].values() if p.get("bbox_px") is not None]
        for ti, fi in match_frame([p["bbox_px"] for p in people], frame.persons).items():
            found, tp = frame.persons[fi], people[ti]
            if tp["visible_fraction"] < MIN_VISIBLE or tp["height_px"] < MIN_HEIGHT_PX:
                continue
            if found.floor_xy_m is None or found.floor_source != "feet":
                continue
            true_xy = np.asarray(tp["floor_xy_m"], float)
            sight = (true_xy - cam_xy) / np.linalg.norm(true_xy - cam_xy)
            err = np.asarray(found.floor_xy_m, float) - true_xy
            out["along"].append(float(err @ sight))
            out["across"].append(abs(float(err @ np.array([-sight[1], sight[0]]))))
            if (tp.get("walk_speed_m_s") or 0.0) >= STILL_M_S or found.landmarks_source != "mediapipe":
                continue
            for ankle, heel in FEET:
                for idx, key in ((ankle, "ankle"), (heel, "heel")):
                    if found.visibility[idx] >= seen:
                        out[key].append(float(camera.height_on_vertical_line(found.image_xy_px[idx], true_xy)))
                if found.visibility[ankle] >= seen and tp.get("landmarks_px"):
                    px = np.asarray(tp["landmarks_px"][ankle][:2], float)
                    out["truth_ankle"].append(float(camera.height_on_vertical_line(px, true_xy)))
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("keep", type=Path, help="the --keep DIR of benchmarks/people.py")
    ap.add_argument("--split", choices=["tuning", "heldout"], default="tuning")
    args = ap.parse_args(argv)
    manifest = json.loads((SET / "manifest.json").read_text())
    total: dict[str, list[float]] = {}
    print(f"{'clip':34s} {'feet n':>6s} {'along':>6s} {'|across|':>8s} | still: {'ankle':>6s} {'heel':>6s} "
          f"{'truth ankle':>11s}  (medians, cm)")
    for clip in manifest["clips"]:
        tracks = args.keep / clip["name"] / "tracks.jsonl"
        if clip["split"] != args.split or not tracks.exists():
            continue
        b = clip_bias(clip, tracks)
        for k, v in b.items():
            total.setdefault(k, []).extend(v)
        print(f"{clip['name']:34s} {len(b['along']):6d} {_median_cm(b['along'])} {_median_cm(b['across']):>8s} | "
              f"       {_median_cm(b['ankle'])} {_median_cm(b['heel'])} {_median_cm(b['truth_ankle']):>11s}")
    if not total:
        sys.exit(f"{args.keep}: no kept tracks of the {args.split} split (run benchmarks/people.py --keep first)")
    print(f"{'OVERALL ' + args.split:34s} {len(total['along']):6d} {_median_cm(total['along'])} "
          f"{_median_cm(total['across']):>8s} |        {_median_cm(total['ankle'])} {_median_cm(total['heel'])} "
          f"{_median_cm(total['truth_ankle']):>11s}")


if __name__ == "__main__":
    main()
