"""Posture accuracy against ground truth: bows, sit/stand transitions, violations, per view.

    python benchmarks/accuracy.py              # synthetic landmarks, many views (about a minute)
    python benchmarks/accuracy.py --rendered   # also the rendered clips end to end (runs MediaPipe: minutes)

Synthetic: the scenario scripts in tests/data/scenarios are projected through virtual cameras at frontal, 45° and
side views and pitches 10–35°, with 1 px landmark noise, and analysed exactly as a review would (calibration made
from floor marks, features, events, rules). Rendered: the clips in sample_videos/ go through MediaPipe and the same
analysis, and are compared with their ground-truth sidecars.

Tuned on: bows.yaml and reception_min.yaml at their own cameras and the frontal/side/45° views at 25° pitch.
Held out (never looked at while tuning): bows_heldout.yaml (another body, other angles and timings) at every view,
the 10° and 35° pitches, and every rendered clip.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from etiquette_cv.geometry.calibration import calibration_from_dict, load_calibration  # noqa: E402
from etiquette_cv.geometry.solver import solve_camera  # noqa: E402
from etiquette_cv.rules.findings import Verdict  # noqa: E402
from etiquette_cv.pipeline.analysis import analyse  # noqa: E402
from etiquette_cv.rules.rulebook import load_rulebook  # noqa: E402
from etiquette_cv.rules.grading import grade  # noqa: E402
from etiquette_cv.sim.calibrate import calibration_dict  # noqa: E402
from etiquette_cv.sim.camera import VirtualCamera  # noqa: E402
from etiquette_cv.sim.landmarks import synthesize  # noqa: E402
from etiquette_cv.sim.scenario import load_scenario  # noqa: E402
from etiquette_cv.sim.truth import truth_events  # noqa: E402

SCENARIOS = REPO / "tests" / "data" / "scenarios"
VIOLATION_RULES = {"stoop": "CC-1.6-stoop", "lean_on_counter": "CC-1.6-lean-on-counter", "sway": "DB-6.2-sway",
                   "hands_in_pockets": "DB-6.2-pockets", "lean_back": "DB-6.2-lean-back",
                   "lie_on_desk": "CC-1.7-lie-on-desk", "crossed_legs": "CC-1.7-crossed-legs",
                   "bent_leg": "CC-1.6-bent-leg", "tiptoe": "CC-1.6-tiptoe"}


@dataclass
class Tally:
    """Accumulated comparisons for one view."""

    bow_errors: list[float] = field(default_factory=list)
    bow_missed: int = 0
    bow_not_assessable: int = 0
    """True bows during which the camera could not observe the trunk's bend (reported as such, not as a reading)."""
    bow_extra: int = 0
    """Bows reported where the truth has none (e.g. a reach taken for a bow)."""
    class_right: int = 0
    class_total: int = 0
    transition_errors: list[float] = field(default_factory=list)
    transitions_missed: int = 0
    viol_tp: int = 0
    viol_fp: int = 0
    viol_fn: int = 0
    viol_iou: list[float] = field(default_factory=list)
    not_assessable: set = field(default_factory=set)

    def row(self) -> str:
        e = np.abs(self.bow_errors)
        mae = f"{e.mean():5.1f}" if len(e) else "  -  "
        worst = f"{e.max():5.1f}" if len(e) else "  -  "
        cls = f"{100 * self.class_right / self.class_total:5.1f}%" if self.class_total else "   -  "
        tr = np.abs(self.transition_errors)
        trs = f"{tr.mean():.2f}/{tr.max():.2f}" if len(tr) else "-"
        p = self.viol_tp / (self.viol_tp + self.viol_fp) if self.viol_tp + self.viol_fp else float("nan")
        r = self.viol_tp / (self.viol_tp + self.viol_fn) if self.viol_tp + self.viol_fn else float("nan")
        iou = f"{np.mean(self.viol_iou):.2f}" if self.viol_iou else "-"
        return (f"bow MAE {mae}° worst {worst}° missed {self.bow_missed:2d} not assessable {self.bow_not_assessable} "
                f"extra {self.bow_extra} | class {cls} | "
                f"transitions mean/max "
                f"{trs} s missed {self.transitions_missed} | violations P {p:.2f} R {r:.2f} IoU {iou}"
                + (f" | not assessable: {', '.join(sorted(self.not_assessable))}" if self.not_assessable else ""))


def compare(result, obs, truth: list[dict], rb, tally: Tally) -> None:
    """Compare one analysed sequence with its truth events (dicts: kind, t_s, end_s, value, label)."""
    bends, changes, clerk = obs.clerks[0].bends, obs.clerks[0].stance_changes, obs.clerks[0].series
    bows = [b for b in bends if b.kind == "bow"]
    for ev in truth:
        if ev["kind"] == "bow_peak":
            near = [b for b in bows if ev["start_s"] - 0.5 <= b.peak_t_s <= ev["end_s"] + 0.5]
            if not near:
                window = (clerk.t_s >= ev["start_s"]) & (clerk.t_s <= ev["end_s"]) & clerk.visible
                if window.any() and clerk.flexion_assessable[window].mean() < 0.5:
                    tally.bow_not_assessable += 1
                    continue
                tally.class_total += 1
                tally.bow_missed += 1
                continue
            tally.class_total += 1
            b = max(near, key=lambda x: x.peak_deg)
            tally.bow_errors.append(b.peak_deg - ev["value"])
            cls = rb.classify_bow(b.peak_deg)
            tally.class_right += int(cls is not None and cls.name == ev["label"])
        elif ev["kind"] in ("stand_up", "sit_down"):
            want = "stand" if ev["kind"] == "stand_up" else "sit"
            near = [c for c in changes if c.to_state == want and abs(c.t_s - ev["t_s"]) <= 2.0]
            if not near:
                tally.transitions_missed += 1
            else:
                tally.transition_errors.append(min(near, key=lambda c: abs(c.t_s - ev["t_s"])).t_s - ev["t_s"])
    peaks = [ev for ev in truth if ev["kind"] == "bow_peak"]
    tally.bow_extra += sum(1 for b in bows if not any(ev["start_s"] - 0.5 <= b.peak_t_s <= ev["end_s"] + 0.5
                                                      for ev in peaks))
    truth_v = [ev for ev in truth if ev["kind"] == "violation" and ev["label"] in VIOLATION_RULES]
    for rule_id in set(VIOLATION_RULES.values()):
        if rule_id in result.coverage.not_assessable_rules:
            tally.not_assessable.add(rule_id)
    found = [f for f in result.findings if f.verdict == Verdict.VIOLATION and f.rule_id in VIOLATION_RULES.values()]
    matched = set()
    for f in found:
        hit = [i for i, ev in enumerate(truth_v) if VIOLATION_RULES[ev["label"]] == f.rule_id
               and f.start_s < ev["end_s"] and ev["t_s"] < f.end_s]
        if hit:
            tally.viol_tp += 1
            ev = truth_v[hit[0]]
            inter = min(f.end_s, ev["end_s"]) - max(f.start_s, ev["t_s"])
            union = max(f.end_s, ev["end_s"]) - min(f.start_s, ev["t_s"])
            tally.viol_iou.append(inter / union)
            matched.update(hit)
        else:
            tally.viol_fp += 1
    for i, ev in enumerate(truth_v):
        if i not in matched and VIOLATION_RULES[ev["label"]] not in result.coverage.not_assessable_rules:
            tally.viol_fn += 1


def view_camera(scenario, azimuth_deg: float, pitch_deg: float, distance_m: float = 3.6) -> VirtualCamera:
    """A camera looking at the clerk's chest from ``azimuth_deg`` (0 = in front, across the counter; 90 = the
    clerk's right side) and pitched ``pitch_deg`` down."""
    clerk = next(p for p in scenario.persons if p.role == "clerk")
    p0 = clerk.sample(0.0)
    h = math.radians(p0.heading_deg)
    fwd, right = np.array([math.cos(h), math.sin(h)]), np.array([math.sin(h), -math.cos(h)])
    a = math.radians(azimuth_deg)
    target = np.array([*p0.pos_m, 1.1])
    horiz = p0.pos_m + distance_m * (math.cos(a) * fwd + math.sin(a) * right)
    z = 1.1 + distance_m * math.tan(math.radians(pitch_deg))
    return VirtualCamera.look_at([*horiz, z], target, 60.0, 1280, 720)


def synthetic(rb, scenarios: list[str], views: list[tuple[str, float]], pitches: list[float]) -> None:
    print("== synthetic landmarks, 1 px noise ==")
    for az_name, az in views:
        for pitch in pitches:
            tally = Tally()
            for name in scenarios:
                sc = load_scenario(SCENARIOS / f"{name}.yaml")
                cam = view_camera(sc, az, pitch)
                frames = synthesize(sc, cam, noise_px=1.0, seed=7)
                cal = calibration_from_dict(calibration_dict(sc, cam), f"{name}.yaml")
                camera = solve_camera(cal, check=False)  # a clerk-only view need not see the customer zone
                obs = analyse(frames, cal, camera, rb, name, sc.duration_s)
                result = grade(obs, rb)
                truth = [dict(kind=e.kind, t_s=e.t_s, end_s=e.end_s if e.end_s is not None else e.t_s,
                              start_s=_ann_start(sc, e), value=e.value, label=e.label) for e in truth_events(sc)]
                compare(result, obs, truth, rb, tally)
            print(f"{az_name:>8} pitch {pitch:4.0f}°: {tally.row()}")


def _ann_start(sc, e) -> float:
    if e.kind != "bow_peak":
        return e.t_s
    for a in sc.annotations:
        if a.kind == "bow" and a.start_s <= e.t_s <= a.end_s:
            return a.start_s
    return e.t_s


def geometry_vs_truth(obs, gt: dict) -> None:
    """Customer distance to the counter (within 3.5 m) and the 2 m crossing times from MediaPipe landmarks, and
    the clerk's shoulder height sitting and standing, against the sidecar."""
    frames = {round(f["t_s"], 2): f["persons"] for f in gt["frames"]}
    errs = []
    for cs in obs.customers:
        for t, xy, d in zip(cs.t_s, cs.floor_xy_m, cs.distance_m):
            persons = frames.get(round(float(t), 2))
            if persons is None or not np.isfinite(d):
                continue
            cands = [(np.linalg.norm(np.asarray(q["hip_centre_m"][:2]) - xy), q) for k, q in persons.items()
                     if k.startswith("customer")]
            if not cands:
                continue
            _, q = min(cands, key=lambda c: c[0])
            if q["distance_to_counter_m"] <= 3.5:
                errs.append(d - q["distance_to_counter_m"])
    if errs:
        e = np.abs(errs)
        print(f"{'':>14}customer distance to the counter within 3.5 m ({len(e)} samples): |error| median "
              f"{100 * np.median(e):.1f} cm, 95th pct {100 * np.percentile(e, 95):.1f} cm, worst {100 * e.max():.1f} cm")
    crossings = [e for e in gt["events"] if e["type"] == "cross_2m"]
    for e in crossings:
        got = [a.arrive_s if e["direction"] == "in" else a.leave_s for a in obs.approaches]
        got = [g for g in got if g is not None]
        if got:
            g = min(got, key=lambda x: abs(x - e["t_s"]))
            print(f"{'':>14}2 m crossing {e['person']} {e['direction']} at {e['t_s']:.2f} s: measured {g:.2f} s "
                  f"({g - e['t_s']:+.2f} s)")
        else:
            print(f"{'':>14}2 m crossing {e['person']} {e['direction']} at {e['t_s']:.2f} s: not measured")
    c = obs.clerks[0].series
    for state in ("sit", "stand"):
        pairs = [(h, frames[round(float(t), 2)]["clerk"]) for t, h, st, fl in
                 zip(c.t_s, c.shoulder_height_m, c.stance, c.flexion_deg)
                 if st == state and np.isfinite(h) and round(float(t), 2) in frames and abs(fl) < 5]
        pairs = [(h, q) for h, q in pairs if q["stance"] == state and abs(q["trunk_flexion_deg"]) < 1]
        if pairs:
            true_sh = [float(np.mean(np.asarray(q["landmarks_world_m"])[[11, 12], 2])) for _, q in pairs]
            err = np.abs(np.array([h for h, _ in pairs]) - true_sh)
            print(f"{'':>14}clerk shoulder height {state}: true {np.median(true_sh):.3f} m, measured "
                  f"{np.median([h for h, _ in pairs]):.3f} m, |error| median {100 * np.median(err):.1f} cm "
                  f"({len(err)} upright frames)")


def rendered(rb, clips: list[str], cache: Path, model: str = "full", refine: str | None = None) -> None:
    from etiquette_cv.people.stage import PeopleConfig
    from etiquette_cv.pipeline import run_people
    from etiquette_cv.io.tracks import read_tracks
    from etiquette_cv.io.video import VideoSource

    from etiquette_cv.pipeline.refine import RefineSettings, refine_clerks

    print(f"== rendered clips through MediaPipe ({model} model, 10 fps"
          + (f", second pass {refine} over the clerk's standing intervals" if refine else "") + ") ==")
    for name in clips:
        video = REPO / "sample_videos" / f"{name}.mp4"
        cal_path = REPO / "calibration" / f"{name}.yaml"
        gt_path = REPO / "sample_videos" / f"{name}.gt.json"
        if not (video.exists() and cal_path.exists() and gt_path.exists()):
            print(f"{name:>12}: missing video, calibration or sidecar; skipped")
            continue
        cal = load_calibration(cal_path)
        camera = solve_camera(cal)
        tracks_path = cache / f"{name}.{model}.tracks.jsonl.gz"
        if not tracks_path.exists():
            run_people(VideoSource(video, analysis_fps=10.0), tracks_path, cal, PeopleConfig(model=model))
        tracks = read_tracks(tracks_path)
        obs = analyse(tracks.frames, cal, camera, rb, name, tracks.frames[-1].timestamp_s)
        if refine:
            frames, st = refine_clerks(video, tracks.frames, obs, 10.0, RefineSettings(model=refine))
            obs = analyse(frames, cal, camera, rb, name, frames[-1].timestamp_s)
            print(f"{name:>12}: second pass {st.frames} frames in {len(st.intervals)} intervals, {st.wall_s:.1f} s "
                  f"wall ({1000 * st.landmarker_s / max(st.frames, 1):.0f} ms per landmarker call)")
        result = grade(obs, rb)
        gt = json.loads(gt_path.read_text())
        truth = []
        for e in gt["events"]:
            kind = {"bow_peak": "bow_peak", "stand_up": "stand_up", "sit_down": "sit_down",
                    "violation": "violation"}.get(e["type"])
            if kind is None:
                continue
            label = e.get("violation") or e.get("violation_type") or e.get("kind")
            if kind == "bow_peak":  # the class the standard gives the true angle
                label = "greeting" if e["angle_deg"] < 22.5 else "thanks" if e["angle_deg"] < 37.5 else "apology"
            t0 = e.get("t_s", e.get("start_s"))
            truth.append(dict(kind=kind, t_s=e.get("start_s", t0) if kind == "violation" else t0,
                              end_s=e.get("end_s", t0), start_s=e.get("start_s", t0),
                              value=e.get("angle_deg"), label=label))
        tally = Tally()
        compare(result, obs, truth, rb, tally)
        print(f"{name:>12}: {tally.row()}")
        geometry_vs_truth(obs, gt)
        for ev in truth:
            if ev["kind"] == "bow_peak":
                near = [b for b in obs.clerks[0].bends if ev["start_s"] - 0.5 <= b.peak_t_s <= ev["end_s"] + 0.5]
                got = ", ".join(f"{b.peak_deg:.1f}° ({b.kind})" for b in near) or "none"
                print(f"{'':>14}bow at {ev['t_s']:5.1f} s: true {ev['value']:.0f}° ({ev['label']}), measured {got}")
        for f in result.findings:
            if f.verdict == Verdict.VIOLATION:
                print(f"{'':>14}violation {f.rule_id} {f.start_s:.1f}–{f.end_s:.1f} s, {f.measured_value} {f.measured_unit}")
        for b in obs.clerks[0].bends:
            if b.kind != "bow":
                print(f"{'':>14}{b.kind} {b.start_s:.1f}–{b.end_s:.1f} s peak {b.peak_deg:.0f}°")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rendered", action="store_true", help="also run the rendered clips through MediaPipe")
    ap.add_argument("--cache", default=None, help="folder to keep the rendered clips' pose tracks between runs")
    ap.add_argument("--model", default="full", help="pose model for the rendered clips (full, lite, heavy)")
    ap.add_argument("--refine", default=None, help="second pass with this model over the clerk's standing intervals")
    args = ap.parse_args()
    import os
    import platform
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          "rendered sample clips: tuning set of the upright reference and the second pass (issue 12); the per-view "
          "held-out sets: benchmarks/posture_views.py")
    rb = load_rulebook()
    views = [("frontal", 0.0), ("45°", 45.0), ("side", 90.0)]
    synthetic(rb, ["bows", "reception_min", "deportment"], views, [25.0])
    print("-- held out --")
    synthetic(rb, ["bows_heldout"], views, [10.0, 25.0, 35.0])
    synthetic(rb, ["bows", "reception_min"], views, [10.0, 35.0])
    if args.rendered:
        cache = Path(args.cache) if args.cache else Path(tempfile.mkdtemp(prefix="etiquette-acc-"))
        cache.mkdir(parents=True, exist_ok=True)
        rendered(rb, ["reception", "bows_front", "bows_side", "deportment"], cache, args.model, args.refine)


if __name__ == "__main__":
    main()
