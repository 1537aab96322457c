"""``etiquette score``: score a recorded role-play against a trainer-mode scenario (score.json, score.html)."""

from __future__ import annotations

import time
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..geometry.calibration import CalibrationError
from ..io.tracks import TracksError
from ..io.video import VideoError, parse_source
from ..models import ModelError, quiet_mediapipe
from ..pipeline.score_run import score_video
from ..rules.rulebook import RulebookError
from ..training.scenario import ScenarioError
from ..training.texts import AVOID_TEXT, verdict_text
from ..geometry.image_line import parse_image_line
from ..training.trainee import parse_trainee_hint
from .common import console, err_console, fail, make_progress
from .exit_codes import EXIT_NOBODY


def score(
    video: Annotated[Optional[str], typer.Argument(help="Video of the role-play (omit with --tracks).")] = None,
    scenario: Annotated[str, typer.Option("--scenario", "-s", help="Scenario YAML, or a shipped one: reception, "
                                          "farewell, apology, documents, handshake.")] = "reception",
    calibration: Annotated[Optional[Path], typer.Option(
        "--calibration", "-c", help="Camera calibration YAML (without one, the 2 m cue is not assessable, bow classes "
        "only when the trainee is seen turned ≥ 30° from the camera; sit/stand is read from the image).")] = None,
    cue_line: Annotated[Optional[str], typer.Option(
        "--cue-line", help="Without a calibration: the 2 m line marked on the floor (tape), its two ends in the "
        "video's pixels as x1,y1,x2,y2; a customer's feet crossing it toward the counter give the 2 m cue.")] = None,
    trainee: Annotated[str, typer.Option(help="Who the trainee is when the automatic choice is wrong: left, right, "
                                         "centre (in the image), #N (the person number a score sheet showed), or "
                                         "with a calibration the clerk's station name.")] = "auto",
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for score.json, score.html, keyframes.")]
    = Path("out/score"),
    rulebook: Annotated[Optional[Path], typer.Option(help="Rulebook YAML (default: the shipped one).")] = None,
    tracks: Annotated[Optional[Path], typer.Option(help="Score this tracks file instead of running pose.")] = None,
    lang: Annotated[str, typer.Option(help="Score sheet language: zh or en.")] = "zh",
    fps: Annotated[float, typer.Option(help="Analysis rate in frames per second.")] = 10.0,
    model: Annotated[str, typer.Option(help="Pose model: lite, full, or a path to a .task bundle.")] = "full",
    annotate: Annotated[Optional[Path], typer.Option(help="Also write a coaching video (H.264 MP4): the trainee's "
                                                    "skeleton, live trunk angle, each step's verdict.")] = None,
    live: Annotated[bool, typer.Option("--live", help="While the video (or camera: give its index, e.g. 0) is read, "
                                       "print the live trunk angle, the next step and each step's verdict.")] = False,
    live_every: Annotated[float, typer.Option(help="With --live: score again every this many seconds of video.")]
    = 2.0,
) -> None:
    """Score a role-play against a scenario: each step done / late / wrong class / wrong form / missing, points."""
    quiet_mediapipe()
    if lang not in ("zh", "en"):
        fail(f"--lang: expected zh or en, got {lang!r}")
    if video is None and tracks is None:
        fail("give a video, or --tracks to score a tracks file")
    try:
        who = parse_trainee_hint(trainee)
        line = parse_image_line(cue_line) if cue_line is not None else None
    except ValueError as exc:
        fail(str(exc))
    if line is not None and calibration is not None:
        fail("--cue-line is for a recording without a floor calibration: with --calibration the 2 m cue is measured "
             "on the calibrated floor; give one or the other")
    progress = make_progress() if not live else None
    t0 = time.perf_counter()
    count = [0]
    try:
        with progress or nullcontext():
            task = progress.add_task("score", total=None, rate=0.0) if progress else None

            def tick(_poses) -> None:
                count[0] += 1
                if progress is not None:
                    progress.update(task, advance=1, rate=count[0] / max(time.perf_counter() - t0, 1e-9))

            result, outputs = score_video(parse_source(video) if video else None, scenario, out,
                                          calibration=calibration, tracks_path=tracks, rulebook=rulebook, lang=lang,
                                          fps=fps, model=model, annotate=annotate, on_frame=tick,
                                          live=(lambda line: console.print(line, highlight=False, markup=False))
                                          if live else None, live_every_s=live_every, trainee=who, cue_line=line)
    except (VideoError, ModelError, TracksError, CalibrationError, RulebookError, ScenarioError, ValueError,
            OSError) as exc:
        fail(str(exc))
    for n, s in enumerate(result.steps, 1):
        msg = s.message_zh if lang == "zh" else s.message_en
        console.print(f"{n}. {s.title_zh if lang == 'zh' else s.title_en}: "
                      f"[bold]{verdict_text(s.verdict, lang)}[/]  {msg}", highlight=False, markup=True)
    for e in result.to_avoid:
        what = AVOID_TEXT[e.kind][lang][0]
        console.print(f"{'应避免' if lang == 'zh' else 'to avoid'}: {what} {e.start_s:.1f}–{e.end_s:.1f} s",
                      highlight=False, markup=False)
    pct = "—" if result.score_pct is None else f"{result.score_pct:.0f}/100"
    console.print(f"score {pct} ({result.points_awarded:g} of {result.points_possible:g} points assessable); "
                  f"score sheet: {outputs.score_html}" + (f"; coaching video: {outputs.coaching_video}"
                                                          if outputs.coaching_video else ""), highlight=False)
    if result.score_pct is None and not any(s.event for s in result.steps):
        err_console.print(f"[yellow]warning:[/] {video or tracks}: no step could be assessed and no event was found",
                          highlight=False)
        raise typer.Exit(EXIT_NOBODY)
