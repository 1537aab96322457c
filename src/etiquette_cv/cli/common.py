"""What the commands share: the consoles, one-line errors with their exit codes, the progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..geometry.calibration import Calibration, CalibrationError, load_calibration
from ..geometry.solver import solve_camera
from .exit_codes import EXIT_BAD_INPUT

QuietEveryOption = Annotated[Optional[int], typer.Option(
    "--quiet-every", min=1, help="Adaptive rate: while nothing happens (nobody near the counter, the clerk seated "
    "and still) analyse one sampled frame in N; motion brings every frame back at once. Default 1 (every sampled "
    "frame); 4 reviews a mostly idle camera day ~3x faster at a measured cost (README).")]
DetectGateOption = Annotated[int, typer.Option(
    "--detect-gate", min=0, help="Skip up to N periodic person-detector runs in a row while nothing moves outside "
    "the people already posed. Default 0 (off); 2 reviewed an idle camera hour 1.2x faster at a measured cost "
    "(README).")]
QuietDetectGateOption = Annotated[Optional[int], typer.Option(
    "--quiet-detect-gate", min=0, help="While the adaptive rate is quiet (--quiet-every above 1), skip up to N "
    "periodic person-detector runs in a row while nothing moves outside the people already posed. Default 4; 0 "
    "runs the detector on its schedule (README).")]
ResumeOption = Annotated[bool, typer.Option(
    "--resume", help="Continue the tracks an interrupted run left (a crash, a kill): the frames already analysed "
    "are kept, the video is read on from after the last of them.")]

console = Console()
err_console = Console(stderr=True, soft_wrap=True)


def fail(message: str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    """Print a one-line error and exit with ``code`` (raises; typed as returning so callers may ``raise`` it)."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def make_progress() -> Progress:
    """A rich progress bar that shows analysed frames and frames/s."""
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>6.1f} frames/s"), TimeElapsedColumn(),
        console=err_console, transient=True,
    )


def load_checked_calibration(path: Path, width: int, height: int) -> Calibration:
    """A calibration file loaded, solved (to check it) and matched to the video's size (pixels); exits on a
    problem."""
    try:
        cal = load_calibration(path)
        solve_camera(cal)
    except CalibrationError as exc:
        fail(str(exc))
    if (cal.image_width, cal.image_height) != (width, height):
        fail(f"{path}: calibrated for {cal.image_width}x{cal.image_height} images but the video is {width}x{height}")
    return cal
