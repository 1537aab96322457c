"""Resident memory of the people stage over a long run, with glibc's default heaps and with the product's limit.

Runs the people stage (full model, every sampled frame analysed) on the bundled ``reception`` sample looped to
``--minutes`` (stream-copied with ffmpeg), once per ``--malloc-arenas`` value, each in a fresh process, sampling the
process's resident size every 0.5 s; prints per run the peak over each third of the run, ru_maxrss and the wall
time. ``PeopleConfig.malloc_arenas`` and ``malloc_mmap_threshold_kb`` (see ``etiquette_cv/people/native_memory.py``)
are the settings compared, every pair of the values given.

    python benchmarks/people_memory.py --minutes 5 --malloc-arenas 0 2 --mmap-threshold-kb 0 256 [--max-landmarkers N]
    python benchmarks/people_memory.py --per-landmarker      # resident size as 1..4 person landmarkers start

``--per-landmarker``: what each person's MediaPipe landmarker (full model, VIDEO mode, 1280x720 frames, five calls
each) adds to the process's resident size, in a fresh process with the product's heap limit.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))


def looped(src: Path, minutes: float, out: Path) -> Path:
    """``src`` repeated (stream copy) until it lasts at least ``minutes``."""
    import cv2

    cap = cv2.VideoCapture(str(src))
    length_s = cap.get(cv2.CAP_PROP_FRAME_COUNT) / cap.get(cv2.CAP_PROP_FPS)
    cap.release()
    copies = max(1, int(-(-minutes * 60 // length_s)))
    listing = out.with_suffix(".txt")
    listing.write_text("".join(f"file '{src.resolve()}'\n" for _ in range(copies)))
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing),
                    "-c", "copy", str(out)], check=True)
    return out


def measure(video: Path, calibration: Path, arenas: int, mmap_kb: int, tracks: Path, max_landmarkers: int = 4
            ) -> None:
    """One run in this process: prints the peaks per third (MB), ru_maxrss (MB) and the wall time (s)."""
    from etiquette_cv.geometry.calibration import load_calibration
    from etiquette_cv.io.video import VideoSource
    from etiquette_cv.models import quiet_mediapipe
    from etiquette_cv.people.config import PeopleConfig
    from etiquette_cv.people.native_memory import limit_malloc_arenas
    from etiquette_cv.pipeline import run_people
    from throughput import rss_sampled

    quiet_mediapipe()
    limit_malloc_arenas(arenas)  # at the start, as the command line does (the people stage sets it again)
    t0 = time.perf_counter()
    with rss_sampled() as samples:
        run_people(VideoSource(video, analysis_fps=10.0), tracks, load_calibration(calibration),
                   PeopleConfig(malloc_arenas=arenas, malloc_mmap_threshold_kb=mmap_kb,
                                max_landmarkers=max_landmarkers))
    wall = time.perf_counter() - t0
    n = len(samples)
    thirds = [max(samples[k * n // 3:max((k + 1) * n // 3, k * n // 3 + 1)]) for k in range(3)]
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  malloc_arenas {arenas} ({'glibc default' if arenas == 0 else 'limited'}), mmap threshold "
          f"{f'{mmap_kb} kB' if mmap_kb else 'glibc default'}, landmarkers at once "
          f"{max_landmarkers}: peak resident per third "
          f"{' / '.join(f'{v:.0f}' for v in thirds)} MB, ru_maxrss {maxrss:.0f} MB, {wall:.0f} s", flush=True)


def per_landmarker(count: int = 4) -> None:
    """Resident size (MB) after starting 1..``count`` person landmarkers, each called five times."""
    import numpy as np

    from etiquette_cv.models import quiet_mediapipe, resolve_pose_model
    from etiquette_cv.people.landmarker import LandmarkerSettings, TrackLandmarker
    from etiquette_cv.people.config import PeopleConfig
    from etiquette_cv.people.native_memory import limit_malloc_arenas, posing_started
    from throughput import rss_mb

    quiet_mediapipe()
    limit_malloc_arenas(PeopleConfig().malloc_arenas)
    posing_started(PeopleConfig().malloc_mmap_threshold_kb)
    image = (np.random.default_rng(0).random((720, 1280, 3)) * 255).astype(np.uint8)
    base, kept, before = rss_mb(), [], None
    print(f"  before any landmarker: {base:.0f} MB")
    for k in range(count):
        lm = TrackLandmarker(resolve_pose_model("full"), LandmarkerSettings(), 1280, 720)
        for i in range(5):
            lm.detect(image, 10.0 * k + 0.1 * i, np.array([400.0, 100.0, 700.0, 700.0]))
        kept.append(lm)
        now = rss_mb()
        step = "" if before is None else f", +{now - before:.0f} MB for this one"
        print(f"  {k + 1} landmarker(s): {now:.0f} MB (+{now - base:.0f} MB{step})", flush=True)
        before = now


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--malloc-arenas", type=int, nargs="+", default=[0, 2])
    ap.add_argument("--mmap-threshold-kb", type=int, nargs="+", default=[0, 256])
    ap.add_argument("--video", type=Path, default=REPO / "sample_videos" / "reception.mp4")
    ap.add_argument("--calibration", type=Path, default=REPO / "calibration" / "reception.yaml")
    ap.add_argument("--max-landmarkers", type=int, default=4, help="people posed by their own landmarker at once")
    ap.add_argument("--one", type=int, nargs=2, help=argparse.SUPPRESS)  # internal: one measurement, this process
    ap.add_argument("--looped", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--per-landmarker", action="store_true", help="what each person's landmarker adds")
    args = ap.parse_args(argv)
    if args.per_landmarker:
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
        per_landmarker()
        return
    if args.one is not None:
        with tempfile.TemporaryDirectory() as tmp:
            measure(args.looped, args.calibration, *args.one, Path(tmp) / "tracks.jsonl", args.max_landmarkers)
        return
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"people stage on {args.video.name} looped to {args.minutes:g} min")
    with tempfile.TemporaryDirectory() as tmp:
        video = looped(args.video, args.minutes, Path(tmp) / "looped.mp4")
        for arenas, mmap_kb in itertools.product(args.malloc_arenas, args.mmap_threshold_kb):
            subprocess.run([sys.executable, __file__, "--one", str(arenas), str(mmap_kb), "--looped", str(video),
                            "--calibration", str(args.calibration), "--max-landmarkers", str(args.max_landmarkers)],
                           check=True)


if __name__ == "__main__":
    main()
