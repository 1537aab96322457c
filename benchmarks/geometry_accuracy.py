#!/usr/bin/env python3
"""Accuracy of the floor geometry: customer distance to the counter and clerk shoulder height.

1. Synthetic: a virtual level camera at a few heights/pitches watches a counter (edge from (-1.2, 0) to (1.2, 0),
   customers at y > 0) through a calibration solved from 8 clicked floor marks. Bodies come from the scenario
   body model (``etiquette_cv.sim``): customers 1.55-1.90 m tall standing or walking 2 m from the counter, a clerk
   1.66 m tall sitting/standing at the station (0, -0.85). Landmark pixels get Gaussian noise (1 px, 2 px); the
   "+click" columns also re-solve the calibration from floor marks clicked with 1 px noise in every trial.
   Reported: |error| median and 95th percentile over seeded trials.
2. Rendered samples (``sample_videos/NAME.gt.json`` with ``calibration/NAME.yaml``): the calibration against the
   sidecar's camera, the customer distance from the sidecar's ground-truth landmark pixels (within 3.5 m), the
   2 m crossing times against the sidecar's events, and the clerk's shoulder height sitting vs standing.

    python benchmarks/geometry_accuracy.py [--trials 300] [--samples sample_videos] [--calibrations calibration]

``sample_poses(...)`` turns one sidecar frame into PersonPose objects (ground-truth pixels); to benchmark MediaPipe
landmarks instead, call :func:`evaluate_sample` with your own ``poses_for_frame(frame_record) -> {person_id: PersonPose}``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from etiquette_cv.core import NUM_LANDMARKS, Landmark, PersonPose  # noqa: E402
from etiquette_cv.geometry.calibration import (  # noqa: E402
    CalibrationError,
    Counter,
    GeometrySettings,
    calibration_from_dict,
    load_calibration,
)
from etiquette_cv.geometry.camera import CameraModel  # noqa: E402
from etiquette_cv.geometry.floor import clerk_heights, distance_to_counter_m, person_floor_position  # noqa: E402
from etiquette_cv.geometry.polyline import distance_to_polyline_m  # noqa: E402
from etiquette_cv.geometry.solver import solve_camera  # noqa: E402
from etiquette_cv.sim.body import Body, joint_positions_m  # noqa: E402
from etiquette_cv.sim.camera import VirtualCamera  # noqa: E402
from etiquette_cv.sim.scenario import PoseParams  # noqa: E402

W, H, HFOV_DEG = 1280, 720, 70.0
COUNTER_EDGE_M = np.array([[-1.2, 0.0], [1.2, 0.0]])
STATION_M = np.array([0.0, -0.85])
APPROACH_M = 2.0
NEAR_LIMIT_M = 3.5
CONFIGS = [(2.2, 15.0), (2.5, 15.0), (2.5, 25.0), (3.0, 25.0), (3.0, 35.0)]   # (camera height m, pitch deg)
YAW_DEG = -70.0
AIM_M = np.array([0.0, 0.6, 0.3])
"""Where the optical axis points (a low aim keeps the counter, the station and the 2 m line in view)."""
MARK_GRID_M = np.array([[x, y] for x in np.arange(-2.5, 2.51, 0.5) for y in np.arange(0.5, 5.01, 0.5)])
"""Candidate floor marks (customer side, 0.5 m grid); the calibration uses N_MARKS well spread visible ones."""
N_MARKS = 8
JOINT_ANKLE_HEIGHT_M = 0.07
"""Both parts feed the skeleton's own joint pixels (the body model's ankle joint at 3.9 % of stature, 6-7 cm), not
MediaPipe's landmarks, whose ankle point sits higher (the product's ``geometry.ankle_height_m`` of 0.10 m models
that: ``benchmarks/floor_bias.py``); the ankle rays are therefore met with the joint's plane here, so that the
figures measure the calibration and the landmark noise, not the landmark model."""
JOINT_GEOMETRY = GeometrySettings(ankle_height_m=JOINT_ANKLE_HEIGHT_M)
"""The synthetic cameras' geometry settings (defaults but the ankle plane)."""
console = Console(width=200)


# ---------------------------------------------------------------------------------------------------------------
# synthetic scene
# ---------------------------------------------------------------------------------------------------------------


def look_at_camera(height_m: float, pitch_deg: float, yaw_deg: float) -> CameraModel:
    """A level camera at ``height_m`` whose optical axis dips ``pitch_deg`` toward AIM_M, heading ``yaw_deg``."""
    cam = VirtualCamera.aimed(height_m, pitch_deg, yaw_deg, AIM_M, HFOV_DEG, W, H)
    return CameraModel.from_pose(cam.K, cam.R, cam.t, W, H)


def visible_marks(truth: CameraModel) -> np.ndarray:
    """N_MARKS well spread grid marks (farthest-point order) that the camera sees at least 20 px inside the frame."""
    px = truth.project(np.column_stack([MARK_GRID_M, np.zeros(len(MARK_GRID_M))]))
    ok = np.all(np.isfinite(px), axis=1) & np.all((px > 20) & (px < [W - 20, H - 20]), axis=1)
    pts = MARK_GRID_M[ok]
    chosen = [0]
    dmin = np.linalg.norm(pts - pts[0], axis=1)
    while len(chosen) < min(N_MARKS, len(pts)):
        k = int(np.argmax(dmin))
        chosen.append(k)
        dmin = np.minimum(dmin, np.linalg.norm(pts - pts[k], axis=1))
    return pts[chosen]


def clicked_camera(truth: CameraModel, click_noise_px: float, rng: np.random.Generator) -> CameraModel:
    """The camera solved from the floor marks the truth camera sees, clicked with Gaussian noise."""
    marks = visible_marks(truth)
    px = truth.project(np.column_stack([marks, np.zeros(len(marks))]))
    px = px + rng.normal(0.0, click_noise_px, px.shape)
    d = {"version": 1, "image_size": [W, H], "hfov_deg": HFOV_DEG,
         "floor_points": [{"pixel": p.tolist(), "floor_m": m.tolist()} for p, m in zip(px, marks)],
         "counter": {"edge_m": COUNTER_EDGE_M.tolist(), "height_m": 1.1, "customer_side": 1},
         "clerk_stations": [{"name": "A", "floor_m": STATION_M.tolist()}],
         "zones": {"clerk": {"floor_m": [[-1.2, -1.5], [1.2, -1.5], [1.2, -0.1]]},
                   "customer_approach": {"floor_m": [[-2.0, 0.1], [2.0, 0.1], [2.0, 4.0]]}},
         "max_reprojection_error_px": 20.0, "max_floor_error_m": 1.0}
    return solve_camera(calibration_from_dict(d, "benchmark.yaml"), leave_one_out=False)


def params(pos_xy, heading_deg: float, sit_blend: float = 0.0, walk_phase: float = 0.0,
           walk_speed: float = 0.0) -> PoseParams:
    return PoseParams(t_s=0.0, pos_m=np.asarray(pos_xy, float), heading_deg=heading_deg,
                      stance="sit" if sit_blend >= 0.5 else "stand", sit_blend=sit_blend, trunk_flexion_deg=0.0,
                      trunk_lateral_deg=0.0, neck_flexion_deg=0.0, arms="sides", legs="normal",
                      sway_amplitude_deg=0.0, sway_period_s=2.0, sway_offset_deg=0.0, walk_phase=walk_phase,
                      walk_speed_m_s=walk_speed)


def pose_from_pixels(px: np.ndarray, visible: np.ndarray | None = None, role: str = "customer") -> PersonPose:
    vis = np.ones(NUM_LANDMARKS) if visible is None else np.where(visible, 1.0, 0.0)
    return PersonPose(track_id=0, role=role, image_xy_px=np.asarray(px, float), image_z=np.zeros(NUM_LANDMARKS),
                      world_xyz_m=np.zeros((NUM_LANDMARKS, 3)), visibility=vis, presence=np.ones(NUM_LANDMARKS))


def stats(errors) -> str:
    e = np.abs(np.asarray([x for x in errors if x is not None and np.isfinite(x)], float))
    if len(e) == 0:
        return "-"
    return f"{np.median(e) * 100:.1f} / {np.percentile(e, 95) * 100:.1f}"


def synthetic(trials: int) -> None:
    counter = Counter(COUNTER_EDGE_M, 1.1, 1)
    table = Table(title=f"synthetic: |error| median / 95th percentile in cm over {trials} seeded trials per row "
                        f"(hfov {HFOV_DEG:g}°, yaw {YAW_DEG:g}°, customers 1.55-1.90 m tall at 2 m, half walking)")
    for col in ("camera", "noise", "dist standing", "dist walking", "dist all +1px clicks", "dist feet hidden", "feet / hips / none",
                "shoulder sit", "shoulder stand", "sit→stand rise true / est."):
        table.add_column(col, justify="left" if col in ("camera", "noise") else "right")
    clerk = Body.from_height(1.66, "female")
    for height_m, pitch_deg in CONFIGS:
        truth = look_at_camera(height_m, pitch_deg, YAW_DEG)
        rng = np.random.default_rng(int(height_m * 100 + pitch_deg))
        for noise in (1.0, 2.0):
            stand, walk, click, hidden = [], [], [], []
            methods = {"feet": 0, "hips": 0, "none": 0}
            shoulder = {True: [], False: []}
            est = {True: [], False: []}
            true_sh = {}
            for sitting in (True, False):
                cp = joint_positions_m(params(STATION_M, 90.0, sit_blend=1.0 if sitting else 0.0), clerk)
                true_sh[sitting] = float(cp[[Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER], 2].mean())
            for _ in range(trials):
                body = Body.from_height(rng.uniform(1.55, 1.90), "male" if rng.random() < 0.5 else "female")
                walking = rng.random() < 0.5
                p = params([rng.uniform(-1.0, 1.0), APPROACH_M], -90.0 + rng.uniform(-30, 30),
                           walk_phase=rng.random(), walk_speed=1.0 if walking else 0.0)
                px = truth.project(joint_positions_m(p, body)) + rng.normal(0.0, noise, (NUM_LANDMARKS, 2))
                pose = pose_from_pixels(px)
                pos = person_floor_position(pose, truth, JOINT_GEOMETRY)
                if pos is None:
                    methods["none"] += 1
                else:
                    methods["hips" if pos.method == "hips_fallback" else "feet"] += 1
                    d = float(distance_to_polyline_m(pos.xy_m, counter.edge_m, counter.customer_side))
                    (walk if walking else stand).append(d - APPROACH_M)
                d = distance_to_counter_m(pose, clicked_camera(truth, 1.0, rng), counter, JOINT_GEOMETRY)
                click.append(None if d is None else d - APPROACH_M)
                feetless = pose_from_pixels(px, np.arange(NUM_LANDMARKS) < Landmark.LEFT_ANKLE)
                d = distance_to_counter_m(feetless, truth, counter, JOINT_GEOMETRY)
                hidden.append(None if d is None else d - APPROACH_M)
                sitting = rng.random() < 0.5
                cp = joint_positions_m(params(STATION_M, 90.0, sit_blend=1.0 if sitting else 0.0), clerk)
                cpx = truth.project(cp) + rng.normal(0.0, noise, (NUM_LANDMARKS, 2))
                h = clerk_heights(pose_from_pixels(cpx, role="clerk"), truth, STATION_M).shoulder_height_m
                if h is not None:
                    shoulder[sitting].append(h - true_sh[sitting])
                    est[sitting].append(h)
            n = max(1, sum(methods.values()))
            rise = (f"{true_sh[False] - true_sh[True]:.2f} / {np.median(est[False]) - np.median(est[True]):.2f} m"
                    if est[True] and est[False] else "-")
            table.add_row(f"h {height_m:.1f} m, pitch {pitch_deg:.0f}°", f"{noise:g} px", stats(stand), stats(walk),
                          stats(click), stats(hidden), f"{100 * methods['feet'] / n:.0f} / {100 * methods['hips'] / n:.0f} / {100 * methods['none'] / n:.0f} %",
                          stats(shoulder[True]), stats(shoulder[False]), rise)
    console.print(table)


# ---------------------------------------------------------------------------------------------------------------
# rendered samples
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class SampleResult:
    name: str
    lines: list[str]


def sample_poses(frame: dict) -> dict[str, PersonPose]:
    """PersonPose per person id from one sidecar frame's ground-truth landmark pixels (visible = not occluded and
    in the frame)."""
    out = {}
    for pid, rec in frame["persons"].items():
        px = np.asarray(rec["landmarks_px"], float)
        visible = (np.asarray(rec["occluded"]) == 0) & (np.asarray(rec["in_frame"]) == 1)
        out[pid] = pose_from_pixels(px, visible, role="clerk" if pid == "clerk" else "customer")
    return out


def crossing_times(t: np.ndarray, d: np.ndarray, level: float) -> list[tuple[float, str]]:
    """Times (linear interpolation) where the series d(t) crosses ``level``, with direction "in" (decreasing)."""
    out = []
    ok = np.isfinite(d)
    t, d = t[ok], d[ok]
    for i in range(1, len(d)):
        if (d[i - 1] < level) != (d[i] < level):
            u = (level - d[i - 1]) / (d[i] - d[i - 1])
            out.append((float(t[i - 1] + u * (t[i] - t[i - 1])), "in" if d[i] < d[i - 1] else "out"))
    return out


def evaluate_sample(gt: dict, cal_path: Path,
                    poses_for_frame: Callable[[dict], dict[str, PersonPose]] = sample_poses) -> list[str]:
    """Report lines for one rendered sample: the calibration vs the sidecar camera, customer distance errors,
    2 m crossing time errors and clerk shoulder heights."""
    lines = []
    cal = load_calibration(cal_path)
    cam = solve_camera(cal)
    joint_geometry = replace(cam.geometry, ankle_height_m=JOINT_ANKLE_HEIGHT_M)  # keeps the file's other settings
    gcam = gt["camera"]
    lines.append(f"camera height {cam.height_m:.3f} m (sidecar {gcam['height_above_floor_m']:.3f}), pitch "
                 f"{cam.pitch_deg:.2f}° ({gcam['pitch_deg']:.2f}), roll {cam.roll_deg:.2f}° ({gcam['roll_deg']:.2f}), "
                 f"hfov {cam.hfov_deg:.2f}° ({gcam['hfov_deg']})")
    fp = [p for p in gt["floor_points"] if p["in_image"]]
    world = np.array([p["world_m"] for p in fp], float)
    px_true = np.array([p["px"] for p in fp], float)
    reproj = np.linalg.norm(cam.project(world) - px_true, axis=1)
    floor_err = np.linalg.norm(cam.pixel_to_floor(px_true) - world[:, :2], axis=1)
    lines.append(f"sidecar floor points ({len(fp)} in view) re-projected by this calibration: median "
                 f"{np.median(reproj):.2f} px, max {reproj.max():.2f} px; floor error median {np.median(floor_err) * 100:.1f} "
                 f"cm, max {floor_err.max() * 100:.1f} cm")

    # per-frame estimates
    t = np.array([f["t_s"] for f in gt["frames"]])
    roles = {p["id"]: p["role"] for p in gt["persons"]}
    est: dict[str, np.ndarray] = {}
    true: dict[str, np.ndarray] = {}
    methods: dict[str, int] = {}
    clerk_rows = []
    station = cal.clerk_stations[0].floor_m
    for k, frame in enumerate(gt["frames"]):
        poses = poses_for_frame(frame)
        for pid, rec in frame["persons"].items():
            if roles.get(pid) == "customer":
                est.setdefault(pid, np.full(len(t), np.nan))
                true.setdefault(pid, np.full(len(t), np.nan))
                true[pid][k] = rec["distance_to_counter_m"]
                pose = poses.get(pid)
                pos = person_floor_position(pose, cam, joint_geometry) if pose is not None else None
                if pos is not None:
                    est[pid][k] = float(distance_to_polyline_m(pos.xy_m, cal.counter.edge_m,
                                                               cal.counter.customer_side))
                    methods[pos.method] = methods.get(pos.method, 0) + 1
            elif roles.get(pid) == "clerk" and pid in poses:
                sb = rec["sit_blend"]
                if sb in (0.0, 1.0) and abs(rec.get("trunk_flexion_deg", 0.0)) < 1.0:
                    wl = np.asarray(rec["landmarks_world_m"], float)
                    true_sh = float(wl[[Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER], 2].mean())
                    h = clerk_heights(poses[pid], cam, station).shoulder_height_m
                    clerk_rows.append(("sit" if sb == 1.0 else "stand", true_sh, h))
    errs = []
    for pid in est:
        near = true[pid] <= NEAR_LIMIT_M
        e = est[pid][near] - true[pid][near]
        errs.append(e)
        found = np.isfinite(e)
        if found.any():
            lines.append(f"{pid}: distance to counter within {NEAR_LIMIT_M:g} m ({int(near.sum())} frames, "
                         f"{int(found.sum())} with a position): |error| median {np.nanmedian(np.abs(e)) * 100:.1f} cm, "
                         f"worst {np.nanmax(np.abs(e)) * 100:.1f} cm, bias {np.nanmedian(e) * 100:+.1f} cm")
    if errs:
        allerr = np.concatenate(errs)
        if np.isfinite(allerr).any():
            lines.append(f"all customers within {NEAR_LIMIT_M:g} m: |error| median {np.nanmedian(np.abs(allerr)) * 100:.1f}"
                         f" cm, worst {np.nanmax(np.abs(allerr)) * 100:.1f} cm; methods used {methods}")
    for ev in gt["events"]:
        if ev["type"] != "cross_2m" or ev["person"] not in est:
            continue
        cands = [c for c in crossing_times(t, est[ev["person"]], APPROACH_M) if c[1] == ev["direction"]]
        if not cands:
            lines.append(f"2 m crossing {ev['person']} {ev['direction']} at {ev['t_s']:.2f} s: not detected")
            continue
        tc = min(cands, key=lambda c: abs(c[0] - ev["t_s"]))[0]
        lines.append(f"2 m crossing {ev['person']} {ev['direction']} at {ev['t_s']:.2f} s: estimated {tc:.2f} s "
                     f"(error {tc - ev['t_s']:+.2f} s; {len(cands)} crossing(s) that way in the series)")
    for state in ("sit", "stand"):
        rows = [r for r in clerk_rows if r[0] == state and r[2] is not None]
        if rows:
            tr = np.array([r[1] for r in rows])
            es = np.array([r[2] for r in rows])
            lines.append(f"clerk {state} ({len(rows)} frames, upright): shoulder height true {np.median(tr):.3f} m, "
                         f"estimated median {np.median(es):.3f} m, |error| median "
                         f"{np.median(np.abs(es - tr)) * 100:.1f} cm, worst {np.max(np.abs(es - tr)) * 100:.1f} cm")
    return lines


def samples(samples_dir: Path, calibrations_dir: Path) -> None:
    sidecars = sorted(samples_dir.glob("*.gt.json"))
    if not sidecars:
        console.print(f"no rendered samples in {samples_dir}")
        return
    for path in sidecars:
        name = path.name[: -len(".gt.json")]
        cal_path = calibrations_dir / f"{name}.yaml"
        console.rule(f"sample {name}")
        if not cal_path.is_file():
            console.print(f"no calibration {cal_path}; skipped")
            continue
        gt = json.loads(path.read_text())
        try:
            for line in evaluate_sample(gt, cal_path):
                console.print(line)
        except CalibrationError as exc:
            console.print(f"[red]calibration error[/red]: {exc}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trials", type=int, default=300)
    ap.add_argument("--samples", type=Path, default=REPO / "sample_videos")
    ap.add_argument("--calibrations", type=Path, default=REPO / "calibration")
    ap.add_argument("--skip-synthetic", action="store_true")
    args = ap.parse_args(argv)
    if not args.skip_synthetic:
        synthetic(args.trials)
    samples(args.samples, args.calibrations)


if __name__ == "__main__":
    main()
