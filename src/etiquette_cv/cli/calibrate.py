"""``etiquette calibrate``: solve a camera's calibration file, print its pose and errors, write an overlay PNG.

Exit codes: 0 when the calibration is usable, 2 when the file is invalid, the frame cannot be read, or the
calibration is too inaccurate (the overlay is still written in that last case, so the bad point can be seen).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import cv2
import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from ..annotators.calibration import draw_calibration_overlay
from ..geometry.calibration import CalibrationError, load_calibration
from ..geometry.solver import check_camera, solve_camera
from ..io.frames import read_frame_at
from ..io.privacy import cover_private
from ..io.video import VideoError
from ..rules.rulebook import load_rulebook
from .common import fail

PIPED_WIDTH_CHARS = 140
"""Console width when the output is not a terminal."""


def calibrate(
    camera_yaml: Annotated[Path, typer.Argument(help="Calibration file of the camera (YAML, see calibration/README.md).")],
    frame: Annotated[Path, typer.Option("--frame", "-f", help="A frame of the camera: an image, or a video (first "
                                                              "frame or --at).")],
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Overlay PNG to write (default: "
                                                                    "NAME_overlay.png beside the calibration file).")] = None,
    at: Annotated[float, typer.Option("--at", help="Time in seconds of the video frame to use.")] = 0.0,
    approach_m: Annotated[Optional[float], typer.Option("--approach-m", help="Distance of the approach line drawn in "
                                                                             "front of the counter, metres (default: "
                                                                             "the rulebook's near distance, 2 m).")]
    = None,
    reference: Annotated[Optional[Path], typer.Option(
        "--reference", help="Also save the frame (the empty, tidy scene) as the scene checks' clean reference image "
        "PNG; list it under reference_frames in the calibration.")] = None,
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
        raise fail(str(exc)) from None
    try:
        image = read_frame_at(frame, at)
    except VideoError as exc:
        raise fail(str(exc)) from None
    h, w = image.shape[:2]
    if (w, h) != (cal.image_width, cal.image_height):
        raise fail(f"{cal.source}: image_size: [{cal.image_width}, {cal.image_height}] but {frame.name} is "
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

    image = image.copy()   # what is under the privacy masks is never written, not even here
    cover_private(image, *cal.privacy)
    if reference is not None:   # the scene checks' clean reference (etiquette_cv.scene)
        reference.parent.mkdir(parents=True, exist_ok=True)
        if not cv2.imwrite(str(reference), image):
            raise fail(f"{reference.name}: cannot write the reference image ({reference})")
        console.print(f"reference image written to {reference}: add it to reference_frames in {cal.source}")
    if approach_m is None:
        approach_m = load_rulebook().near_m
    overlay = draw_calibration_overlay(image, cal, cam, approach_m)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(out), overlay):
        raise fail(f"{out.name}: cannot write the overlay PNG ({out})")
    console.print(f"overlay written to {out}")

    try:
        check_camera(cal, cam)
    except CalibrationError as exc:
        raise fail(str(exc)) from None
    console.print(f"[green]OK[/green]: max error {np.max(cam.reprojection_errors_px):.2f} px "
                  f"(limit {cal.max_reprojection_error_px:g}), {np.nanmax(cam.floor_errors_cm):.1f} cm "
                  f"(limit {cal.max_floor_error_m * 100:g})")
