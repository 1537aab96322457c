"""``etiquette calibrate``: solve a camera's calibration file, print its pose and errors, write an overlay PNG.

Registered on the main app by ``app.command("calibrate")(calibrate)``. Exit codes: 0 when the calibration is
usable, 2 when the file is invalid, the frame cannot be read, or the calibration is too inaccurate (the overlay is
still written in that last case, so the bad point can be seen).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import cv2
import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from etiquette_cv.annotate_calibration import APPROACH_DISTANCE_M, draw_calibration_overlay
from etiquette_cv.calibration import CalibrationError, check_camera, load_calibration, solve_camera

__all__ = ["calibrate", "read_frame", "EXIT_BAD_INPUT"]

EXIT_BAD_INPUT = 2
PIPED_WIDTH_CHARS = 140
"""Console width when the output is not a terminal."""
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}


class FrameError(ValueError):
    """A frame that cannot be read; one-line message naming the file."""


def read_frame(path: Path, at_s: float = 0.0) -> np.ndarray:
    """The BGR image of an image file, or of a video's frame at ``at_s`` seconds (first frame by default)."""
    if not path.is_file():
        raise FrameError(f"{path.name}: file not found ({path})")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        img = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if img is None:
            raise FrameError(f"{path.name}: cannot decode the image")
        return img
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise FrameError(f"{path.name}: cannot open as an image or a video")
        fps = cap.get(cv2.CAP_PROP_FPS) or 0.0
        index = int(round(at_s * fps)) if fps > 0 else 0
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        if at_s < 0 or (count > 0 and index >= count):
            raise FrameError(f"{path.name}: --at {at_s:g} s is outside the video ({count / fps if fps else 0:.1f} s)")
        if index > 0:
            cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, img = cap.read()
        if not ok or img is None:
            raise FrameError(f"{path.name}: cannot read a frame at {at_s:g} s")
        return img
    finally:
        cap.release()


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_BAD_INPUT)


def calibrate(
    camera_yaml: Annotated[Path, typer.Argument(help="Calibration file of the camera (YAML, see calibration/README.md).")],
    frame: Annotated[Path, typer.Option("--frame", "-f", help="A frame of the camera: an image, or a video (first "
                                                              "frame or --at).")],
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Overlay PNG to write (default: "
                                                                    "NAME_overlay.png beside the calibration file).")] = None,
    at: Annotated[float, typer.Option("--at", help="Time in seconds of the video frame to use.")] = 0.0,
    approach_m: Annotated[float, typer.Option("--approach-m", help="Distance of the approach line drawn in front of "
                                                                   "the counter, metres.")] = APPROACH_DISTANCE_M,
) -> None:
    """Solve a camera calibration, print camera height/pitch/roll and per-point errors, and write an overlay PNG."""
    if out is None:
        out = camera_yaml.with_name(f"{camera_yaml.stem}_overlay.png")
    console = Console()
    if not console.is_terminal:   # piped or captured: do not wrap the table at 80 columns
        console = Console(width=PIPED_WIDTH_CHARS)
    try:
        cal = load_calibration(camera_yaml)
        cam = solve_camera(cal, check=False)
    except CalibrationError as exc:
        raise _fail(str(exc)) from None
    try:
        image = read_frame(frame, at)
    except FrameError as exc:
        raise _fail(str(exc)) from None
    h, w = image.shape[:2]
    if (w, h) != (cal.image_width, cal.image_height):
        raise _fail(f"{cal.source}: image_size: [{cal.image_width}, {cal.image_height}] but {frame.name} is "
                    f"{w}x{h}")

    console.print(f"[bold]{cal.name}[/bold] ({cal.source}): camera height [bold]{cam.height_m:.3f} m[/bold], "
                  f"pitch [bold]{cam.pitch_deg:.2f}°[/bold] (down), roll {cam.roll_deg:.2f}°, yaw {cam.yaw_deg:.1f}°, "
                  f"hfov {cam.hfov_deg:.2f}°" + (" (focal refined from height points)" if cam.focal_refined else ""))
    pos = cam.position_m
    console.print(f"camera position [{pos[0]:.3f}, {pos[1]:.3f}, {pos[2]:.3f}] m")
    table = Table(title="reference points (measured vs re-projected)")
    for col in ("point", "pixel (u, v)", "world (m)", "error px", "error cm", "leave-one-out px"):
        table.add_column(col, justify="right" if "error" in col or "leave" in col else "left")
    for i, label in enumerate(cam.reference_labels):
        e_px, e_cm, loo = cam.reprojection_errors_px[i], cam.floor_errors_cm[i], cam.leave_one_out_errors_px[i]
        bad = e_px > cal.max_reprojection_error_px or not (e_cm / 100.0 <= cal.max_floor_error_m)
        style = "red" if bad else None
        u, v = cam.reference_pixels_px[i]
        world = cam.reference_world_m[i]
        wtxt = f"{world[0]:.2f}, {world[1]:.2f}" + (f", {world[2]:.2f}" if world[2] else "")
        table.add_row(label, f"{u:.1f}, {v:.1f}", wtxt, f"{e_px:.2f}", f"{e_cm:.1f}" if np.isfinite(e_cm) else "-",
                      f"{loo:.2f}" if np.isfinite(loo) else "-", style=style)
    console.print(table)

    overlay = draw_calibration_overlay(image, cal, cam, approach_m)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(out), overlay):
        raise _fail(f"{out.name}: cannot write the overlay PNG ({out})")
    console.print(f"overlay written to {out}")

    try:
        check_camera(cal, cam)
    except CalibrationError as exc:
        raise _fail(str(exc)) from None
    console.print(f"[green]OK[/green]: max error {np.max(cam.reprojection_errors_px):.2f} px "
                  f"(limit {cal.max_reprojection_error_px:g}), {np.nanmax(cam.floor_errors_cm):.1f} cm "
                  f"(limit {cal.max_floor_error_m * 100:g})")
