"""Throughput of the whole review on a sample video: × real time, frames/s, memory, and where the time goes.

    python benchmarks/throughput.py [VIDEO] [--calibration CAL] [--model full] [--fps 10] [--loop-minutes M]
    python benchmarks/throughput.py --day-hours 8 --quiet-every 4   # a synthetic camera day, adaptive rate
    python benchmarks/throughput.py --memory --quiet-every 4        # + peak memory at 10 min, 1 h, 8 h

Prints decoded and analysed frames/s, × real time for the pose stage and for the whole review, the time spent in
bare landmarker calls on the same crops in the same run (so pipeline overhead is visible as a ratio), the time of
the analysis (features, events, rules) and of the reports, and the peak resident memory. ``--loop-minutes`` first
writes the clip looped to that length (to check that memory stays flat over a long video). ``--day-hours`` builds
a synthetic camera day from the reception sample (:func:`synthetic_day`) and also prints the share of sampled
frames the adaptive rate analysed. ``--memory`` then prints the peak memory of the review of a synthetic day of
10 minutes, 1 hour and 8 hours (:mod:`memory_days`: the 8-hour day's tracks are laid out from a pose run on its
pieces, not from 8 hours of pose).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import platform
import resource
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import cv2

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from etiquette_cv.geometry.calibration import load_calibration  # noqa: E402
from etiquette_cv.models import quiet_mediapipe  # noqa: E402
from etiquette_cv.people.config import PeopleConfig  # noqa: E402
from etiquette_cv.people.native_memory import limit_malloc_arenas  # noqa: E402
from etiquette_cv.pipeline import run_people  # noqa: E402
from etiquette_cv.pipeline.people_run import people_config  # noqa: E402
from etiquette_cv.pipeline.review_run import review  # noqa: E402
from etiquette_cv.io.video import VideoSource  # noqa: E402
from memory_days import memory_days  # noqa: E402


def rss_mb() -> float:
    """Current resident memory of this process in MB (Linux /proc)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


@contextmanager
def rss_sampled(every_s: float = 0.5):
    """Within the block, this process's resident memory (MB) sampled every ``every_s`` seconds into the list
    yielded."""
    samples: list[float] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            samples.append(rss_mb())
            time.sleep(every_s)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield samples
    finally:
        stop.set()
        sampler.join()


def loop_video(src: Path, minutes: float, out: Path) -> Path:
    """Write ``src`` repeated until it lasts ``minutes`` (MJPG AVI: fast to write and decode)."""
    cap = cv2.VideoCapture(str(src))
    fps = cap.get(cv2.CAP_PROP_FPS)
    frames = []
    while True:
        ok, img = cap.read()
        if not ok:
            break
        frames.append(img)
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    need = int(minutes * 60 * fps)
    for i in range(need):
        writer.write(frames[i % len(frames)])
    writer.release()
    return out


DAY_VISIT_CLIPS_PER_8H = 60
"""Visits per 8 hours in the synthetic day."""
VISIT_TO_S = 25.2
"""The visit cut from the reception sample: customer 1 walks in (in view from the first frame), the clerk stands,
greets with a 15° bow, sits, stands again, bows 30° as the customer leaves, and is seated again at 25.0 s — where
the idle stretch begins, so the day has no jump but the customer popping in at the image edge."""
IDLE_FROM_S, IDLE_TO_S = 25.2, 26.9
"""Stretch of the reception sample with the clerk seated and nobody else in view (the sit-down ends at 25.0 s,
customer 2 enters at 27.0 s): the day's idle footage is this stretch played forward and backward (no cut), looped."""
IDLE_BLOCK_S = 60.0


def _x264(args: list[str], out: Path) -> None:
    """Run ffmpeg, encoding H.264 at 10 fps with fixed settings so that segments can be joined without re-encoding."""
    cmd = ["ffmpeg", "-loglevel", "error", "-y", *args, "-an", "-c:v", "libx264", "-preset", "ultrafast",
           "-pix_fmt", "yuv420p", "-r", "10", "-g", "50", "-video_track_timescale", "10240", str(out)]
    subprocess.run(cmd, check=True)


def day_layout(hours: float) -> tuple[int, int, float]:
    """How :func:`synthetic_day` fills ``hours``: visits, idle blocks after each, and the block's length (s)."""
    clips = max(1, round(DAY_VISIT_CLIPS_PER_8H * hours / 8))
    idle_s = max(0.0, (hours * 3600 - clips * VISIT_TO_S) / clips)
    period_s = 2 * (IDLE_TO_S - IDLE_FROM_S)
    block_s = period_s * max(1, round(IDLE_BLOCK_S / period_s))
    return clips, max(0, round(idle_s / block_s)), block_s


def synthetic_day(sample: Path, hours: float, folder: Path) -> tuple[Path, list[float], Path]:
    """An H.264 camera day of ``hours``: a visit cut from the sample every so often, the idle stretch between.
    Returns the file, the start time (s) of each copy of the sample in it, and the re-encoded sample itself."""
    folder.mkdir(parents=True, exist_ok=True)
    clips, blocks, block_s = day_layout(hours)
    visit_s = VISIT_TO_S
    visit, idle, pingpong = folder / "visit.mp4", folder / "idle.mp4", folder / "pingpong.mp4"
    _x264(["-i", str(sample), "-t", str(VISIT_TO_S)], visit)
    _x264(["-ss", str(IDLE_FROM_S), "-t", str(IDLE_TO_S - IDLE_FROM_S), "-i", str(sample), "-filter_complex",
           "[0:v]split[a][b];[b]reverse[r];[a][r]concat=n=2:v=1"], pingpong)
    # one idle block of whole ping-pong periods, listed as often as needed (joining is a copy, not an encode)
    period_s = 2 * (IDLE_TO_S - IDLE_FROM_S)
    _x264(["-stream_loop", str(round(block_s / period_s) - 1), "-i", str(pingpong)], idle)
    idle_s = blocks * block_s
    listing = folder / "day.txt"
    listing.write_text("".join(f"file '{visit}'\n" + f"file '{idle}'\n" * blocks for _ in range(clips)))
    day = folder / f"day_{hours:g}h.mp4"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing),
                    "-c", "copy", str(day)], check=True)
    print(f"synthetic day: {day.name}: {clips} visits of {visit_s:g} s, each followed by {idle_s:.0f} s idle")
    visit_len = VideoSource(visit).info.duration_s or visit_s
    return day, [k * (visit_len + idle_s) for k in range(clips)], visit


GRADED_KINDS = ("stand_greet", "stand_send_off", "bow_expected", "bow_graded", "absent")
"""The per-visit clerk rules compared between the day and the sample reviewed alone."""


def verdicts(result, start_s: float, end_s: float) -> list[tuple[str, str, float]]:
    """(rule id, verdict, start relative to ``start_s``) of the per-visit findings starting in [start_s, end_s)."""
    return sorted((f.rule_id, f.verdict.value, round(f.start_s - start_s, 1)) for f in result.findings
                  if f.rule_kind in GRADED_KINDS and start_s <= f.start_s < end_s)


def compare_day(day_result, offsets: list[float], sample: Path, calibration: str, tmp: Path) -> None:
    """Per copy of the sample in the day: the same per-visit verdicts as the sample (re-encoded as in the day)
    reviewed alone, every sampled frame analysed? (Speed, and a long video, must not change them.)"""
    alone, _ = review(sample, calibration, tmp / "alone", quiet_every=1)
    length = VideoSource(sample).info.duration_s or VISIT_TO_S
    want = [(r, v) for r, v, _ in verdicts(alone, 0.0, length)]
    same = 0
    for k, off in enumerate(offsets):
        got = [(r, v) for r, v, _ in verdicts(day_result, off, off + length)]
        same += got == want
        if got != want:
            print(f"  copy {k + 1} at {off:.0f} s: {got} (alone: {want})")
    print(f"per-visit verdicts (站接, 站送, bows, absence) as the sample reviewed alone at every frame: "
          f"{same} of {len(offsets)} copies ({len(want)} verdicts each)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("video", nargs="?", default=str(REPO / "sample_videos" / "reception.mp4"))
    ap.add_argument("--calibration", default=str(REPO / "calibration" / "reception.yaml"))
    ap.add_argument("--model", default="full")
    ap.add_argument("--fps", type=float, default=10.0)
    ap.add_argument("--loop-minutes", type=float, default=0.0)
    ap.add_argument("--day-hours", type=float, default=0.0)
    ap.add_argument("--detect-gate", type=int, default=PeopleConfig().detect_gate.max_skip_frames,
                    help="periodic detector runs skipped in a row at most while nothing moves outside the posed "
                         "people (0: off, the default)")
    ap.add_argument("--quiet-detect-gate", type=int, default=PeopleConfig().detect_gate.quiet_max_skip_frames,
                    help="the same while the adaptive rate is quiet (with --quiet-every > 1)")
    ap.add_argument("--quiet-every", type=int, default=None,
                    help="adaptive rate: one sampled frame in N analysed while quiet (default: the product's, 1)")
    ap.add_argument("--memory", action="store_true",
                    help="also: peak memory of the review of a synthetic day of 10 min, 1 h and 8 h (memory_days.py)")
    args = ap.parse_args()
    limit_malloc_arenas(PeopleConfig().malloc_arenas)  # as the command line does at its start
    quiet_mediapipe()
    video = Path(args.video)
    tmp = Path(tempfile.mkdtemp(prefix="etiquette-bench-"))
    if args.loop_minutes > 0:
        t = time.perf_counter()
        video = loop_video(video, args.loop_minutes, tmp / "looped.avi")
        print(f"looped clip: {video} ({args.loop_minutes:g} min) written in {time.perf_counter() - t:.0f} s")
    offsets: list[float] = []
    if args.day_hours > 0:
        video, offsets, visit_clip = synthetic_day(video, args.day_hours, tmp)

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.platform()}")
    info = VideoSource(video).info
    print(f"video: {video.name} {info.width}x{info.height}, {info.nominal_fps:g} fps, "
          f"{info.duration_s:.1f} s; analysis at {args.fps:g} fps, model {args.model}, detector runs skipped while "
          f"still: up to {args.detect_gate} in a row ({args.quiet_detect_gate} while quiet)")

    # 1. Decoding alone.
    t = time.perf_counter()
    n = sum(1 for _ in VideoSource(video, analysis_fps=None))
    decode_s = time.perf_counter() - t
    print(f"decode only: {n} frames in {decode_s:.2f} s = {n / decode_s:.0f} frames/s")

    # 2. Pose stage (with memory sampled while it runs).
    cal = load_calibration(args.calibration)
    with rss_sampled() as samples:
        summary = run_people(VideoSource(video, analysis_fps=args.fps), tmp / "tracks.jsonl.gz", cal,
                             people_config(args.model, args.quiet_every, args.detect_gate, args.quiet_detect_gate))
    st = summary.stats
    print(f"people stage: {summary.frames_analysed} analysed frames in {summary.wall_s:.2f} s = "
          f"{summary.analysed_fps:.1f} frames/s, {summary.realtime_factor:.2f}× real time")
    rs = summary.rate
    print(f"  adaptive rate: analysed {rs.frames_analysed} of {rs.frames_seen} sampled frames "
          f"({100 * rs.analysed_share:.1f} %), {rs.motion_triggers} motion triggers, motion check "
          f"{1000 * rs.motion_check_s / max(1, rs.frames_seen - rs.frames_analysed):.2f} ms per skipped frame")
    f = max(st.frames, 1)
    print(f"  per analysed frame: detector {1000 * st.detector_s / f:.1f} ms ({st.detector_runs} runs, "
          f"{1000 * st.detector_s / max(st.detector_runs, 1):.0f} ms each), landmarkers "
          f"{1000 * st.landmarker_s / f:.1f} ms ({st.landmarker_calls} calls, "
          f"{1000 * st.landmarker_s / max(st.landmarker_calls, 1):.0f} ms each), tracker {1000 * st.tracker_s / f:.2f} ms")
    model_s = st.detector_s + st.landmarker_s
    print(f"  bare model calls (detector + landmarkers, summed over threads) {model_s:.2f} s; pipeline wall "
          f"{summary.wall_s / model_s:.2f}× that sum; {st.tracks} tracks, {st.landmarkers_opened} landmarkers "
          f"opened, {st.restarts} restarts; {st.lost_searches} lost-person searches (of the detector runs), "
          f"{st.lost_found} found")
    if samples:
        third = max(1, len(samples) // 3)
        print(f"  memory (RSS): first third max {max(samples[:third]):.0f} MB, last third max "
              f"{max(samples[-third:]):.0f} MB, overall max {max(samples):.0f} MB")

    # 3. The whole review from the same tracks (analysis + rules + reports + keyframes) and end to end.
    t = time.perf_counter()
    result, outputs = review(video, args.calibration, tmp / "review", tracks_path=tmp / "tracks.jsonl.gz")
    regrade_s = time.perf_counter() - t
    print(f"analysis + rules + reports + keyframes from tracks: {regrade_s:.2f} s "
          f"({len(result.findings)} findings, {len(outputs.keyframes)} keyframes)")
    total = summary.wall_s + regrade_s
    print(f"whole review: {total:.2f} s for {summary.video_duration_s:.1f} s of video = "
          f"{summary.video_duration_s / total:.2f}× real time")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS): {peak:.0f} MB")
    if offsets:
        compare_day(result, offsets, visit_clip, args.calibration, tmp)
    if args.memory:
        memory_days(Path(args.video), args.calibration, args.model, args.quiet_every, tmp, synthetic_day, day_layout,
                    cal)


if __name__ == "__main__":
    main()
