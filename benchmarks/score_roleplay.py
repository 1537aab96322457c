"""Trainer mode on the rendered role-play set (benchmarks/roleplay_set/, tools/render/roleplay_set.py): per-step
verdicts on the truth sidecar and on what the pipeline measured, their agreement, gesture precision/recall, and
wrong bow classes scored as done — tuning and held-out apart. Used by ``benchmarks/score.py --set roleplay``.

Truth: each clip's scenario scored on the sidecar's true event stream (``training.truth.truth_events``: the
clerk's true stand-ups, bows with their true peak angles, upright stretches, the customer's 2 m crossings, and the
scripted gestures). Measured: ``etiquette score`` on the clip's tracks. Clips the manifest marks ``calibrated``
(camera family ``tripod_high``: a phone on a tall tripod, pitched down, that sees the floor in front of the counter)
are scored with their floor calibration ``NAME.yaml``, as a trainer who calibrates would; the others (phones at chest
height, which see no floor) without one (the product's trainer-mode default), or, with ``calibrated=True``, with the
true camera's calibration too. Each split is summed three times: the chest-height clips, the calibrated clips, and
the whole split.

A gesture found is right when it overlaps a true gesture of its kind with IoU ≥ 0.3 (each truth matched once).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from etiquette_cv.geometry.calibration import CalibrationError, load_calibration
from etiquette_cv.geometry.image_line import ImageLine
from etiquette_cv.geometry.polyline import densify_segment, side_normal
from etiquette_cv.geometry.solver import solve_camera
from etiquette_cv.io.tracks import read_tracks
from etiquette_cv.io.video import VideoSource
from etiquette_cv.people.stage import PeopleConfig
from etiquette_cv.pipeline import run_people
from etiquette_cv.pipeline.score_run import score_video
from etiquette_cv.pipeline.trainee_events import join_trainee_tracklets, scored_events
from etiquette_cv.rules.rulebook import Rulebook
from etiquette_cv.training.scenario import load_scenario
from etiquette_cv.training.scoring import score_attempt
from etiquette_cv.training.stream import AVOID_KINDS
from etiquette_cv.training.truth import GESTURE_KINDS, truth_events

SET = Path(__file__).resolve().parent / "roleplay_set"


def _iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union > 0 else 0.0


ANALYSIS_FPS = 10.0
"""Frames analysed per second of video (``score.py --fps``; the product's default)."""


def _tracks(clip: dict, cache: Path, calibrated: bool) -> Path:
    """The clip's tracks file (pose run once, cached; the rate in the name unless it is the default 10)."""
    rate = "" if ANALYSIS_FPS == 10.0 else f"_{ANALYSIS_FPS:g}fps"
    path = cache / f"roleplay_{clip['name']}_{'cal' if calibrated else 'nocal'}{rate}.jsonl.gz"
    if not path.exists():
        cal = load_calibration(SET / clip["files"]["calibration"]) if calibrated else None
        run_people(VideoSource(SET / clip["files"]["video"], analysis_fps=ANALYSIS_FPS), path, cal,
                   PeopleConfig(model="full"))
    return path


def _match(truth: list[tuple[float, float]], found: list[tuple[float, float]]) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives) of found intervals against true ones."""
    used: set[int] = set()
    tp = fp = 0
    for g in found:
        k = next((i for i, tr in enumerate(truth) if i not in used and _iou(tr, g) >= 0.3), None)
        if k is None:
            fp += 1
        else:
            used.add(k)
            tp += 1
    return tp, fp, len(truth) - len(used)


def _trainee_is_clerk(frames: list, track_id: int, gt: dict) -> bool:
    """Whether the measured trainee is the true clerk: their median nose pixel within 40 px of the clerk's."""
    nose_m, nose_t = [], []
    for f, g in zip(frames, gt["frames"]):
        p = next((q for q in f.persons if q.track_id == track_id), None)
        if p is not None and "clerk" in g["persons"]:
            nose_m.append(p.image_xy_px[0])
            nose_t.append(g["persons"]["clerk"]["landmarks_px"][0])
    if not nose_m:
        return False
    return bool(np.median(np.linalg.norm(np.array(nose_m) - np.array(nose_t), axis=1)) < 40.0)


GROUPS = (("chest", "no calibration (chest-height phone)"), ("tripod", "calibrated (tall tripod)"),
          ("all", "whole split"))


def _new_stats() -> dict:
    return {"agree": 0, "total": 0, "assessed": 0, "assessed_agree": 0, "wrong_class_done": 0, "wrong_class": 0,
            "trainee_ok": 0, "clips": 0, "g": {k: [0, 0, 0] for k in GESTURE_KINDS}, "bows": [], "bows_unmeasured": 0,
            "at_least": [0, 0, 0],
            "avoid_found": {k: 0 for k in AVOID_KINDS}, "spans": 0, "spans_hold": 0, "spans_width": []}


def _add(into: dict, s: dict) -> None:
    for k, v in s.items():
        if k == "g":
            for kind, n in v.items():
                into["g"][kind] = [a + b for a, b in zip(into["g"][kind], n)]
        elif k == "at_least":
            into[k] = [a + b for a, b in zip(into[k], v)]
        elif k == "avoid_found":
            for kind, n in v.items():
                into[k][kind] += n
        else:
            into[k] += v


def marked_line(calibration_path: Path) -> ImageLine | None:
    """The 2 m line as a trainer would mark it with tape and click its ends: the (straight) counter edge moved 2 m
    to the customers' side, projected with the clip's true camera, from its first to its last point inside the image
    (None when less than two of them are)."""
    cal = load_calibration(calibration_path)
    cam = solve_camera(cal)
    a, b = cal.counter.edge_m[0], cal.counter.edge_m[-1]
    normal = side_normal((a + b) / 2, cal.counter.edge_m, cal.counter.customer_side)
    line = densify_segment(a + 2.0 * normal, b + 2.0 * normal, step=0.05)
    px = cam.project(np.column_stack([line, np.zeros(len(line))]))
    inside = (px[:, 0] >= 0) & (px[:, 0] < cam.image_width) & (px[:, 1] >= 0) & (px[:, 1] < cam.image_height)
    if inside.sum() < 2:
        return None
    pts = px[inside]
    return ImageLine(tuple(pts[0]), tuple(pts[-1]))


def run(rb: Rulebook, split: str, cache: Path, calibrated: bool = False, cue_line: bool = False) -> None:
    """Print the per-step table and the summary figures of one split (``tuning``, ``heldout`` or ``all``): the clips
    without a calibration (phones at chest height), the calibrated clips (the manifest's ``calibrated``: a tall
    tripod that sees the floor, scored with its ``NAME.yaml``) and the whole split. ``calibrated=True`` scores the
    chest-height clips with their true camera's calibration too. ``cue_line=True`` scores the tall-tripod clips
    without their calibration, the 2 m cue from the line a trainer would mark on the floor (:func:`marked_line`)."""
    clips = [c for c in json.loads((SET / "manifest.json").read_text())["clips"]
             if split in ("all", c["split"]) and (SET / c["files"]["truth"]).exists()]
    stats: dict[tuple[str, str], dict] = {}
    print(f"{'clip':<46} {'cal':<4} {'step':<17} {'truth':<15} {'measured':<15} agree  measured detail")
    for clip in clips:
        s = _new_stats()
        tripod = bool(clip.get("calibrated", False))
        if cue_line and not tripod:
            continue
        use_cal = (tripod or calibrated) and not cue_line
        line = marked_line(SET / clip["files"]["calibration"]) if cue_line else None
        if use_cal and not tripod:
            try:   # a chest-height camera sees few floor points, often too few to calibrate from
                load_calibration(SET / clip["files"]["calibration"])
            except CalibrationError as exc:
                print(f"{clip['name']:<46} skipped: its true camera cannot be calibrated from the floor ({exc})")
                continue
        gt_path = SET / clip["files"]["truth"]
        gt = json.loads(gt_path.read_text())
        truth = truth_events(gt_path, upright_below_deg=rb.bow("start_deg"))
        tracks = _tracks(clip, cache, use_cal)
        cal = SET / clip["files"]["calibration"] if use_cal else None
        sc = load_scenario(clip["scenario"], rb)
        expected = score_attempt(sc, truth)
        measured, _ = score_video(None, clip["scenario"], cache / f"out_{clip['name']}", calibration=cal,
                                  tracks_path=tracks, lang="en", cue_line=line)
        s["clips"] += 1
        for t, m in zip(expected.steps, measured.steps):
            ok = t.verdict == m.verdict
            s["total"] += 1
            s["agree"] += ok
            if m.verdict != "not_assessable":
                s["assessed"] += 1
                s["assessed_agree"] += ok
            if t.verdict == "wrong_class":
                s["wrong_class"] += 1
                s["wrong_class_done"] += m.verdict == "done"
            print(f"{clip['name']:<46} {'yes' if use_cal else 'no':<4} {t.step_id:<17} {t.verdict:<15} "
                  f"{m.verdict:<15} {'yes' if ok else 'NO':<6} {m.message_en[:80]}")
        cal_obj = load_calibration(cal) if cal else None
        frames, _ = join_trainee_tracklets(read_tracks(tracks).frames, cal_obj, rb)
        events, trainee = scored_events(frames, cal_obj, rb, clip["name"], cue_line=line)
        is_clerk = trainee is not None and _trainee_is_clerk(frames, trainee.track_id, gt)
        s["trainee_ok"] += is_clerk
        if not is_clerk:
            print(f"{clip['name']:<46} the trainee chosen is not the clerk ({trainee.how_en if trainee else 'nobody'})")
        for kind in GESTURE_KINDS:
            tr = [(e.start_s, e.end_s) for e in truth.of_kind(kind)]
            found = [(e.start_s, e.end_s) for e in events.of_kind(kind)]
            for i, n in enumerate(_match(tr, found)):
                s["g"][kind][i] += n
            if tr or found:
                print(f"{'':<46} gesture {kind:<9} truth {[(round(a, 1), round(b, 1)) for a, b in tr]} "
                      f"found {[(round(a, 1), round(b, 1)) for a, b in found]}")
        _bow_angles(truth, events, s)
        _cue_spans(truth, events, s, clip["name"])
        for kind in AVOID_KINDS:   # no role-play script has a gesture to avoid: every one found is false
            found = events.of_kind(kind)
            s["avoid_found"][kind] += len(found)
            if found:
                print(f"{'':<46} gesture to avoid (none scripted) {kind} found "
                      f"{[(round(e.start_s, 1), round(e.end_s, 1)) for e in found]}")
        for group in ("tripod" if tripod else "chest", "all"):
            _add(stats.setdefault((clip["split"], group), _new_stats()), s)
    for name in dict.fromkeys(c["split"] for c in clips):
        for group, label in GROUPS:
            if (name, group) in stats:
                if group == "chest" and calibrated:
                    label = "true-camera calibration (chest-height phone)"
                if group == "tripod" and cue_line:
                    label = "tall tripod, no calibration, the 2 m line marked (--cue-line)"
                _summary(f"{name}, {label}", stats[(name, group)])


def _bow_angles(truth, events, s: dict) -> None:
    """Each true bow against the measured bow overlapping it: peak angle (degrees), its ±, or why unmeasured."""
    unmeasured = events.not_measured.get("bow")
    for b in truth.of_kind("bow"):
        m = max((e for e in events.of_kind("bow") if e.start_s <= b.end_s and e.end_s >= b.start_s),
                key=lambda e: e.peak_angle_deg, default=None)
        least = max((e for e in events.of_kind("bow") if e.angle_at_least and e.start_s <= b.end_s
                     and e.end_s >= b.start_s), key=lambda e: e.peak_angle_deg, default=None)
        if unmeasured and least is not None:   # facing the camera, a deep bow's least depth is claimed
            right = b.peak_angle_deg >= least.peak_angle_deg
            s["at_least"][0] += right
            s["at_least"][1] += 1
            s["bows_unmeasured"] += 1
            print(f"{'':<42} bow angle  truth {b.peak_angle_deg:.1f}° — claimed at least {least.peak_angle_deg:.0f}° "
                  f"({'right' if right else 'WRONG'})")
        elif unmeasured:
            s["bows_unmeasured"] += 1
            print(f"{'':<42} bow angle  truth {b.peak_angle_deg:.1f}° — not measured ({unmeasured[:60]}…)")
        elif m is None:
            s["bows"].append((b.peak_angle_deg, float("nan"), float("nan")))
            print(f"{'':<42} bow angle  truth {b.peak_angle_deg:.1f}° — no bow found")
        else:
            s["bows"].append((b.peak_angle_deg, m.peak_angle_deg, m.angle_uncertainty_deg))
            print(f"{'':<42} bow angle  truth {b.peak_angle_deg:.1f}° measured {m.peak_angle_deg:.1f}° "
                  f"± {m.angle_uncertainty_deg:.1f}°")
    for e in events.of_kind("bow"):   # a least depth claimed where no bow was made
        if e.angle_at_least and not any(b.start_s <= e.end_s and b.end_s >= e.start_s for b in truth.of_kind("bow")):
            s["at_least"][2] += 1
            print(f"{'':<42} bow angle  claimed at least {e.peak_angle_deg:.0f}° at {e.t_s:.1f} s — no true bow")


def _cue_spans(truth, events, s: dict, name: str) -> None:
    """Each 2 m cue bounded from the customer's stop (no calibration, no marked line) against the true crossing."""
    for cue, (lo, hi) in events.cue_spans.items():
        t = truth.cues.get(cue)
        hold = t is not None and lo <= t <= hi
        s["spans"] += 1
        s["spans_hold"] += hold
        s["spans_width"].append(hi - lo)
        print(f"{name:<46} cue {cue} span {lo:.1f}–{hi:.1f} s, true crossing "
              f"{'none' if t is None else f'{t:.1f} s'}: {'inside' if hold else 'OUTSIDE'}")


def _summary(name: str, s: dict) -> None:
    pct = 100.0 * s["agree"] / s["total"] if s["total"] else float("nan")
    apct = 100.0 * s["assessed_agree"] / s["assessed"] if s["assessed"] else float("nan")
    print(f"\n[{name}] {s['clips']} clips: "
          f"per-step agreement {s['agree']}/{s['total']} = {pct:.0f} %; of the {s['assessed']} steps the product "
          f"graded, {s['assessed_agree']} agree ({apct:.0f} %); {s['total'] - s['assessed']} not assessable; "
          f"wrong bow class scored as done: {s['wrong_class_done']} of {s['wrong_class']}; trainee = the clerk in "
          f"{s['trainee_ok']}/{s['clips']} clips")
    if s["bows"] or s["bows_unmeasured"]:
        b = np.array(s["bows"], float).reshape(-1, 3)
        found = np.isfinite(b[:, 1])
        err = np.abs(b[found, 1] - b[found, 0])
        inside = int(np.sum(err <= b[found, 2] + 1e-9))
        print(f"[{name}] bow angle: {int(found.sum())} of {len(b) + s['bows_unmeasured']} true bows measured "
              f"({s['bows_unmeasured']} not measurable from the view, {int((~found).sum())} not found); "
              f"MAE {np.mean(err) if len(err) else np.nan:.1f}°, max {np.max(err) if len(err) else np.nan:.1f}°; "
              f"truth within the stated ± for {inside} of {int(found.sum())}; of the unmeasurable, a least depth "
              f"claimed for {s['at_least'][1]} (facing the camera), right for {s['at_least'][0]}; claimed where no "
              f"bow was made {s['at_least'][2]}")
    for kind, (tp, fp, fn) in s["g"].items():
        p = tp / (tp + fp) if tp + fp else float("nan")
        r = tp / (tp + fn) if tp + fn else float("nan")
        print(f"[{name}] gesture {kind:<10} precision {p:.2f} recall {r:.2f} (tp {tp}, fp {fp}, fn {fn})")
    print(f"[{name}] gestures to avoid found where none was scripted: "
          + ", ".join(f"{k} {n}" for k, n in s["avoid_found"].items()))
    if s["spans"]:
        print(f"[{name}] 2 m cues bounded from the customer's stop (no calibration): {s['spans_hold']} of "
              f"{s['spans']} spans hold the true crossing; span width median {np.median(s['spans_width']):.1f} s")
