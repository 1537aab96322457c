"""How many cameras one box watches live: files replayed as live streams through ``watch``.

    python benchmarks/live.py [--cameras 1,2,3,4] [--seconds 40] [--size 1920x1080] [--processes]

Each camera replays ``sample_videos/reception.mp4`` (scaled with ffmpeg to ``--size`` into a temporary folder,
with its calibration scaled to match) in real time, looped, through the real ``watch`` (one thread per camera,
its default; ``--processes`` runs one process per camera instead, to compare). Prints, per camera count, the analysed
frames per second per camera against the default rate, the share of the stream's frames analysed, the frames
dropped, the lowest rate the controller went to, the windows graded and the peak memory of a process (all cameras with threads, one with processes). A camera
*keeps up at the default rate* when it analyses at least 90 % of the default rate's frames.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from etiquette_cv.models import quiet_mediapipe  # noqa: E402
from etiquette_cv.pipeline.watch import WatchSettings  # noqa: E402
from etiquette_cv.pipeline.watch_run import watch_cameras  # noqa: E402
from etiquette_cv.pipeline.windows import WindowSettings  # noqa: E402

SAMPLE = REPO / "sample_videos" / "reception.mp4"
CALIBRATION = REPO / "calibration" / "reception.yaml"
DEFAULT_FPS = WatchSettings(store="", work_dir=Path(".")).analysis_fps


def scaled_inputs(folder: Path, width: int, height: int) -> tuple[Path, Path]:
    """The sample video and its calibration scaled to ``width`` x ``height`` pixels (ffmpeg, H.264)."""
    video, cal = folder / f"reception_{height}p.mp4", folder / f"reception_{height}p.yaml"
    if not video.exists():
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(SAMPLE), "-vf", f"scale={width}:{height}",
                        "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p", str(video)],
                       check=True)
    data = yaml.safe_load(CALIBRATION.read_text(encoding="utf-8"))
    sx, sy = width / data["image_size"][0], height / data["image_size"][1]
    data["image_size"] = [width, height]
    for p in data["floor_points"]:
        p["pixel"] = [p["pixel"][0] * sx, p["pixel"][1] * sy]
    for zone in data["zones"].values():
        if "image_px" in zone:
            zone["image_px"] = [[x * sx, y * sy] for x, y in zone["image_px"]]
    cal.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return video, cal


def camera_files(folder: Path, video: Path, cal: Path, n: int) -> list[Path]:
    """``n`` camera files replaying ``video`` as live, looped."""
    out = []
    for i in range(n):
        path = folder / f"cam{i + 1}.yaml"
        path.write_text(f"version: 1\nbranch: bench\ncamera: cam{i + 1}\nsource: {video}\ncalibration: {cal}\n"
                        "loop: true\n", encoding="utf-8")
        out.append(path)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cameras", default="1,2,3,4")
    ap.add_argument("--seconds", type=float, default=40.0)
    ap.add_argument("--size", default="1920x1080")
    ap.add_argument("--processes", action="store_true", help="one process per camera, not one thread per camera")
    ap.add_argument("--detect-gate", type=int, default=WatchSettings(store="", work_dir=Path(".")).detect_gate_max_skip,
                    help="periodic detector runs skipped in a row at most while nothing moves (0: off)")
    args = ap.parse_args()
    quiet_mediapipe()
    logging.getLogger("etiquette_cv.watch").setLevel(logging.ERROR)
    width, height = (int(v) for v in args.size.split("x"))
    tmp = Path(tempfile.mkdtemp(prefix="etiquette-live-bench-"))
    video, cal = scaled_inputs(tmp, width, height)
    print(f"machine: {platform.machine()} {platform.processor() or ''} {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; input {width}x{height} replayed in real time, looped; default analysis rate "
          f"{DEFAULT_FPS:g} frames/s; {args.seconds:g} s per run; cameras as "
          f"{'processes' if args.processes else 'threads'}; "
          f"detector runs skipped while still: up to {args.detect_gate} in a row")
    print(f"{'cameras':>7} {'analysed fps/cam':>16} {'share of frames':>15} {'dropped':>8} {'lowest rate':>11} "
          f"{'windows':>7} {'peak MB/proc':>12} {'keep up':>7}")
    for n in (int(v) for v in args.cameras.split(",")):
        run_dir = tmp / f"run{n}{'p' if args.processes else 't'}"
        run_dir.mkdir()
        settings = WatchSettings(store=str(run_dir / "store.db"), work_dir=run_dir / "work",
                                 windows=WindowSettings(20.0, 5.0), run_for_s=args.seconds, log_level="ERROR",
                                 detect_gate_max_skip=args.detect_gate)
        t0 = time.monotonic()
        summaries = watch_cameras(camera_files(run_dir, video, cal, n), settings, processes=args.processes)
        wall = time.monotonic() - t0
        fps = [s.analysed_fps for s in summaries]
        share = sum(s.frames_analysed for s in summaries) / max(1, sum(s.frames_decoded for s in summaries))
        keep = sum(f >= 0.9 * DEFAULT_FPS for f in fps)
        print(f"{n:>7} {sum(fps) / len(fps):>16.1f} {100 * share:>14.0f}% {sum(s.frames_dropped for s in summaries):>8} "
              f"{min(s.min_analysis_fps for s in summaries):>11.1f} {sum(s.windows_graded for s in summaries):>7} "
              f"{max(s.peak_rss_mb for s in summaries):>12.0f} {keep:>4}/{n}", flush=True)
        if len(summaries) != n:
            print(f"  ({n - len(summaries)} camera(s) did not finish; wall {wall:.0f} s)")


if __name__ == "__main__":
    main()
