#!/usr/bin/env python3
"""Milliseconds per PoseLandmarker call for the bundled models on square crops of a few sizes.

For each model (lite, full) and crop size (256, 384 px) it makes a VIDEO-mode landmarker, warms it up, then times
``detect_for_video`` over --calls calls on a crop of skimage's astronaut (one person filling the crop, as a region
crop would). After the first frame VIDEO mode tracks the person from the previous landmarks, so this is the
steady-state cost. "cpu" is process CPU time per call (all threads), which a busy machine disturbs less than the
wall-clock figures. --image-mode also times IMAGE-mode ``detect`` (person detector + landmarks on every call, the cost
of a frame where tracking was lost).

    python benchmarks/landmarker_speed.py [--calls 50] [--warmup 10] [--sizes 256 384] [--image-mode]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

try:
    from etiquette_cv.models import BUNDLED_POSE_MODELS, quiet_mediapipe, resolve_pose_model
except ImportError:  # running from a checkout without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from etiquette_cv.models import BUNDLED_POSE_MODELS, quiet_mediapipe, resolve_pose_model


def crop_image(size: int):
    import cv2
    import numpy as np

    try:
        from skimage import data

        rgb = data.astronaut()
    except ImportError:  # scikit-image is a test extra; any picture will do for timing
        rgb = np.zeros((512, 512, 3), np.uint8)
        cv2.circle(rgb, (256, 180), 60, (220, 180, 150), -1)
        cv2.rectangle(rgb, (140, 250), (370, 512), (230, 90, 40), -1)
    return np.ascontiguousarray(cv2.resize(rgb, (size, size), interpolation=cv2.INTER_AREA))


def time_calls(fn, calls: int) -> tuple[list[float], float]:
    """Wall-clock ms of each call, and the process CPU ms per call (all threads; robust to a busy machine)."""
    out = []
    cpu0 = time.process_time()
    for i in range(calls):
        t0 = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t0) * 1000.0)
    return out, (time.process_time() - cpu0) * 1000.0 / max(calls, 1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 384])
    ap.add_argument("--models", nargs="+", default=list(BUNDLED_POSE_MODELS))
    ap.add_argument("--image-mode", action="store_true", help="also time IMAGE mode (detector on every call)")
    args = ap.parse_args(argv)

    quiet_mediapipe()
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    print(f"mediapipe {mp.__version__}; {args.calls} calls after {args.warmup} warm-up calls; ms per call")
    print(f"{'model':6} {'crop':>8} {'mode':6} {'mean':>7} {'median':>7} {'p90':>7} {'cpu':>7} {'found':>6}")
    for model in args.models:
        path = str(resolve_pose_model(model))
        for size in args.sizes:
            image = mp.Image(image_format=mp.ImageFormat.SRGB, data=crop_image(size))
            modes = ["VIDEO"] + (["IMAGE"] if args.image_mode else [])
            for mode in modes:
                options = vision.PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=path),
                                                       running_mode=getattr(vision.RunningMode, mode), num_poses=1)
                with vision.PoseLandmarker.create_from_options(options) as landmarker:
                    found = [0]
                    if mode == "VIDEO":
                        def call(i, base=[0]):
                            base[0] += 100  # ms; strictly increasing timestamps
                            found[0] += bool(landmarker.detect_for_video(image, base[0]).pose_landmarks)
                    else:
                        def call(i):
                            found[0] += bool(landmarker.detect(image).pose_landmarks)
                    time_calls(call, args.warmup)
                    found[0] = 0
                    ms, cpu_ms = time_calls(call, args.calls)
                    ms.sort()
                p90 = ms[min(len(ms) - 1, int(round(0.9 * (len(ms) - 1))))]
                print(f"{model:6} {f'{size}x{size}':>8} {mode:6} {statistics.fmean(ms):7.1f} "
                      f"{statistics.median(ms):7.1f} {p90:7.1f} {cpu_ms:7.1f} {found[0]:>3}/{args.calls}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
