"""A branch camera file: which calibration, which source, which branch and camera name.

A small YAML file beside (or pointing to) the camera's calibration, so one calibration can serve a stream and the
recorded files of the same camera::

    version: 1
    branch: shanghai-pudong-01        # the branch's name in the store and the reports
    camera: counter-2                 # this camera's name (unique within the branch)
    source: rtsp://10.0.0.12/stream1  # RTSP/HTTP URL, a device index (0), or a video file played as live
    calibration: counter-2.yaml       # the calibration YAML (relative paths: from this file's folder)
    loop: false                       # files only: start again at the end (demos, soak tests)
    analysis_fps: 10                  # optional: the analysis rate this camera starts at (frames per second)

Read strictly: an unknown key, a missing one or a bad value is a one-line error naming the file and the key.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..geometry.calibration import Calibration, CalibrationError, load_calibration
from ..geometry.solver import solve_camera
from ..io.video import STREAM_PREFIXES
from ..strict_yaml import StrictReader, read_yaml_file

CAMERA_FILE_VERSION = 1
_KEYS = ("version", "branch", "camera", "source", "calibration", "loop", "analysis_fps")
_REQUIRED = ("version", "branch", "camera", "source", "calibration")


class CameraFileError(ValueError):
    """A camera file that cannot be used; the message is one line naming the file, the key and the problem."""


@dataclass(frozen=True)
class CameraFile:
    """One watched camera: where its frames come from and how its events are labelled in the store."""

    path: Path
    branch: str
    camera: str
    source: str | int
    """An RTSP/HTTP URL, a device index, or a video file path (resolved from the camera file's folder)."""
    calibration_path: Path
    loop: bool = False
    analysis_fps: float | None = None

    @property
    def is_file(self) -> bool:
        """True when the source is a video file played as live."""
        return isinstance(self.source, str) and not self.source.lower().startswith(STREAM_PREFIXES)


def load_camera_file(path: str | Path) -> CameraFile:
    """Read and validate a camera file (module docstring); raises :class:`CameraFileError`. The calibration it
    names is checked to exist but loaded by :func:`load_camera_calibration`."""
    path = Path(path)
    r = StrictReader(path.name, CameraFileError)
    data = read_yaml_file(path, CameraFileError)
    if data is None:
        raise r.fail("", "the file is empty")
    d = r.mapping("", data, _KEYS, _REQUIRED)
    if isinstance(d["version"], bool) or d["version"] != CAMERA_FILE_VERSION:
        raise r.fail("version", f"expected {CAMERA_FILE_VERSION}, got {d['version']!r}")
    branch, camera = r.text("branch", d["branch"]).strip(), r.text("camera", d["camera"]).strip()
    for key, value in (("branch", branch), ("camera", camera)):
        if not value:
            raise r.fail(key, "must not be empty")
    source = _read_source(r, d["source"], path.parent)
    calibration = path.parent / r.text("calibration", d["calibration"])
    if not calibration.is_file():
        raise r.fail("calibration", f"no such file: {calibration}")
    loop = d.get("loop", False)
    if not isinstance(loop, bool):
        raise r.fail("loop", f"expected true or false, got {loop!r}")
    fps = None if d.get("analysis_fps") is None else r.number("analysis_fps", d["analysis_fps"], positive=True)
    cam = CameraFile(path, branch, camera, source, calibration, loop, fps)
    if loop and not cam.is_file:
        raise r.fail("loop", "applies to a video file only, not to a stream or a device")
    return cam


def _read_source(r: StrictReader, value: object, base: Path) -> str | int:
    if isinstance(value, bool):
        raise r.fail("source", f"expected a URL, a device index or a file, got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise r.fail("source", f"a device index is 0 or more, got {value}")
        return value
    text = r.text("source", value).strip()
    if not text:
        raise r.fail("source", "must not be empty")
    if text.isdigit():
        return int(text)
    if text.lower().startswith(STREAM_PREFIXES):
        return text
    if "://" in text:
        raise r.fail("source", f"unknown stream scheme in {text!r} (use one of {', '.join(STREAM_PREFIXES)})")
    file = base / text
    if not file.is_file():
        raise r.fail("source", f"no such video file: {file}")
    return str(file)


def load_camera_calibration(cam: CameraFile, width_px: int, height_px: int) -> Calibration:
    """The camera's calibration, solved once to check it and matched to the source's frame size (pixels); raises
    :class:`CameraFileError` naming the camera file."""
    try:
        cal = load_calibration(cam.calibration_path)
        solve_camera(cal)
    except CalibrationError as exc:
        raise CameraFileError(f"{cam.path.name}: calibration: {exc}") from None
    if (cal.image_width, cal.image_height) != (width_px, height_px):
        raise CameraFileError(f"{cam.path.name}: {cam.calibration_path.name} is calibrated for {cal.image_width}x"
                              f"{cal.image_height} images but the source gives {width_px}x{height_px}")
    return cal
