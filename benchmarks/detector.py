"""Whole-frame person detector (MoveNet MultiPose Lightning, ONNX): speed, recall and false positives per setting.

Runs `etiquette_cv.people.detector.PersonDetector` on every N-th frame (default every 2nd) of the five rendered
sample clips (`sample_videos/*.mp4`) and compares with their ground-truth sidecars (`*.gt.json`), for every
model input size (long side, px) and score threshold:

* ms per frame: wall-clock time of `PersonDetector.detect` (resize, padding and colour conversion included), mean
  over the frames, onnxruntime with `--threads` intra-op threads; the three input sizes run interleaved frame by
  frame so that other load on the machine hits them alike. "CPU ms" is the process CPU time of the same calls:
  with one thread it is what the wall-clock time would be on an idle machine, so compare it with the wall-clock
  figure to see whether other processes slowed the run (the load average is printed at start and end);
* truth box of a person: the extent of their 33 projected landmarks (`landmarks_px`) that are in the frame,
  extended upward by 8 % of its height for the crown above the eyes (when a head landmark is in the frame) and
  sideways by 2 %; parts hidden behind the desk or counter are included (the box a tracker wants).
  `--truth visible` leaves out the landmarks hidden behind scenery (`occluded`): the box of what the camera sees,
  which for the clerk behind the reception desk is always under 100 px tall, so the clerk then drops out of the
  recall. `--truth mesh` uses the sidecar's `bbox_px` (the whole projected body mesh, hidden parts included);
* recall: truth people whose box is at least `--min-height` px tall (default 100) matched by a detection with
  IoU >= `--iou` (default 0.3; Hungarian matching per frame);
* false positives per frame: detections matched to no truth person. Detections matched to a person too small or too
  hidden to count are neither hits nor false positives.

    python benchmarks/detector.py                      # all five clips, every 2nd frame
    python benchmarks/detector.py --step 1 --threads 2
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from scipy.optimize import linear_sum_assignment

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from etiquette_cv.people.boxes import iou_matrix  # noqa: E402
from etiquette_cv.people.detector import PersonDetector  # noqa: E402

SAMPLES = REPO / "sample_videos"
CLIPS = ("reception", "bows_front", "bows_side", "deportment", "clutter")
HEAD = range(0, 11)  # BlazePose nose, eyes, ears, mouth
CROWN = 0.08
SIDES = 0.02
MIN_VISIBLE_LANDMARKS = 4


def truth_box(person: dict, width: int, height: int, kind: str = "landmarks") -> np.ndarray | None:
    """A person's truth box x0, y0, x1, y1 in pixels (module docstring), None when not in view."""
    if kind == "mesh":
        b = person.get("bbox_px")
        if b is None or b[2] - b[0] < 1 or b[3] - b[1] < 1:
            return None
        return np.asarray(b, float)
    lm = np.asarray(person["landmarks_px"], float)
    seen = np.asarray(person["in_frame"], bool)
    if kind == "visible":
        seen &= ~np.asarray(person["occluded"], bool)
    if seen.sum() < MIN_VISIBLE_LANDMARKS:
        return None
    (x0, y0), (x1, y1) = lm[seen].min(0), lm[seen].max(0)
    h = y1 - y0
    if seen[list(HEAD)].any():
        y0 -= CROWN * h
    x0, x1 = x0 - SIDES * h, x1 + SIDES * h
    box = np.array([max(x0, 0.0), max(y0, 0.0), min(x1, width - 1.0), min(y1, height - 1.0)])
    return box if box[2] > box[0] and box[3] > box[1] else None


@dataclass
class Tally:
    truth: int = 0
    found: int = 0
    false_pos: int = 0
    frames: int = 0

    def add(self, o: "Tally") -> None:
        for k in vars(self):
            setattr(self, k, getattr(self, k) + getattr(o, k))

    @property
    def recall(self) -> float:
        return 100.0 * self.found / self.truth if self.truth else float("nan")

    @property
    def fp_per_frame(self) -> float:
        return self.false_pos / self.frames if self.frames else float("nan")


def score_frame(tboxes: np.ndarray, counted: list[bool], boxes: np.ndarray, iou_min: float) -> Tally:
    iou = iou_matrix(tboxes, boxes)
    rows, cols = linear_sum_assignment(-iou) if iou.size else ([], [])
    match = {r: c for r, c in zip(rows, cols) if iou[r, c] >= iou_min}
    t = Tally(frames=1)
    t.truth = sum(counted)
    t.found = sum(1 for i, c in enumerate(counted) if c and i in match)
    t.false_pos = len(boxes) - len(match)
    return t


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clips", nargs="+", default=list(CLIPS))
    ap.add_argument("--sizes", nargs="+", type=int, default=[384, 512, 640], help="model input long side, px")
    ap.add_argument("--thresholds", nargs="+", type=float, default=[0.15, 0.2, 0.3])
    ap.add_argument("--step", type=int, default=2, help="use every N-th frame (default %(default)s)")
    ap.add_argument("--threads", type=int, default=1, help="onnxruntime intra-op threads (default %(default)s)")
    ap.add_argument("--min-height", type=float, default=100.0, help="truth people counted from this height, px")
    ap.add_argument("--iou", type=float, default=0.3)
    ap.add_argument("--truth", choices=["landmarks", "visible", "mesh"], default="landmarks")
    ap.add_argument("--model", default="movenet", help="bundled detector name or an .onnx path (default %(default)s)")
    args = ap.parse_args(argv)

    import onnxruntime

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"machine: {cpu_model()}, {cores} cores ({os.cpu_count()} logical CPUs), Python "
          f"{platform.python_version()}, onnxruntime {onnxruntime.__version__}, {args.threads} thread(s), detector "
          f"{args.model}; "
          f"load average at start {os.getloadavg()[0]:.2f}")
    print(f"every {args.step}. frame of {', '.join(args.clips)}; truth box: {args.truth}; recall counts people "
          f">= {args.min_height:.0f} px tall, match IoU >= {args.iou}")
    lowest = min(args.thresholds)
    detectors = {s: PersonDetector(args.model, input_long_side_px=s, score_threshold=lowest, num_threads=args.threads)
                 for s in args.sizes}
    tallies = {(s, th): Tally() for s in args.sizes for th in args.thresholds}
    per_clip = {(c, s, th): Tally() for c in args.clips for s in args.sizes for th in args.thresholds}
    per_role: dict[tuple[str, int, float], Tally] = {}
    cpu_s = {s: 0.0 for s in args.sizes}
    t_start = time.monotonic()
    warm = False
    for clip in args.clips:
        truth = json.loads((SAMPLES / f"{clip}.gt.json").read_text())
        width, height = truth["camera"]["width"], truth["camera"]["height"]
        frames = {fr["index"]: fr for fr in truth["frames"]}
        cap = cv2.VideoCapture(str(SAMPLES / f"{clip}.mp4"))
        index = -1
        while True:
            ok, image = cap.read()
            if not ok:
                break
            index += 1
            if index % args.step or index not in frames:
                continue
            if not warm:  # first call of each session is slow (allocations): not timed
                for det in detectors.values():
                    det.detect(image)
                    det.time_ms.total, det.time_ms.calls = 0.0, 0
                warm = True
            people = []
            for pid, p in frames[index]["persons"].items():
                box = truth_box(p, width, height, args.truth)
                if box is not None:
                    role = "clerk " + p.get("stance", "") if pid == "clerk" else "customer"
                    people.append((role.strip(), box))
            tboxes = np.array([b for _, b in people], float).reshape(-1, 4)
            counted = [bool(b[3] - b[1] >= args.min_height) for _, b in people]
            for size, det in detectors.items():
                c0 = time.process_time()
                dets = det.detect(image)
                cpu_s[size] += time.process_time() - c0
                for th in args.thresholds:
                    keep = dets.scores >= th
                    t = score_frame(tboxes, counted, dets.boxes_xyxy_px[keep], args.iou)
                    tallies[size, th].add(t)
                    per_clip[clip, size, th].add(t)
                    for i, (role, _) in enumerate(people):  # per-role recall (one person at a time)
                        if counted[i]:
                            one = score_frame(tboxes[i:i + 1], [True], dets.boxes_xyxy_px[keep], args.iou)
                            per_role.setdefault((role, size, th), Tally()).add(
                                Tally(truth=1, found=one.found, frames=0))
        cap.release()

    print(f"\n{'input px':>8} {'thr':>5} {'ms/frame':>9} {'CPU ms':>7} {'recall %':>9} {'found/truth':>12} "
          f"{'FP/frame':>9}")
    for size in args.sizes:
        ms = detectors[size].time_ms.mean
        cpu_ms = 1000.0 * cpu_s[size] / max(detectors[size].time_ms.calls, 1)
        for th in args.thresholds:
            t = tallies[size, th]
            print(f"{size:>8} {th:>5.2f} {ms:>9.1f} {cpu_ms:>7.1f} {t.recall:>9.1f} {f'{t.found}/{t.truth}':>12} "
                  f"{t.fp_per_frame:>9.3f}")
    print("\nper clip (recall % / FP per frame):")
    head = "  ".join(f"{f'{s}px@{th:g}':>14}" for s in args.sizes for th in args.thresholds)
    print(f"{'':<12}{head}")
    for clip in args.clips:
        cells = "  ".join(f"{f'{per_clip[clip, s, th].recall:5.1f}/{per_clip[clip, s, th].fp_per_frame:.2f}':>14}"
                          for s in args.sizes for th in args.thresholds)
        print(f"{clip:<12}{cells}")
    print(f"\nper person kind (recall %):\n{'':<22}{head}")
    for role in sorted({r for r, _, _ in per_role}):
        cells = "  ".join(f"{per_role[role, s, th].recall:>14.1f}" if (role, s, th) in per_role else f"{'-':>14}"
                          for s in args.sizes for th in args.thresholds)
        n = per_role.get((role, args.sizes[0], args.thresholds[0]), Tally()).truth
        print(f"{role + f' ({n})':<22}{cells}")
    print(f"\n{sum(t.frames for t in per_clip.values()) // (len(args.sizes) * len(args.thresholds))} frames, "
          f"{time.monotonic() - t_start:.0f} s; load average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
