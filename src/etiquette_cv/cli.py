"""The `etiquette` command line: a thin layer over the library API.

Exit codes: 0 success; 1 the run finished but found nobody / nothing to grade; 2 bad input (file, option,
calibration, rulebook); 3 the input ended early (truncated file, dropped stream) — what was computed is written.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .models import ModelError, quiet_mediapipe
from .people.stage import PeopleConfig
from .pipeline import run_people
from .tracks import TracksError
from .video import VideoError, VideoSource, parse_source

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Service-counter etiquette inspector: pose tracks, calibration, review against the rulebook.")
console = Console()
err_console = Console(stderr=True, soft_wrap=True)



@app.callback()
def _main() -> None:
    """Service-counter etiquette inspector."""


EXIT_NOBODY = 1
EXIT_BAD_INPUT = 2
EXIT_INCOMPLETE = 3


def fail(message: str, code: int = EXIT_BAD_INPUT) -> None:
    """Print a one-line error and exit with ``code``."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def make_progress() -> Progress:
    """A rich progress bar that shows analysed frames and frames/s."""
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>6.1f} frames/s"), TimeElapsedColumn(),
        console=err_console, transient=True,
    )


@app.command()
def pose(
    video: Annotated[str, typer.Argument(help="Video file (mp4/avi/mkv/mov), camera index or rtsp/http URL.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Tracks file to write (.jsonl or .jsonl.gz).")],
    calibration: Annotated[Optional[Path], typer.Option(
        "--calibration", "-c", help="Camera calibration YAML: floor points and roles (clerk/customer) come from it; "
        "without one people are tracked with the role 'unknown'.")] = None,
    fps: Annotated[float, typer.Option(help="Analysis rate in frames per second.")] = 10.0,
    model: Annotated[str, typer.Option(help="Pose model: lite, full, or a path to a PoseLandmarker .task bundle.")] = "full",
    annotate: Annotated[Optional[Path], typer.Option(help="Also write a video with the skeletons drawn.")] = None,
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

        def tick(_poses) -> None:
            count[0] += 1
            progress.update(task, advance=1, rate=count[0] / max(time.perf_counter() - t0, 1e-9))

        try:
            summary = run_people(source, out, cal, PeopleConfig(model=model), annotate, on_frame=tick)
        except (VideoError, ModelError, TracksError, OSError) as exc:
            fail(f"{exc} (frames analysed so far are in {out})")
    _print_pose_summary(summary)
    if summary.problem:
        fail(f"{summary.problem}; the {summary.frames_analysed} frames analysed are written to {out}", EXIT_INCOMPLETE)
    if summary.nobody_found:
        err_console.print(f"[yellow]warning:[/] {video}: nobody was found ({summary.frames_analysed} frames "
                          f"analysed)", highlight=False)
        raise typer.Exit(EXIT_NOBODY)


@app.command()
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
    no_blur: Annotated[bool, typer.Option("--no-blur", help="Do not blur customers' faces in images and video.")]
    = False,
) -> None:
    """Grade a counter video against the rulebook: findings.json/.csv, report.html with keyframes, a summary."""
    from .calibration import CalibrationError
    from .report import summary_table
    from .review import review as run_review
    from .rulebook_io import RulebookError

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
                                         blur=not no_blur, on_frame=tick)
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


def load_checked_calibration(path: Path, width: int, height: int):
    """A calibration file loaded, solved (to check it) and matched to the video's size; exits on a problem."""
    from .calibration import CalibrationError, load_calibration, solve_camera

    try:
        cal = load_calibration(path)
        solve_camera(cal)
    except CalibrationError as exc:
        fail(str(exc))
    if (cal.image_width, cal.image_height) != (width, height):
        fail(f"{path}: calibrated for {cal.image_width}x{cal.image_height} images but the video is {width}x{height}")
    return cal


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
        f"in {summary.wall_s:.1f} s ({summary.analysed_fps:.1f} frames/s, {summary.realtime_factor:.2f}× real time)"
        f"\ntracks: {summary.tracks_path}" + (f"\nannotated video: {summary.annotated_path}" if summary.annotated_path else ""),
        highlight=False,
    )


from .cli_calibrate import calibrate  # noqa: E402  (registered after the app exists)

app.command("calibrate")(calibrate)


def main() -> None:  # pragma: no cover - console-script entry
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
