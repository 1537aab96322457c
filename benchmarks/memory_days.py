"""Peak memory of the whole review of a synthetic camera day of 10 minutes, 1 hour and 8 hours (used by
``throughput.py --memory``).

The pose stage is run once, on the day's two pieces (the visit clip and one idle block, see
:func:`throughput.synthetic_day`); each day's tracks are those pieces' tracks laid end to end exactly as the day's
video lays the pieces (times and frame indices shifted, new customer ids per copy), so the review of the day's video
with those tracks (``review --tracks``: grading, scene checks decoding the day, keyframes, service times, reports)
is the review of a pose run on the whole day without running pose for 8 hours. Each review runs in a process of its
own, so its peak resident memory is its own. The pose stage's own memory over a long run is measured by
``--day-hours 1`` (first and last third).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable

from etiquette_cv.core import FramePoses
from etiquette_cv.io.tracks import TracksFooter, TracksWriter, read_tracks
from etiquette_cv.io.video import VideoSource
from etiquette_cv.pipeline import run_people
from etiquette_cv.pipeline.people_run import people_config

DAY_LENGTHS_H = (10 / 60, 1.0, 8.0)
ID_STRIDE = 1000
"""Customer ids of the n-th piece of a day are the piece's own plus n times this."""


def piece_tracks(clip: Path, calibration, model: str, quiet_every: int | None, out: Path) -> Path:
    """The pose stage's tracks of one piece of the day (10 analysed frames per second)."""
    run_people(VideoSource(clip, analysis_fps=10.0), out, calibration, people_config(model, quiet_every))
    return out


def write_day_tracks(path: Path, pieces: list[tuple[Path, Path]], layout: list[int]) -> int:
    """The tracks of a day made of the pieces (``(clip, tracks)``) in the order of ``layout`` (indices into
    ``pieces``): each piece's frames shifted by the time and frames of the clips before it. Returns the frames
    written."""
    loaded = [(VideoSource(clip).info, read_tracks(tracks)) for clip, tracks in pieces]
    header = loaded[0][1].header
    t0, index0, written = 0.0, 0, 0
    with TracksWriter(path, header) as writer:
        for n, which in enumerate(layout):
            info, tracks = loaded[which]
            for f in tracks.frames:
                persons = [p if p.role == "clerk" else replace(p, track_id=p.track_id + ID_STRIDE * (n + 1))
                           for p in f.persons]
                writer.write_frame(FramePoses(index0 + f.frame_index, round(t0 + f.timestamp_s, 6),
                                              f.image_width, f.image_height, persons))
                written += 1
            t0 += info.duration_s
            index0 += info.frame_count if info.frame_count else round(info.duration_s * info.nominal_fps)
        writer.close(TracksFooter(index0, written, True))
    return written


def review_in_child(video: Path, tracks: Path, calibration: str, out: Path) -> dict:
    """``review --tracks`` of one day in a process of its own; its peak memory (VmHWM: a child's ``ru_maxrss``
    starts from its parent's resident size when forked), wall time and result counts."""
    code = ("import json, sys, time; sys.path.insert(0, sys.argv[1]);"
            "from etiquette_cv.models import quiet_mediapipe; quiet_mediapipe();"
            "from etiquette_cv.pipeline.review_run import review;"
            "t = time.perf_counter();"
            "r, o = review(sys.argv[2], sys.argv[4], sys.argv[5], tracks_path=sys.argv[3]);"
            "print(json.dumps({'wall_s': time.perf_counter() - t, 'findings': len(r.findings),"
            " 'keyframes': len(o.keyframes), 'frames': r.analysed_frames,"
            " 'peak_rss_mb': [int(l.split()[1]) / 1024 for l in open('/proc/self/status')"
            "                 if l.startswith('VmHWM')][0]}))")
    src = str(Path(__file__).resolve().parents[1] / "src")
    proc = subprocess.run([sys.executable, "-c", code, src, str(video), str(tracks), calibration, str(out)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"review of {video.name} failed: {proc.stderr.strip().splitlines()[-1:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def memory_days(sample: Path, calibration: str, model: str, quiet_every: int | None, tmp: Path,
                synthetic_day: Callable, day_layout: Callable, cal) -> None:
    """Print the peak memory of the review of a synthetic day of each length in :data:`DAY_LENGTHS_H`, built by
    ``synthetic_day`` (laid out as ``day_layout`` says: visits, idle blocks after each, block length)."""
    folder = tmp / "memory"
    folder.mkdir(exist_ok=True)
    t = time.perf_counter()
    days = {h: synthetic_day(sample, h, folder / f"{h:g}h") for h in DAY_LENGTHS_H}
    piece_dir = folder / f"{DAY_LENGTHS_H[-1]:g}h"
    visit, idle = piece_dir / "visit.mp4", piece_dir / "idle.mp4"
    pieces = [(visit, piece_tracks(visit, cal, model, quiet_every, folder / "visit.jsonl")),
              (idle, piece_tracks(idle, cal, model, quiet_every, folder / "idle.jsonl"))]
    print(f"memory by day length (pose run once on the visit clip and one idle block, {time.perf_counter() - t:.0f} s;"
          f" each day's tracks laid out from them as its video is; review --tracks of the day's video in a process"
          f" of its own: grading, scene checks, keyframes, reports):")
    for hours, (video, _offsets, _visit) in days.items():
        tracks = folder / f"day_{hours:g}h.tracks.jsonl"
        clips, blocks, _block_s = day_layout(hours)
        frames = write_day_tracks(tracks, pieces, ([0] + [1] * blocks) * clips)
        got = review_in_child(video, tracks, calibration, folder / f"review_{hours:g}h")
        print(f"  {hours * 60:4.0f} min day: {frames} analysed frames, {got['findings']} findings, "
              f"{got['keyframes']} keyframes, review {got['wall_s']:.0f} s; peak memory (max RSS) "
              f"{got['peak_rss_mb']:.0f} MB")
    print(f"  (this process, which ran the pose stage on the pieces: max RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)")
