"""``etiquette review``: grade a counter video against the rulebook (findings, report, keyframes, a summary)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..geometry.calibration import CalibrationError
from ..io.tracks import TracksError
from ..io.video import VideoError, parse_source
from ..models import ModelError, quiet_mediapipe
from ..pipeline.review_run import review as run_review
from ..report.terminal import summary_table
from ..rules.rulebook import RulebookError
from .common import (DetectGateOption, QuietDetectGateOption, QuietEveryOption, ResumeOption, console, err_console,
                     fail, make_progress)
from .exit_codes import EXIT_INCOMPLETE, EXIT_NOBODY


def review(
    video: Annotated[Optional[str], typer.Argument(help="Video file of the counter camera (omit with --tracks).")] = None,
    calibration: Annotated[Optional[Path], typer.Option(
        "--calibration", "-c", help="Camera calibration YAML (without one, people are tracked but no rule can be "
        "assessed: every rule needs the floor).")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for findings.json/.csv, report.html, keyframes.")]
    = Path("out/review"),
    rulebook: Annotated[Optional[Path], typer.Option(help="Rulebook YAML (default: the shipped one).")] = None,
    tracks: Annotated[Optional[Path], typer.Option(help="Re-grade this tracks file instead of running pose.")] = None,
    lang: Annotated[str, typer.Option(help="Report language: zh or en.")] = "zh",
    fps: Annotated[float, typer.Option(help="Analysis rate in frames per second.")] = 10.0,
    model: Annotated[str, typer.Option(help="Pose model: lite, full, or a path to a .task bundle.")] = "full",
    annotate: Annotated[Optional[Path], typer.Option(help="Also write an annotated video (H.264 MP4).")] = None,
    refine: Annotated[Optional[str], typer.Option(help="Second pass: re-measure the clerk's standing intervals with "
                      "this pose model (e.g. heavy, built by tools/build_models.py).")] = None,
    quiet_every: QuietEveryOption = None,
    detect_gate: DetectGateOption = 0,
    quiet_detect_gate: QuietDetectGateOption = None,
    resume: ResumeOption = False,
    no_blur: Annotated[bool, typer.Option("--no-blur", help="Do not blur customers' faces in images and video.")]
    = False,
    tickets: Annotated[Optional[Path], typer.Option(help="Queue-ticket CSV (ticket, issued, called, finished): its "
                                                         "waiting and handling times prevail (DB 表2 注3).")] = None,
) -> None:
    """Grade a counter video against the rulebook: findings.json/.csv, report.html with keyframes, a summary."""
    quiet_mediapipe()
    if lang not in ("zh", "en"):
        fail(f"--lang: expected zh or en, got {lang!r}")
    if video is None and tracks is None:
        fail("give a video, or --tracks to re-grade a tracks file")
    progress = make_progress()
    t0 = time.perf_counter()
    count = [0]
    try:
        with progress:
            task = progress.add_task("review", total=None, rate=0.0)

            def tick(_poses) -> None:
                count[0] += 1
                progress.update(task, advance=1, rate=count[0] / max(time.perf_counter() - t0, 1e-9))

            result, outputs = run_review(parse_source(video) if video else None, calibration, out, tracks_path=tracks,
                                         rulebook=rulebook, lang=lang, fps=fps, model=model, annotate=annotate,
                                         blur=not no_blur, on_frame=tick, tickets=tickets, refine=refine,
                                         quiet_every=quiet_every, resume=resume, detect_gate=detect_gate,
                                         quiet_detect_gate=quiet_detect_gate)
    except (VideoError, ModelError, TracksError, CalibrationError, RulebookError, ValueError, OSError) as exc:
        fail(str(exc))
    console.print(summary_table(result, lang))
    score = "—" if result.score is None else f"{result.score:.0f}/100"
    console.print(f"score {score}; {len(result.findings)} findings, {len(result.visits)} visits; "
                  f"report: {outputs.report_html}" + (f"; annotated video: {outputs.annotated_video}"
                                                     if outputs.annotated_video else ""), highlight=False)
    if result.problem:
        fail(f"{result.problem}; the review covers what was read and is written to {outputs.out_dir}", EXIT_INCOMPLETE)
    if not any(result.coverage.visible_s.values()) and not result.visits:
        err_console.print(f"[yellow]warning:[/] {video or tracks}: nobody was found: nothing to grade", highlight=False)
        raise typer.Exit(EXIT_NOBODY)
