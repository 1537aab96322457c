"""``etiquette pose``: find, track and pose every person in a video and write their tracks."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from ..io.tracks import TracksError
from ..io.video import VideoError, VideoSource, parse_source
from ..models import ModelError, quiet_mediapipe
from ..pipeline.people_run import people_config, run_people
from .common import (QuietEveryOption, ResumeOption, console, err_console, fail, load_checked_calibration,
                     make_progress)
from .exit_codes import EXIT_INCOMPLETE, EXIT_NOBODY


def pose(
    video: Annotated[str, typer.Argument(help="Video file (mp4/avi/mkv/mov), camera index or rtsp/http URL.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Tracks file to write (.jsonl or .jsonl.gz).")],
    calibration: Annotated[Optional[Path], typer.Option(
        "--calibration", "-c", help="Camera calibration YAML: floor points and roles (clerk/customer) come from it; "
        "without one people are tracked with the role 'unknown'.")] = None,
    fps: Annotated[float, typer.Option(help="Analysis rate in frames per second.")] = 10.0,
    model: Annotated[str, typer.Option(help="Pose model: lite, full, or a path to a PoseLandmarker .task bundle.")] = "full",
    annotate: Annotated[Optional[Path], typer.Option(help="Also write a video with the skeletons drawn.")] = None,
    quiet_every: QuietEveryOption = None,
    resume: ResumeOption = False,
    start: Annotated[float, typer.Option(help="Start at this time (s).")] = 0.0,
    end: Annotated[Optional[float], typer.Option(help="Stop at this time (s).")] = None,
) -> None:
    """Find, track and pose every person in a video and write their tracks."""
    quiet_mediapipe()
    try:
        source = VideoSource(parse_source(video), analysis_fps=fps, start_s=start, end_s=end)
        cal = load_checked_calibration(calibration, source.info.width, source.info.height) if calibration else None
    except (VideoError, ModelError) as exc:
        fail(str(exc))
    expected = None
    if source.info.duration_s:
        span = (end if end is not None else source.info.duration_s) - start
        expected = max(1, int(span * fps) + 1)
    summary = None
    with make_progress() as progress:
        task = progress.add_task("people", total=expected, rate=0.0)
        t0 = time.perf_counter()
        count = [0]

        def tick(poses) -> None:
            count[0] += 1
            # progress by video time: the adaptive rate skips sampled frames where nothing happens
            done = int((poses.timestamp_s - start) * fps) + 1
            progress.update(task, completed=done, rate=count[0] / max(time.perf_counter() - t0, 1e-9))

        try:
            summary = run_people(source, out, cal, people_config(model, quiet_every), annotate, on_frame=tick,
                                 resume=resume)
        except (VideoError, ModelError, TracksError, OSError, ValueError) as exc:
            fail(f"{exc} (frames analysed so far are in {out})")
    if summary.already_complete:
        console.print(f"{out}: already complete ({summary.frames_analysed} frames): nothing to resume",
                      highlight=False)
        return
    _print_pose_summary(summary)
    if summary.problem:
        fail(f"{summary.problem}; the {summary.frames_analysed} frames analysed are written to {out}", EXIT_INCOMPLETE)
    if summary.nobody_found:
        err_console.print(f"[yellow]warning:[/] {video}: nobody was found ({summary.frames_analysed} frames "
                          f"analysed)", highlight=False)
        raise typer.Exit(EXIT_NOBODY)


def _print_pose_summary(summary) -> None:
    s = summary.stats
    table = Table(title=f"people tracks: {summary.source}", show_header=True)
    for col in ("tracks", "person-frames", "detector runs", "landmarker calls", "detector ms", "landmarker ms"):
        table.add_column(col, justify="right")
    table.add_row(str(s.tracks), str(s.person_frames), str(s.detector_runs), str(s.landmarker_calls),
                  f"{1000 * s.detector_s / max(s.detector_runs, 1):.0f}",
                  f"{1000 * s.landmarker_s / max(s.landmarker_calls, 1):.0f}")
    console.print(table)
    console.print(
        f"frames read {summary.frames_decoded}, analysed {summary.frames_analysed} "
        f"({100 * summary.rate.analysed_share:.0f} % of the sampled: the adaptive rate) "
        f"in {summary.wall_s:.1f} s ({summary.analysed_fps:.1f} frames/s, {summary.realtime_factor:.2f}× real time)"
        f"\ntracks: {summary.tracks_path}" + (f"\nannotated video: {summary.annotated_path}" if summary.annotated_path else ""),
        highlight=False,
    )
