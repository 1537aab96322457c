"""Trainer mode against the rendered clips' ground truth: per-step verdicts of every shipped scenario, scored once
on the sidecar's true events and once on what the pipeline measured, and their agreement.

    python benchmarks/score.py [--cache DIR] [--no-calibration] [CLIP ...]   (default: reception, bows_front, bows_side)

What this is, honestly: the bundled clips are counter scenes rendered for the review (not role-plays of the
scenarios), so each scenario is scored on whatever the clip contains — reception's first visit for the reception
and farewell scenarios, the bows clips for the apology scenario. Steps the truth cannot grade (gestures: not
annotated; not assessable) are left out of the agreement. A held-out split does not exist: these clips were also
used to tune the review.

Gestures: precision and recall per gesture on synthetic world-landmark sequences (``etiquette_cv.sim.gestures``:
random gestures and distractors, fixed seeds, two noise levels) — the detectors' thresholds were set on the same
generator, so this checks the definitions, not MediaPipe on people; and the gestures found on the rendered clips,
which contain none (every one is a false positive).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from etiquette_cv.io.video import VideoSource  # noqa: E402
from etiquette_cv.people.stage import PeopleConfig  # noqa: E402
from etiquette_cv.pipeline import run_people  # noqa: E402
from etiquette_cv.geometry.calibration import load_calibration  # noqa: E402
from etiquette_cv.pipeline.score_run import score_video  # noqa: E402
from etiquette_cv.rules.rulebook import load_rulebook  # noqa: E402
from etiquette_cv.training.scenario import load_scenario, shipped_scenarios  # noqa: E402
from etiquette_cv.training.scoring import score_attempt  # noqa: E402
from etiquette_cv.training.truth import truth_events  # noqa: E402
from etiquette_cv.core import PersonPose  # noqa: E402
from etiquette_cv.events import detect_gestures  # noqa: E402
from etiquette_cv.io.tracks import read_tracks  # noqa: E402
from etiquette_cv.posture.gestures import measure_gestures, measure_hand_contact  # noqa: E402
from etiquette_cv.sim.gestures import GESTURE_KINDS, gesture_sequence, random_segments  # noqa: E402

import numpy as np  # noqa: E402

CLIPS = ("reception", "bows_front", "bows_side")


def tracks_for(clip: str, cache: Path, calibrated: bool) -> Path:
    """The clip's tracks file (pose run once, cached)."""
    path = cache / f"{clip}_{'cal' if calibrated else 'nocal'}.jsonl.gz"
    if not path.exists():
        cal = load_calibration(REPO / "calibration" / f"{clip}.yaml") if calibrated else None
        run_people(VideoSource(REPO / "sample_videos" / f"{clip}.mp4", analysis_fps=10.0), path, cal,
                   PeopleConfig(model="full"))
    return path


def _iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union > 0 else 0.0


def synthetic_gestures(rb, sequences: int = 40, segments: int = 8) -> None:
    """Precision and recall per gesture on random synthetic sequences (a detection is right when it overlaps a
    true gesture of its kind with IoU >= 0.3, each truth matched once)."""
    settings = rb.gesture_settings()
    for noise in (0.015, 0.03):
        tp = dict.fromkeys(GESTURE_KINDS, 0)
        fp, fn = dict(tp), dict(tp)
        for seed in range(sequences):
            segs = random_segments(np.random.default_rng(seed), segments)
            t, world = gesture_sequence(segs, noise_m=noise, seed=1000 + seed)
            poses = [PersonPose(1, "unknown", np.zeros((33, 2)), np.zeros(33), w, np.ones(33), np.ones(33))
                     for w in world]
            found = detect_gestures(measure_gestures(t, poses, settings), settings)
            for kind in GESTURE_KINDS:
                truth = [(g.start_s, g.end_s) for g in segs if g.kind == kind]
                used = set()
                for g in (g for g in found if g.kind == kind):
                    k = next((i for i, tr in enumerate(truth) if i not in used and _iou(tr, (g.start_s, g.end_s))
                              >= 0.3), None)
                    if k is None:
                        fp[kind] += 1
                    else:
                        used.add(k)
                        tp[kind] += 1
                fn[kind] += len(truth) - len(used)
        for kind in GESTURE_KINDS:
            p = tp[kind] / (tp[kind] + fp[kind]) if tp[kind] + fp[kind] else float("nan")
            r = tp[kind] / (tp[kind] + fn[kind]) if tp[kind] + fn[kind] else float("nan")
            print(f"synthetic, noise {noise * 100:.1f} cm: {kind:<10} precision {p:.3f} recall {r:.3f} "
                  f"(tp {tp[kind]}, fp {fp[kind]}, fn {fn[kind]}; {sequences} sequences x {segments} segments)")


def rendered_false_gestures(rb, clips: list[str], cache: Path, calibrated: bool) -> None:
    """Gestures found for the clerk on the rendered clips (which script none: each one is a false positive)."""
    settings = rb.gesture_settings()
    total_s, found_all = 0.0, []
    for clip in clips:
        frames = read_tracks(tracks_for(clip, cache, calibrated)).frames
        counts: dict[int, int] = {}
        for f in frames:
            for p in f.persons:
                counts[p.track_id] = counts.get(p.track_id, 0) + (p.landmarks_source == "mediapipe")
        clerk = max(counts, key=counts.get)
        poses = [next((p for p in f.persons if p.track_id == clerk and p.landmarks_source == "mediapipe"), None)
                 for f in frames]
        t = np.array([f.timestamp_s for f in frames])
        features = measure_gestures(t, poses, settings)
        features.hand_contact = measure_hand_contact(frames, clerk, settings)
        found = detect_gestures(features, settings)
        total_s += float(t[-1] - t[0])
        found_all += [(clip, g.kind, round(g.start_s, 1), round(g.duration_s, 1)) for g in found]
    print(f"rendered clips ({', '.join(clips)}; {total_s:.0f} s, no gesture scripted): {len(found_all)} false "
          f"gestures {found_all}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clips", nargs="*", default=list(CLIPS))
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "etiquette_score_bench")
    ap.add_argument("--no-calibration", action="store_true", help="score without the clips' floor calibrations")
    args = ap.parse_args(argv)
    args.cache.mkdir(parents=True, exist_ok=True)
    rb = load_rulebook()
    agree = total = assessed = assessed_agree = 0
    print(f"{'clip':<11} {'scenario':<10} {'step':<14} {'truth':<15} {'measured':<15} agree  measured detail")
    for clip in args.clips:
        truth = truth_events(REPO / "sample_videos" / f"{clip}.gt.json", upright_below_deg=rb.bow("start_deg"))
        tracks = tracks_for(clip, args.cache, not args.no_calibration)
        cal = None if args.no_calibration else REPO / "calibration" / f"{clip}.yaml"
        for name in shipped_scenarios():
            sc = load_scenario(name, rb)
            expected = score_attempt(sc, truth)
            measured, _ = score_video(None, name, args.cache / f"out_{clip}_{name}", calibration=cal,
                                      tracks_path=tracks, lang="en")
            for t, m in zip(expected.steps, measured.steps):
                if t.verdict == "not_assessable":
                    continue
                ok = t.verdict == m.verdict
                agree += ok
                total += 1
                if m.verdict != "not_assessable":
                    assessed += 1
                    assessed_agree += ok
                print(f"{clip:<11} {name:<10} {t.step_id:<14} {t.verdict:<15} {m.verdict:<15} "
                      f"{'yes' if ok else 'NO':<6} {m.message_en[:90]}")
    pct = 100.0 * agree / total if total else float("nan")
    print(f"\nper-step agreement with the truth: {agree}/{total} = {pct:.0f} % "
          f"({'no calibration' if args.no_calibration else 'with the clips calibrations'}); of the {assessed} steps "
          f"the measurement assessed, {assessed_agree} agree; {total - assessed} not assessable\n")
    synthetic_gestures(rb)
    rendered_false_gestures(rb, args.clips, args.cache, not args.no_calibration)
    return 0


if __name__ == "__main__":
    sys.exit(main())
