"""Bows, reaches and sit/stand transitions per view bucket, on a seeded set split into tuning and held-out.

    python benchmarks/posture_views.py [--clips-per-bucket N]      (about 2-4 minutes on 2 cores)
    python benchmarks/posture_views.py --rendered --cache DIR      (+ the rendered people set through MediaPipe)

Every clip is a randomised scenario (``etiquette_cv.sim``): a clerk of random height and build at a counter of
random height sits, stands up, bows 4-5 times at random depths (classes 15/30/45-90° and depths in between),
reaches down once with one hand (a distractor that is not a bow), and sits down again. The camera is placed in a
view bucket — ``front`` (0-15° off the clerk's facing), ``oblique`` (30-60°), ``side`` (75-95°),
``over_shoulder`` (behind the clerk, 150-180°) — ``near`` (2.5-3.5 m) or ``far`` (5-7 m), height from a pitch of
10-35°. The landmarks are the true joints projected with 1 px noise and counter occlusion, so this set measures
the geometry (trunk fit, upright reference, bend detector, stance machine), not the pose model; the model's share
is measured on the rendered clips (``benchmarks/accuracy.py --rendered``, ``benchmarks/review_vs_truth.py``).

Split: **tuning** = seeds 0-99 in front/oblique/side; **held-out** = seeds 1000+ in every bucket, including
``over_shoulder``, which only the held-out split has. Nothing was tuned on held-out output.

Printed per bucket and split: bow peak MAE / worst, class accuracy, recall and precision (a reach or a lean taken
for a bow lowers precision), bows reported not assessable and how many of those were justified (the true bow moves
the landmarks less than the rulebook's ``min_sensitivity_px_per_deg``), transition onset and midpoint errors.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from etiquette_cv.events import band_resolvable  # noqa: E402
from etiquette_cv.geometry.calibration import calibration_from_dict  # noqa: E402
from etiquette_cv.geometry.solver import solve_camera  # noqa: E402
from etiquette_cv.pipeline.analysis import analyse  # noqa: E402
from etiquette_cv.rules.rulebook import load_rulebook  # noqa: E402
from etiquette_cv.sim.calibrate import calibration_dict  # noqa: E402
from etiquette_cv.sim.camera import VirtualCamera  # noqa: E402
from etiquette_cv.sim.landmarks import synthesize  # noqa: E402
from etiquette_cv.sim.scenario import Scenario  # noqa: E402
from etiquette_cv.sim.truth import truth_events  # noqa: E402

BUCKETS = {"front": (0.0, 15.0), "oblique": (30.0, 60.0), "side": (75.0, 95.0), "over_shoulder": (150.0, 180.0)}
DISTANCES = {"near": (2.5, 3.5), "far": (5.0, 7.0)}
TUNING_BUCKETS = ("front", "oblique", "side")


def bow_class(angle_deg: float) -> str:
    """The standard's class of a true bow angle (nearest nominal: 15 / 30 / 45-90°)."""
    return "greeting" if angle_deg < 22.5 else "thanks" if angle_deg < 37.5 else "apology"


def scenario_for(seed: int) -> Scenario:
    """A randomised clerk script (see the module docstring); the camera is set per view afterwards."""
    rng = np.random.default_rng(seed)
    sex = str(rng.choice(["female", "male"]))
    height = float(rng.uniform(1.55, 1.76) if sex == "female" else rng.uniform(1.65, 1.92))
    heading = float(90 + rng.uniform(-10, 10))
    pos = [float(rng.uniform(-0.3, 0.3)), float(rng.uniform(-0.9, -0.6))]
    keys = [{"t": 0.0, "pos_m": pos, "heading_deg": heading, "stance": "sit", "arms": "desk",
             "trunk_flexion_deg": 0}, {"t": 2.0, "stance": "stand", "transition_s": 1.0, "arms": "front_folded"}]
    ann, t = [], 4.0
    depths = [float(rng.choice([15, 30, 45, 60, 90])) if rng.random() < 0.6 else float(rng.uniform(10, 80))
              for _ in range(int(rng.integers(4, 6)))]
    reach_at = int(rng.integers(0, len(depths)))
    for k, d in enumerate(depths):
        if k == reach_at:  # one-handed reach down to the desk: a distractor, not a bow
            keys += [{"t": t, "arms": "reach_down", "trunk_flexion_deg": 0}, {"t": t + 1.0, "trunk_flexion_deg": 50},
                     {"t": t + 2.0, "trunk_flexion_deg": 50}, {"t": t + 3.0, "trunk_flexion_deg": 0,
                                                               "arms": "front_folded"}]
            ann.append({"person": "clerk", "kind": "reach", "start_s": t, "end_s": t + 3.0})
            t += 4.5
        down, hold = float(rng.uniform(0.7, 1.3)), float(rng.uniform(0.8, 2.0))
        keys += [{"t": t, "trunk_flexion_deg": 0}, {"t": t + down, "trunk_flexion_deg": d},
                 {"t": t + down + hold, "trunk_flexion_deg": d}, {"t": t + 2 * down + hold, "trunk_flexion_deg": 0}]
        ann.append({"person": "clerk", "kind": "bow", "start_s": t, "end_s": t + 2 * down + hold,
                    "bow_class": bow_class(d)})
        t += 2 * down + hold + float(rng.uniform(2.0, 3.5))
    keys.append({"t": t + 1.0, "stance": "sit", "transition_s": 1.0, "arms": "desk"})
    counter_h = float(rng.choice([0.76, 1.05]))
    return Scenario.from_dict({
        "version": 1, "name": f"views{seed}", "duration_s": t + 4.0, "fps": 10,
        "camera": {"position_m": [0.0, 3.0, 2.5], "look_at_m": [0.0, -0.7, 1.0], "hfov_deg": 60, "width": 1280,
                   "height": 720},
        "scene": {"counter": {"x0_m": -1.2, "x1_m": 1.2, "height_m": counter_h, "depth_m": 0.6,
                              "desk_height_m": 0.75}, "chair": {"pos_m": [pos[0], pos[1] - 0.35]}},
        "persons": [{"id": "clerk", "role": "clerk", "body": {"height_m": height, "sex": sex}, "keyframes": keys}],
        "annotations": ann}, source=f"seed {seed}")


def camera_for(sc: Scenario, bucket: str, distance: str, rng: np.random.Generator) -> VirtualCamera:
    """A camera of the bucket looking at the clerk's chest, on either side."""
    p0 = sc.persons[0].sample(0.0)
    h = math.radians(p0.heading_deg)
    fwd, right = np.array([math.cos(h), math.sin(h)]), np.array([math.sin(h), -math.cos(h)])
    a = math.radians(rng.uniform(*BUCKETS[bucket]) * rng.choice([-1, 1]))
    d = rng.uniform(*DISTANCES[distance])
    pitch = math.radians(rng.uniform(10.0, 35.0))
    horiz = p0.pos_m + d * (math.cos(a) * fwd + math.sin(a) * right)
    return VirtualCamera.look_at([*horiz, 1.1 + d * math.tan(pitch)], [*p0.pos_m, 1.1], 60.0, 1280, 720)


@dataclass
class Tally:
    """Per bucket and split."""

    errors: list[float] = field(default_factory=list)
    class_right: int = 0
    truths: int = 0
    missed: int = 0
    not_assessable: int = 0
    justified: int = 0
    extra: int = 0
    not_posed: int = 0
    """Rendered: bows during which the clerk had no pose landmarks (detector keypoints only)."""
    out_of_view: int = 0
    """Rendered: bows of a clerk less than half in view at the peak (the truth's ``visible_fraction``: the frame's
    edge or other people hide them): no camera sees them, so they are counted apart, not among the bows."""
    class_unresolved: int = 0
    """Bows whose ± is at least half their true class's band (the product grades them "not assessable")."""
    hidden: int = 0
    """Bows whose peak was hidden behind the counter (reported as "at least"): class counted, not the MAE."""
    wrong: list[str] = field(default_factory=list)
    stated_pm: list[float] = field(default_factory=list)
    """The ± the product stated with each measured peak (degrees), beside ``errors``."""
    onset: list[float] = field(default_factory=list)
    midpoint: list[float] = field(default_factory=list)

    def row(self) -> str:
        e = np.abs(self.errors)
        found = len(e) + self.hidden
        measured = self.truths - self.not_assessable
        rec = found / measured if measured else float("nan")
        prec = found / (found + self.extra) if found + self.extra else float("nan")
        graded = found - self.class_unresolved
        cls = self.class_right / graded if graded else float("nan")
        on, mid = np.abs(self.onset), np.abs(self.midpoint)
        nan = float("nan")
        away = f"; {self.out_of_view} out of view, not counted" if self.out_of_view else ""
        pm = np.array(self.stated_pm)
        cover = (f" | truth within the stated ± {int((e <= pm).sum())} of {len(e)} (median ± "
                 f"{np.nanmedian(pm):.1f}°)") if len(pm) == len(e) and len(e) else ""
        return (f"{self.truths:3d} bows: MAE {e.mean() if len(e) else nan:4.1f}° worst "
                f"{e.max() if len(e) else nan:5.1f}° ({self.hidden} peaks hidden) | class {100 * cls:5.1f}%"
                f"{f' of {graded} ({self.class_unresolved} not assessable: ± ≥ half the band)' if self.class_unresolved else ''}"
                f"{' [' + ', '.join(self.wrong) + ']' if self.wrong else ''} | recall {100 * rec:5.1f}% "
                f"precision {100 * prec:5.1f}% ({self.extra} invented) | not assessable {self.not_assessable} "
                f"({self.justified} justified by the view, {self.not_posed} not posed){away} | transitions onset "
                f"{on.mean() if len(on) else nan:.2f}/{on.max() if len(on) else nan:.2f} s (signed mean "
                f"{np.mean(self.onset) if len(on) else nan:+.2f}) midpoint {mid.mean() if len(mid) else nan:.2f}"
                f" s (mean/max){cover}")


def _justified(sc: Scenario, cam: VirtualCamera, t_upright: float, t_peak: float, peak: float,
               min_px_per_deg: float) -> bool:
    """Whether the true bow moves the clerk's shoulders and ears (noise-free) less than the rulebook's
    observability limit per degree."""
    up, at = (synthesize(sc, cam, noise_px=0.0, times_s=[t])[0].persons for t in (t_upright, t_peak))
    if not up or not at:
        return True
    idx = [7, 8, 11, 12]
    moved = np.linalg.norm(at[0].image_xy_px[idx] - up[0].image_xy_px[idx], axis=1).mean()
    return float(moved) / max(peak, 1e-6) < min_px_per_deg


def _transition_truth(sc: Scenario, t_mid: float) -> float:
    """When the true move left its level (sit_blend 2 % of the way): its onset."""
    p = sc.persons[0]
    ts = np.arange(t_mid - 2.0, t_mid, 0.01)
    b = np.array([p.sample(float(t)).sit_blend for t in ts])
    start, end = b[0], p.sample(t_mid + 2.0).sit_blend
    moved = np.abs(b - start) > 0.02 * abs(end - start)
    return float(ts[np.argmax(moved)]) if moved.any() else t_mid


def _score(tally: "Tally", rb, b, truth_deg: float) -> None:
    """One found bow against its true peak: a peak hidden behind the counter (reported as "at least") counts for
    the class only; a bow whose ± is at least half its true class's band is one the product would grade "not
    assessable" against that class (counted apart, not in the class accuracy); a wrong class whose ± interval the
    product flagged as straddling a band edge is marked so."""
    cls = rb.classify_bow(b.peak_deg)
    right = cls is not None and cls.name == bow_class(truth_deg)
    u = getattr(b, "peak_uncertainty_deg", float("nan"))  # (absent before issue 12)
    band = next(c for c in rb.bow_classes if c.name == bow_class(truth_deg))
    unresolved = not getattr(b, "peak_hidden", False) and not band_resolvable(b.peak_deg, u, band.min_deg,
                                                                              band.max_deg)
    tally.class_unresolved += int(unresolved)
    tally.class_right += int(right and not unresolved)
    if getattr(b, "peak_hidden", False):
        tally.hidden += 1
    else:
        tally.errors.append(b.peak_deg - truth_deg)
        tally.stated_pm.append(u)
    if not right and not unresolved:
        flagged = np.isfinite(u) and any(b.peak_deg - u < e < b.peak_deg + u
                                         for c in rb.bow_classes for e in (c.min_deg, c.max_deg))
        tally.wrong.append(f"{truth_deg:.1f}°→{b.peak_deg:.1f}°{' (flagged uncertain)' if flagged else ''}")


def _onset(change) -> float:
    """A transition's onset (its midpoint in versions before issue 12, which had no onset)."""
    return change.at("onset") if hasattr(change, "at") else change.t_s


def run_clip(seed: int, bucket: str, distance: str, rb, tally: Tally) -> None:
    sc = scenario_for(seed)
    cam = camera_for(sc, bucket, distance, np.random.default_rng(seed + 7919))
    frames = synthesize(sc, cam, noise_px=1.0, seed=seed)
    cal = calibration_from_dict(calibration_dict(sc, cam), f"views{seed}.yaml")
    obs = analyse(frames, cal, solve_camera(cal, check=False), rb, sc.name, sc.duration_s)
    co = obs.clerks[0]
    bows = [b for b in co.bends if b.kind == "bow"]
    c = co.series
    truth = truth_events(sc)
    spans = [(a.start_s, a.end_s) for a in sc.annotations if a.kind == "bow"]
    for ev, (t0, t1) in zip([e for e in truth if e.kind == "bow_peak"], spans):
        tally.truths += 1
        near = [b for b in bows if t0 - 0.5 <= b.peak_t_s <= t1 + 0.5]
        if not near:
            w = (c.t_s >= t0) & (c.t_s <= t1) & c.visible
            if w.any() and c.flexion_assessable[w].mean() < 0.5:
                tally.not_assessable += 1
                tally.justified += _justified(sc, cam, t0, ev.t_s, ev.value,
                                              rb.measure("trunk_fit", "min_sensitivity_px_per_deg"))
            else:
                tally.missed += 1
            continue
        _score(tally, rb, max(near, key=lambda x: x.peak_deg), ev.value)
    tally.extra += sum(1 for b in bows if not any(t0 - 0.5 <= b.peak_t_s <= t1 + 0.5 for t0, t1 in spans))
    for ev in truth:
        if ev.kind in ("stand_up", "sit_down"):
            want = "stand" if ev.kind == "stand_up" else "sit"
            got = [ch for ch in co.stance_changes if ch.to_state == want and abs(ch.t_s - ev.t_s) <= 2.0]
            if got:
                ch = min(got, key=lambda x: abs(x.t_s - ev.t_s))
                tally.midpoint.append(ch.t_s - ev.t_s)
                tally.onset.append(_onset(ch) - _transition_truth(sc, ev.t_s))


def _truth_bows(gt: dict, person: str) -> list[tuple[float, float, float, float]]:
    """(start, end, peak time, peak degrees) of each standing bend in a rendered clip's per-frame truth."""
    t = np.array([f["t_s"] for f in gt["frames"]])
    q = [f["persons"].get(person) for f in gt["frames"]]
    flex = np.array([p["trunk_flexion_deg"] if p and p["stance"] == "stand" else 0.0 for p in q])
    out, k = [], 0
    while k < len(t):
        if flex[k] > 3.0:
            j = k
            while j < len(t) and flex[j] > 3.0:
                j += 1
            m = k + int(np.argmax(flex[k:j]))
            out.append((float(t[k]), float(t[j - 1]), float(t[m]), float(flex[m])))
            k = j
        k += 1
    return out


def cached_analysis(video: Path, cache: Path, rb):
    """A rendered clip with its calibration (``NAME.yaml`` beside it) through the people stage (MediaPipe full model,
    10 analysed frames per second; the tracks kept in ``cache`` as ``NAME.full.tracks.jsonl.gz`` and reused) and the
    analysis: (calibration, frames, observations)."""
    from etiquette_cv.geometry.calibration import load_calibration
    from etiquette_cv.io.tracks import read_tracks
    from etiquette_cv.io.video import VideoSource
    from etiquette_cv.people.stage import PeopleConfig
    from etiquette_cv.pipeline import run_people

    cal = load_calibration(video.with_suffix(".yaml"))
    tracks = cache / f"{video.stem}.full.tracks.jsonl.gz"
    if not tracks.exists():
        run_people(VideoSource(video, analysis_fps=10.0), tracks, cal, PeopleConfig(model="full"))
    frames = read_tracks(tracks).frames
    return cal, frames, analyse(frames, cal, solve_camera(cal), rb, video.stem, frames[-1].timestamp_s)


def rendered_set(rb, cache: Path, splits: tuple[str, ...] = ("tuning", "heldout"), refine: str | None = None,
                 clips: list[str] | None = None) -> None:
    """The randomised rendered people set (benchmarks/people_set/, MediaPipe full model): its clerks' greeting bows
    and sit/stand transitions per camera family, tuning and held-out apart (Blender renders are held-out too; a
    bow of a clerk less than half in view at its peak is counted apart: the camera cannot see it);
    ``clips``: only the clips of these names."""
    import json

    for split in splits:
        print(f"== rendered people set, {split} (MediaPipe full model"
              + (f", second pass {refine} over the clerks' standing intervals" if refine else "") + ") ==")
        tallies: dict[str, Tally] = {}
        cost = [0, 0.0, 0]
        for video in sorted((REPO / "benchmarks" / "people_set" / split).glob("*.mp4")):
            if clips and video.stem not in clips:
                continue
            bucket = next(b for b in ("front", "oblique", "side", "over_shoulder") if f"_{b}" in video.stem)
            cal, frames, obs = cached_analysis(video, cache, rb)
            if refine:
                from etiquette_cv.pipeline.refine import RefineSettings, refine_clerks
                frames, st = refine_clerks(video, frames, obs, 10.0, RefineSettings(model=refine))
                obs = analyse(frames, cal, solve_camera(cal), rb, video.stem, frames[-1].timestamp_s)
                cost[0] += st.frames
                cost[1] += st.wall_s
                cost[2] += len(frames)
            gt = json.loads(video.with_name(video.stem + ".gt.json").read_text())
            tally = tallies.setdefault(bucket, Tally())
            for co in obs.clerks:
                person = next((k for k, p in gt["frames"][0]["persons"].items()
                               if p.get("role") == "clerk" and p.get("station") in (co.station, None)), None)
                if person is None:
                    continue
                bows = [b for b in co.bends if b.kind == "bow"]
                spans = _truth_bows(gt, person)
                for t0, t1, t_peak, peak in spans:
                    at_peak = min(gt["frames"], key=lambda f: abs(f["t_s"] - t_peak))["persons"].get(person) or {}
                    if at_peak.get("visible_fraction", 1.0) < 0.5:
                        tally.out_of_view += 1
                        continue
                    tally.truths += 1
                    near = [b for b in bows if t0 - 0.5 <= b.peak_t_s <= t1 + 0.5]
                    w = (co.series.t_s >= t0) & (co.series.t_s <= t1)
                    if not near and not np.isfinite(co.series.flexion_raw_deg[w]).any():
                        tally.not_posed += 1  # the people stage gave no pose landmarks: not assessable, said so
                        tally.not_assessable += 1
                        continue
                    if not near:
                        tally.missed += 1
                        continue
                    _score(tally, rb, max(near, key=lambda x: x.peak_deg), peak)
                tally.extra += sum(1 for b in bows if not any(t0 - 0.5 <= b.peak_t_s <= t1 + 0.5
                                                              for t0, t1, _, _ in spans))
                for e in gt["events"]:
                    if e["type"] in ("stand_up", "sit_down") and e["person"] == person:
                        want = "stand" if e["type"] == "stand_up" else "sit"
                        got = [c for c in co.stance_changes if c.to_state == want and abs(c.t_s - e["t_s"]) <= 2.0]
                        if got:
                            c = min(got, key=lambda x: abs(x.t_s - e["t_s"]))
                            tally.midpoint.append(c.t_s - e["t_s"])
                            tally.onset.append(_onset(c) - e["start_s"])
        for bucket, tally in tallies.items():
            print(f"{bucket:>13}     : {tally.row()}")
        if refine:
            print(f"{'':>13}second pass: {cost[0]} of {cost[2]} analysed frames re-measured, {cost[1]:.0f} s wall "
                  f"({1000 * cost[1] / max(cost[0], 1):.0f} ms per re-measured frame, decoding included)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips-per-bucket", type=int, default=4, help="clips per bucket, distance and split")
    ap.add_argument("--split", choices=("tuning", "heldout", "both"), default="both")
    ap.add_argument("--rendered", action="store_true", help="also the rendered people set through MediaPipe")
    ap.add_argument("--clips", nargs="*", help="rendered set: only these clip names")
    ap.add_argument("--cache", default=None, help="folder keeping the rendered clips' pose tracks between runs")
    ap.add_argument("--rendered-only", action="store_true", help="skip the synthetic set")
    ap.add_argument("--refine", default=None, help="rendered set: second pass with this model (e.g. heavy)")
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    rb = load_rulebook()
    n = args.clips_per_bucket
    splits = {"tuning": (0, TUNING_BUCKETS), "heldout": (1000, tuple(BUCKETS))}
    for split, (base, buckets) in splits.items():
        if args.split not in (split, "both") or args.rendered_only:
            continue
        print(f"== {split} (seeds {base}+) ==")
        total = Tally()
        for bucket in buckets:
            for distance in DISTANCES:
                tally = Tally()
                for k in range(n):
                    seed = base + 100 * list(BUCKETS).index(bucket) + 10 * list(DISTANCES).index(distance) + k
                    run_clip(seed, bucket, distance, rb, tally)
                for name in ("errors", "stated_pm", "onset", "midpoint", "wrong"):
                    getattr(total, name).extend(getattr(tally, name))
                for name in ("class_right", "class_unresolved", "truths", "missed", "not_assessable", "justified",
                             "extra", "hidden", "not_posed"):
                    setattr(total, name, getattr(total, name) + getattr(tally, name))
                print(f"{bucket:>13} {distance:<4}: {tally.row()}", flush=True)
        print(f"{'all':>18}: {total.row()}")
    if args.rendered or args.rendered_only:
        cache = Path(args.cache) if args.cache else Path(tempfile.mkdtemp(prefix="etiquette-views-"))
        cache.mkdir(parents=True, exist_ok=True)
        rendered_set(rb, cache, ("tuning", "heldout") if args.split == "both" else (args.split,), args.refine,
                     args.clips)


if __name__ == "__main__":
    main()
