"""``etiquette regrade``: re-grade a folder of archived tracks files in parallel (Ray) into the event store."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..geometry.calibration import CalibrationError, load_calibration
from ..pipeline.regrade import RegradeJob, RegradeOutcome, regrade as run_regrade, tracks_files
from ..rules.rulebook import RulebookError, load_rulebook
from ..store import StoreError, open_store
from .common import console, err_console, fail
from .exit_codes import EXIT_BAD_INPUT


def _parse_start(text: str) -> float:
    """``--start``: seconds since the Unix epoch, or ISO 8601 with a UTC offset (``2026-11-20T09:00:00+08:00``)."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        fail(f"--start: not a time: {text!r} (epoch seconds or ISO 8601 with an offset)")
    if t.tzinfo is None:
        fail(f"--start: {text!r} has no UTC offset (e.g. +08:00)")
    return t.timestamp()


def regrade(
    tracks_dir: Annotated[Path, typer.Argument(help="Folder of tracks files (*.jsonl.gz, *.jsonl), searched "
                                                    "recursively.")],
    calibration: Annotated[Path, typer.Option("--calibration", "-c", help="The camera's calibration YAML.")],
    store: Annotated[str, typer.Option("--store", help="Event store to write (SQLite file or postgresql://…).")],
    rulebook: Annotated[Optional[Path], typer.Option(help="Rulebook YAML (default: the shipped one).")] = None,
    branch: Annotated[str, typer.Option(help="Branch name of the events.")] = "branch",
    camera: Annotated[Optional[str], typer.Option(help="Camera name of the events (default: the calibration "
                                                       "file's name without suffix).")] = None,
    start: Annotated[Optional[str], typer.Option(help="Wall-clock time of t = 0 for a single tracks file whose "
                                                      "header has none.")] = None,
    workers: Annotated[Optional[int], typer.Option(min=1, help="CPUs for the local Ray (default: all).")] = None,
    address: Annotated[Optional[str], typer.Option(help="Ray cluster address (default: start Ray locally).")]
    = None,
    serial: Annotated[bool, typer.Option("--serial", help="One file after another in this process, no Ray.")]
    = False,
) -> None:
    """Re-grade every tracks file in TRACKS_DIR (one Ray task per file); the new events replace the graded events
    of each file's span in the store."""
    try:
        files = tracks_files(tracks_dir)
        load_rulebook(rulebook)            # bad input fails here, before any task starts
        load_calibration(calibration)
    except (FileNotFoundError, RulebookError, CalibrationError) as exc:
        fail(str(exc))
    if not files:
        fail(f"{tracks_dir}: no tracks files (*.jsonl.gz, *.jsonl)")
    if start is not None and len(files) > 1:
        fail(f"--start applies to a single tracks file; {tracks_dir} has {len(files)} (their headers must carry "
             "start_epoch_s)")
    origin = _parse_start(start) if start is not None else None
    cam = camera or calibration.name.split(".")[0]
    jobs = [RegradeJob(f, calibration, rulebook, branch, cam, origin) for f in files]

    def done(o: RegradeOutcome) -> None:
        if o.error is not None:
            err_console.print(f"[red]skipped[/] {o.error}", highlight=False)
        else:
            console.print(f"{Path(o.tracks).name}: {len(o.events)} events, {o.duration_s:.0f} s of video in "
                          f"{o.compute_s:.2f} s", highlight=False)

    try:
        with open_store(store) as s:
            summary = run_regrade(jobs, s, parallel=not serial, num_cpus=workers, address=address, on_done=done)
    except StoreError as exc:
        fail(str(exc))
    ok = len(summary.outcomes) - len(summary.failed)
    console.print(f"re-graded {ok}/{len(files)} tracks files in {summary.wall_s:.1f} s on {summary.workers} "
                  f"worker(s); {summary.added} events stored in {store}, {summary.replaced} of an earlier grading "
                  "replaced", highlight=False)
    if summary.failed:
        raise typer.Exit(EXIT_BAD_INPUT)
