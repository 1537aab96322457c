"""What the commands share: the consoles, one-line errors with their exit codes, the progress bar."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..geometry.calibration import Calibration, CalibrationError, load_calibration
from ..geometry.solver import solve_camera
from .exit_codes import EXIT_BAD_INPUT

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
