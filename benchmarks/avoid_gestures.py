"""Gestures to avoid (DB 表4) on the rendered avoid set (benchmarks/avoid_set/, tools/render/avoid_set.py), each
against the allowed look-alike that must not be flagged — tuning and held-out apart:

* fiddling with the hair (rule ``DB-6.2-avoid-hair``) against a phone held to the ear (CC 通用规范㈠10);
* shaking the head for "don't know" (rule ``DB-6.2-avoid-headshake``) against a slow look to each side;
* waving a hand for "don't know" (摆手, rule ``DB-6.2-avoid-wavehand``) against a farewell wave (trainer mode also
  says how many farewell waves it found, and whether a 摆手 was taken for one);
* hands in the pockets (rule ``DB-6.2-pockets``, DB 表4 站姿; review mode only: a posture violation) against hands
  folded in front (表4's standing posture);
* leaning on the counter (``CC-1.6-lean-on-counter``, CC 通用规范㈠6 斜靠) against a held apology bow, leaning back
  in the chair (``DB-6.2-lean-back``) and lying on the desk (``CC-1.7-lie-on-desk``): review mode only, posture
  violations;
* knocking on the counter has clips but no rule: a "NOT GRADED" line prints why (the hand's lift-and-drop while
  knocking against the same hand resting still).

Two paths per clip (people stage run once per path and cached): **trainer mode** (``etiquette score`` reads the
trainee's gestures to avoid: ``scored_events`` on tracks made without a calibration as a phone at chest height is
used, with the floor calibration for a phone on a tall tripod that sees the floor) and **review mode** (``review``
with the clip's true camera's floor calibration ``NAME.yaml``; a camera at chest height often sees too few floor
points to calibrate from: such clips are reported and left out of review mode). A finding is right when it
overlaps a scripted one of its kind with IoU ≥ 0.3 (each truth matched once); any other finding is false, and
those overlapping the look-alike are counted apart. Onset error: the finding's start minus the scripted start (a
hair touch's arm is up 0.4 s after it).

    python benchmarks/avoid_gestures.py --split tuning [--cache DIR] [--fps F]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from etiquette_cv.geometry.calibration import CalibrationError, load_calibration  # noqa: E402
from etiquette_cv.io.tracks import read_tracks  # noqa: E402
from etiquette_cv.io.video import VideoSource  # noqa: E402
from etiquette_cv.models import quiet_mediapipe  # noqa: E402
from etiquette_cv.people.config import PeopleConfig  # noqa: E402
from etiquette_cv.pipeline import run_people  # noqa: E402
from etiquette_cv.pipeline.review_run import review  # noqa: E402
from etiquette_cv.pipeline.trainee_events import join_trainee_tracklets, scored_events  # noqa: E402
from etiquette_cv.rules.findings import Verdict  # noqa: E402
from etiquette_cv.rules.rulebook import load_rulebook  # noqa: E402
from etiquette_cv.training.trainee import choose_trainee  # noqa: E402

SET = REPO / "benchmarks" / "avoid_set"
KINDS = {"touch_hair": ("DB-6.2-avoid-hair", "phone_ear"), "head_shake": ("DB-6.2-avoid-headshake", "look"),
         "wave_no": ("DB-6.2-avoid-wavehand", "wave"), "hands_in_pockets": ("DB-6.2-pockets", "front_folded"),
         "lean_on_counter": ("CC-1.6-lean-on-counter", "bow"), "lean_back": ("DB-6.2-lean-back", "seated upright"),
         "lie_on_desk": ("CC-1.7-lie-on-desk", "seated upright")}
"""Per gesture to avoid (or posture violation): its rule, and its allowed look-alike in the clips (a phone held to
the ear; a slow look to each side, from the manifest's ``looks``; a farewell wave; hands folded in front, from the
manifest's ``folded``; a held apology bow, from the manifest's ``bows``; for the seated postures, the clip's other
seated stretches, counted as false findings only)."""
REVIEW_ONLY = ("hands_in_pockets", "lean_on_counter", "lean_back", "lie_on_desk")
"""Graded by the review only: a posture violation, not on trainer mode's list of gestures to avoid."""
MATCH_IOU = 0.3


def _iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union > 0 else 0.0


ANALYSIS_FPS = 10.0
"""Frames analysed per second of video (``--fps``; the product's default)."""


def _set_rate(fps: float) -> None:
    global ANALYSIS_FPS
    ANALYSIS_FPS = float(fps)


def _tracks(clip: dict, cache: Path, calibrated: bool) -> Path:
    """The clip's tracks, with its floor calibration or without one (pose run once, cached; the rate in the name
    unless it is the default 10)."""
    rate = "" if ANALYSIS_FPS == 10.0 else f"_{ANALYSIS_FPS:g}fps"
    path = cache / f"avoid_{clip['name']}_{'cal' if calibrated else 'nocal'}{rate}.jsonl.gz"
    if not path.exists():
        cal = load_calibration(SET / clip["files"]["calibration"]) if calibrated else None
        run_people(VideoSource(SET / clip["files"]["video"], analysis_fps=ANALYSIS_FPS), path, cal,
                   PeopleConfig(model="full"))
    return path


def _found_trainer(clip: dict, cache: Path, rb) -> dict[str, list[tuple[float, float]]]:
    """Per gesture to avoid, the intervals trainer mode reads: without a calibration, but with it for a phone on a
    tall tripod that sees the floor (camera family ``tripod_high``), as a trainer who calibrates would
    (benchmarks/score_roleplay.py does the same)."""
    calibrated = clip["camera_family"] == "tripod_high"
    cal = load_calibration(SET / clip["files"]["calibration"]) if calibrated else None
    frames, _ = join_trainee_tracklets(read_tracks(_tracks(clip, cache, calibrated)).frames, cal, rb)
    events, _ = scored_events(frames, cal, rb, clip["name"])
    return {kind: [(e.start_s, e.end_s) for e in events.of_kind(kind)] for kind in (*KINDS, "wave")
            if kind not in REVIEW_ONLY}


def _found_review(clip: dict, cache: Path) -> dict[str, list[tuple[float, float]]] | None:
    """Per gesture to avoid, the violations the review reports with the true camera's calibration (None: the
    camera does not calibrate)."""
    try:
        load_calibration(SET / clip["files"]["calibration"])
        result, _ = review(None, SET / clip["files"]["calibration"], cache / f"review_{clip['name']}",
                           tracks_path=_tracks(clip, cache, True), lang="en")
    except CalibrationError:   # too few floor points, or the counter's zones out of the camera's view
        return None
    return {kind: [(f.start_s, f.end_s) for f in result.findings if f.rule_id == rule and
                   f.verdict == Verdict.VIOLATION] for kind, (rule, _) in KINDS.items()}


def score_clip(clip: dict, found: dict[str, list[tuple[float, float]]], mode: str) -> dict[str, dict]:
    """Per gesture to avoid, the counts of one clip: truths, found, false findings (on its allowed look-alike among
    them), onset errors (s)."""
    out = {}
    looks = {"phone_ear": [(s, e) for kind, s, e in clip["gestures"] if kind == "phone_ear"],
             "look": [tuple(x) for x in clip.get("looks", [])],
             "front_folded": [tuple(x) for x in clip.get("folded", [])],
             "wave": [(s, e) for kind, s, e in clip["gestures"] if kind == "wave"],
             "bow": [tuple(x) for x in clip.get("bows", [])], "seated upright": []}
    for kind, (_, alike) in KINDS.items():
        if kind not in found:
            continue
        truth = [(s, e) for k, s, e in clip["violations"] if k == kind]
        others, got = looks[alike], found[kind]
        used, onsets = set(), []
        for t in truth:
            best = max(((i, _iou(t, f)) for i, f in enumerate(got) if i not in used), key=lambda x: x[1],
                       default=(None, 0.0))
            if best[0] is not None and best[1] >= MATCH_IOU:
                used.add(best[0])
                onsets.append(got[best[0]][0] - t[0])
        false = [f for i, f in enumerate(got) if i not in used]
        on_alike = sum(any(min(f[1], p[1]) > max(f[0], p[0]) for p in others) for f in false)
        if truth or others or got:
            print(f"  {mode:<7} {clip['name']:<40} {kind:<10} truth {_r(truth)} {alike} {_r(others)} found {_r(got)}")
        out[kind] = {"truth": len(truth), "found": len(used), "false": len(false), "on_alike": on_alike,
                     "alike": len(others), "onsets": onsets}
    if "wave" in found:   # trainer mode: farewell waves found, on the scripted waves and on the 摆手
        waves_no = [(s, e) for k, s, e in clip["violations"] if k == "wave_no"]
        out["farewell"] = {"scripted": len(looks["wave"]),
                           "found": sum(any(_iou(w, f) >= MATCH_IOU for f in found["wave"]) for w in looks["wave"]),
                           "on_wave_no": sum(any(_iou(w, f) >= MATCH_IOU for f in found["wave"]) for w in waves_no)}
    return out


def _r(iv: list[tuple[float, float]]) -> list[tuple[float, float]]:
    return [(round(a, 1), round(b, 1)) for a, b in iv]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=("tuning", "heldout", "all"), default="tuning")
    ap.add_argument("--cache", type=Path, default=REPO / "out" / "avoid_bench")
    ap.add_argument("--fps", type=float, default=ANALYSIS_FPS,
                    help="frames analysed per second of video (default 10, the product's)")
    args = ap.parse_args(argv)
    _set_rate(args.fps)
    quiet_mediapipe()
    rb = load_rulebook()
    args.cache.mkdir(parents=True, exist_ok=True)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"rules {', '.join(r for r, _ in KINDS.values())}, match IoU >= {MATCH_IOU}")
    clips = json.loads((SET / "manifest.json").read_text())["clips"]
    for split in ("tuning", "heldout") if args.split == "all" else (args.split,):
        print(f"== {split} ==")
        mine = [c for c in clips if c["split"] == split and (SET / c["files"]["video"]).exists()]
        rows = {"trainer": [score_clip(c, _found_trainer(c, args.cache, rb), "trainer") for c in mine], "review": []}
        for c in mine:
            found = _found_review(c, args.cache)
            if found is None:
                print(f"  review  {c['name']:<40} left out: its camera cannot be calibrated from the floor")
            else:
                rows["review"].append(score_clip(c, found, "review"))
        for mode, got in rows.items():
            for kind, (_, alike) in KINDS.items():
                if mode == "trainer" and kind in REVIEW_ONLY:
                    continue
                _summary(f"{split}, {mode} mode, {kind}", [r[kind] for r in got], alike)
        fw = {k: sum(r["farewell"][k] for r in rows["trainer"]) for k in ("scripted", "found", "on_wave_no")}
        print(f"  SUMMARY {split}, trainer mode, farewell waves (allowed): found {fw['found']} of {fw['scripted']} "
              f"scripted; a farewell wave reported on {fw['on_wave_no']} of the "
              f"{sum(r['wave_no']['truth'] for r in rows['trainer'])} 摆手")
        _knocking_not_graded(split, [c for c in mine if c["variation"].startswith(("tap", "rest"))], args.cache, rb)


def _knocking_not_graded(split: str, clips: list[dict], cache: Path, rb) -> None:
    """Knocking on the counter has no rule: why, in figures. The trainee's hand held down (the wrist at most 0.3
    upper-arm lengths above its elbow and below its shoulder, in the image) — its height against the elbow, in
    upper-arm lengths — swings (median width of ≥ 3 alternating moves ≥ 0.08 within 1 s) during the scripted knocks
    and while the same hand rests still."""
    from etiquette_cv.posture.filters import swing_width
    widths: dict[str, list[float]] = {"hand_rest": [], "tap_counter": []}
    for clip in clips:
        tracks, _ = join_trainee_tracklets(read_tracks(_tracks(clip, cache, False)).frames, None, rb)
        trainee = choose_trainee(tracks)
        if trainee is None:
            continue
        t = np.array([f.timestamp_s for f in tracks])
        height = np.full(len(t), np.nan)
        for i, f in enumerate(tracks):
            p = next((q for q in f.persons if q.track_id == trainee.track_id), None)
            if p is None or not (np.minimum(p.visibility, p.presence)[[12, 14, 16, 11]] >= 0.5).all():
                continue
            xy = p.image_xy_px
            up = np.array([0.0, -1.0])
            upper = float(np.linalg.norm(xy[14] - xy[12]))
            rise = float((xy[16] - xy[14]) @ up) / max(upper, 1e-6)
            if upper >= 5.0 and rise <= 0.3 and float((xy[16] - xy[12]) @ up) < 0:
                height[i] = rise
        width = swing_width(t, height, 1.0, 0.08, 3, 10.0)
        spans = [(k, a, b) for k, a, b in clip["gestures"] + clip["violations"] if k in widths]
        for kind, a, b in spans:
            inside = width[(t >= a + 0.4) & (t <= b)]
            widths[kind].append(float(np.nanmedian(inside)) if np.isfinite(inside).any() else float("nan"))
    if clips:
        show = {k: ", ".join(f"{v:.2f}" for v in vals) for k, vals in widths.items()}
        print(f"  NOT GRADED {split}, knocking on the counter (no rule): the right hand's lift-and-drop, median width "
              f"per span (upper-arm lengths, image, without a calibration): knocks {show['tap_counter']}; the hand "
              f"resting still {show['hand_rest']}")


def _summary(label: str, rows: list[dict], alike: str) -> None:
    n = {k: sum(r[k] for r in rows) for k in ("truth", "found", "false", "on_alike", "alike")}
    onsets = np.array([o for r in rows for o in r["onsets"]])
    prec = n["found"] / (n["found"] + n["false"]) if n["found"] + n["false"] else float("nan")
    onset = f"{np.mean(onsets):+.2f} s mean, {np.max(np.abs(onsets)):.2f} s worst" if len(onsets) else "—"
    print(f"  SUMMARY {label}: {len(rows)} clips; found {n['found']} of {n['truth']} "
          f"(recall {n['found'] / max(n['truth'], 1):.2f}), precision {prec:.2f} ({n['false']} false, "
          f"{n['on_alike']} of them on the {n['alike']} {alike} look-alikes); onset {onset}")


if __name__ == "__main__":
    main()
