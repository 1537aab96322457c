"""``etiquette watch``: watch branch cameras until stopped, committing events, coverage and gaps to the store."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..io.video import VideoError
from ..models import ModelError, quiet_mediapipe
from ..pipeline.camera_file import CameraFileError
from ..pipeline.watch import WatchSettings
from ..pipeline.daily_job import DailyJobSettings
from ..pipeline.watch_run import watch_cameras
from ..pipeline.windows import WindowSettings
from ..report.daily import DailyError, day_window, previous_local_day
from ..rules.rulebook import RulebookError
from ..store import StoreError
from .common import console, fail


def watch(
    cameras: Annotated[list[Path], typer.Argument(help="Camera files (YAML: branch, camera, source, calibration).")],
    store: Annotated[str, typer.Option(help="Event store: a SQLite file path (or sqlite:///path, postgresql://...).")],
    work_dir: Annotated[Optional[Path], typer.Option(help="Folder for the open windows' tracks files (default: "
                                                          "beside the store, <store>.work).")] = None,
    fps: Annotated[float, typer.Option(help="Analysis rate each camera starts at (frames/s).")] = 10.0,
    min_fps: Annotated[float, typer.Option(help="The rate is not lowered below this; beyond, frames are dropped.")]
    = 2.0,
    window_s: Annotated[float, typer.Option(help="Grading window (s): events are graded and stored per window.")]
    = 300.0,
    margin_s: Annotated[float, typer.Option(help="Overlap margin (s) around windows: occasions crossing a "
                                                 "boundary are seen whole up to this length.")] = 60.0,
    watchdog_s: Annotated[float, typer.Option(help="Reopen a stream that delivers no frame for this long (s).")]
    = 20.0,
    backoff_max_s: Annotated[float, typer.Option(help="Longest wait between reconnection attempts (s).")] = 1.0,
    model: Annotated[str, typer.Option(help="Pose model: lite, full, or a path to a .task bundle.")] = "full",
    rulebook: Annotated[Optional[Path], typer.Option(help="Rulebook YAML (default: the shipped one).")] = None,
    keep_tracks: Annotated[bool, typer.Option(help="Keep each window's tracks file (no video is ever kept).")]
    = False,
    retention_days: Annotated[Optional[float], typer.Option(help="Delete stored events and kept tracks older than "
                                                                "this many days.")] = None,
    run_for_s: Annotated[Optional[float], typer.Option(help="Stop by itself after this many seconds.")] = None,
    processes: Annotated[bool, typer.Option(help="One process per camera instead of one thread per camera.")]
    = False,
    reports_dir: Annotated[Optional[Path], typer.Option(help="Where the previous day's report is written after "
                                                             "local midnight (default: beside the store, "
                                                             "<store>.reports).")] = None,
    tz: Annotated[str, typer.Option(help="The branch's time zone (IANA name): when a day starts and ends.")]
    = "Asia/Shanghai",
    no_daily_report: Annotated[bool, typer.Option("--no-daily-report", help="Do not write daily reports.")]
    = False,
) -> None:
    """Watch cameras until SIGINT/SIGTERM: reconnects dropped streams (recording the gaps), grades each window and
    commits its events, and commits coverage about every second (kill -9 loses at most the last second)."""
    quiet_mediapipe()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if retention_days is not None and retention_days <= 0:
        fail(f"--retention-days: expected a positive number of days, got {retention_days}")
    try:
        settings = WatchSettings(
            store=store, work_dir=work_dir or _default_work_dir(store),
            windows=WindowSettings(window_s, margin_s), analysis_fps=fps, min_analysis_fps=min_fps,
            watchdog_s=watchdog_s, backoff_max_s=backoff_max_s, model=model, rulebook=rulebook,
            keep_tracks=keep_tracks, retention_days=retention_days, run_for_s=run_for_s,
            daily=None if no_daily_report else DailyJobSettings(
                reports_dir or _default_work_dir(store).with_suffix(".reports"), tz,
                grace_s=window_s + margin_s + 60.0))
        day_window(previous_local_day(0.0, "UTC"), tz)   # an unknown time zone fails here, before anything runs
        summaries = watch_cameras(cameras, settings, processes=processes)
    except (CameraFileError, VideoError, StoreError, ModelError, RulebookError, DailyError, ValueError,
            OSError) as exc:
        fail(str(exc))
    for s in summaries:
        console.print(f"{s.camera}: {s.frames_analysed} frames analysed of {s.frames_decoded} "
                      f"({100 * s.analysed_share:.0f}%), {s.frames_dropped} dropped, {s.windows_graded} windows "
                      f"graded, {s.events_stored} events stored, {s.outages} outages", highlight=False)


def _default_work_dir(store: str) -> Path:
    """``<store file>.work`` beside a SQLite store; ``watch.work`` in the current folder for a server store."""
    if store.startswith("sqlite:///"):
        store = store[len("sqlite:///"):]
    return Path("watch.work") if "://" in store else Path(f"{store}.work")
