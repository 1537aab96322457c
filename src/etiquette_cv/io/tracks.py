"""Pose tracks on disk: a documented, versioned JSON-lines format, written as frames are analysed.

Later stages consume tracks, so grading can be redone without decoding the video again. The writer flushes every
frame, so a run that is interrupted (a stream that drops, a killed process) keeps everything computed so far; the
reader accepts a file without its closing line and marks it incomplete.

Format ``etiquette-cv/tracks`` version 2 (one JSON object per line, UTF-8; ``.jsonl`` or gzip-compressed
``.jsonl.gz``):

1. header: ``{"schema": "etiquette-cv/tracks", "version": 2, "source": str, "image_width": int, "image_height": int,
   "nominal_fps": float, "analysis_fps": float|null, "model": str, "model_sha256": str|null, "detector": str|null,
   "calibration": str|null, "start_epoch_s": float|null, "landmark_names": [33 names]}`` (``start_epoch_s``: the
   wall-clock time of t = 0, seconds since the Unix epoch, when known — live runs write it)
2. one line per analysed frame: ``{"frame": int, "t_s": float, "persons": [{"track_id": int, "role": str,
   "station": str|null, "floor_m": [x, y]|null, "floor_source": str, "box_px": [x0, y0, x1, y1]|null,
   "landmarks": "mediapipe"|"detector"|"interpolated", "xy_px": [[x, y] * 33], "z": [33], "world_m": [[x, y, z] *
   33], "visibility": [33], "presence": [33]}]}`` (``xy_px`` full-frame pixels; ``world_m`` MediaPipe world
   landmarks in metres, camera axes, hip-centred, zeros for detector keypoints; ``floor_m`` calibration floor
   metres; ``role`` one of clerk / customer / waiting / other / unknown; ``interpolated``: a frame filled into a
   short gap of the person's track, box, floor point and positions interpolated, visibility and presence zero)
3. footer: ``{"end": true, "frames_decoded": int, "frames_analysed": int, "complete": bool, "problem": str|null}``

Version 1 files (one landmarker per image region, ``region`` instead of ``role``) still load: a person found by the
``clerk`` region becomes the clerk of the calibration's first station, by the ``customer`` region a customer, and
the floor points are left to the reader (None).
"""

from __future__ import annotations

import gzip
import io
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Iterable, Iterator

import numpy as np

from ..core import LANDMARK_NAMES, NUM_LANDMARKS, FramePoses, PersonPose

TRACKS_SCHEMA = "etiquette-cv/tracks"
TRACKS_VERSION = 2
READABLE_VERSIONS = (1, 2)


V1_CLERK_STATION = "clerk"
"""Station name given to the clerk of a version-1 tracks file (v1 had one clerk region and no stations); review
matches it to the calibration's only station."""


class TracksError(Exception):
    """A tracks file cannot be read; the message names the file, the line and the problem."""


@dataclass
class TracksHeader:
    """What a tracks file says about the video and the pose run that produced it."""

    source: str
    image_width: int
    image_height: int
    nominal_fps: float
    analysis_fps: float | None
    model: str
    model_sha256: str | None
    detector: str | None = None
    calibration: str | None = None
    start_epoch_s: float | None = None
    """Wall-clock time (seconds since the Unix epoch, UTC) of the file's t = 0, when known (live runs)."""
    version: int = TRACKS_VERSION
    """The format version the file was written in."""


@dataclass
class TracksFooter:
    """How the pose run ended."""

    frames_decoded: int
    frames_analysed: int
    complete: bool
    problem: str | None = None


@dataclass
class Tracks:
    """A whole tracks file in memory: header, analysed frames in time order, and how the run ended."""

    header: TracksHeader
    frames: list[FramePoses] = field(default_factory=list)
    footer: TracksFooter | None = None

    @property
    def complete(self) -> bool:
        """True when the run that wrote the file read its whole video."""
        return self.footer is not None and self.footer.complete


def _open_text(path: Path, mode: str) -> IO[str]:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, mode + "b"), encoding="utf-8")
    return open(path, mode, encoding="utf-8")


def _round_list(a: np.ndarray | None, digits: int) -> list | None:
    return None if a is None else np.round(np.asarray(a, float), digits).tolist()


def _person_to_json(p: PersonPose) -> dict:
    return {
        "track_id": int(p.track_id),
        "role": p.role,
        "station": p.station,
        "floor_m": _round_list(p.floor_xy_m, 4),
        "floor_source": p.floor_source,
        "box_px": _round_list(p.box_xyxy_px, 1),
        "landmarks": p.landmarks_source,
        "xy_px": np.round(p.image_xy_px.astype(float), 2).tolist(),
        "z": np.round(p.image_z.astype(float), 4).tolist(),
        "world_m": np.round(p.world_xyz_m.astype(float), 4).tolist(),
        "visibility": np.round(p.visibility.astype(float), 3).tolist(),
        "presence": np.round(p.presence.astype(float), 3).tolist(),
    }


def _array(obj: dict, key: str, shape: tuple[int, ...], where: str) -> np.ndarray:
    try:
        arr = np.asarray(obj[key], dtype=np.float32)
    except KeyError:
        raise TracksError(f"{where}: missing key {key!r}") from None
    except (TypeError, ValueError):
        raise TracksError(f"{where}: {key!r} is not a numeric array") from None
    if arr.shape != shape:
        raise TracksError(f"{where}: {key!r} has shape {arr.shape}, expected {shape}")
    return arr


_V1_ROLES = {"clerk": "clerk", "customer": "customer"}


def _person_from_json(obj: dict, where: str, version: int) -> PersonPose:
    n = NUM_LANDMARKS
    if version == 1:
        region = str(obj.get("region", ""))
        extra = dict(role=_V1_ROLES.get(region, "unknown"), station=V1_CLERK_STATION if region == "clerk" else None)
    else:
        floor = obj.get("floor_m")
        box = obj.get("box_px")
        extra = dict(role=str(obj.get("role", "unknown")), station=obj.get("station"),
                     floor_xy_m=None if floor is None else _array(obj, "floor_m", (2,), where),
                     floor_source=str(obj.get("floor_source", "")),
                     box_xyxy_px=None if box is None else _array(obj, "box_px", (4,), where),
                     landmarks_source=str(obj.get("landmarks", "mediapipe")))
    try:
        return PersonPose(
            track_id=int(obj.get("track_id", 0)),
            image_xy_px=_array(obj, "xy_px", (n, 2), where),
            image_z=_array(obj, "z", (n,), where),
            world_xyz_m=_array(obj, "world_m", (n, 3), where),
            visibility=_array(obj, "visibility", (n,), where),
            presence=_array(obj, "presence", (n,), where),
            **extra,
        )
    except ValueError as exc:
        raise TracksError(f"{where}: {exc}") from None


class TracksWriter:
    """Writes a tracks file line by line; use as a context manager. Each frame is flushed as it is written.
    ``append=True`` continues a file :func:`prepare_resume` left clean (no header written; a ``.gz`` file gets a
    new gzip member, which readers take as the same stream)."""

    def __init__(self, path: str | Path, header: TracksHeader, append: bool = False) -> None:
        self.path = Path(path)
        if self.path.suffix not in (".jsonl", ".gz"):
            raise TracksError(f"{self.path}: tracks are written as .jsonl or .jsonl.gz")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = _open_text(self.path, "a" if append else "w")
        if not append:
            head = {"schema": TRACKS_SCHEMA, **asdict(header), "version": TRACKS_VERSION}
            head["landmark_names"] = list(LANDMARK_NAMES)
            self._write(head)
        self.frames_written = 0

    def _write(self, obj: dict) -> None:
        self._fh.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")
        self._fh.flush()

    def write_frame(self, poses: FramePoses) -> None:
        """Append one analysed frame."""
        self._write({
            "frame": int(poses.frame_index),
            "t_s": round(float(poses.timestamp_s), 6),
            "persons": [_person_to_json(p) for p in poses.persons],
        })
        self.frames_written += 1

    def close(self, footer: TracksFooter | None = None) -> None:
        """Write the footer (when given) and close the file."""
        if self._fh.closed:
            return
        if footer is not None:
            self._write({"end": True, **asdict(footer)})
        self._fh.close()

    def __enter__(self) -> "TracksWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def iter_tracks_lines(path: Path) -> Iterator[tuple[int, dict]]:
    """(line number, decoded JSON object) for each non-empty line; a damaged last line ends the iteration."""
    try:
        fh = _open_text(path, "r")
    except FileNotFoundError:
        raise TracksError(f"{path}: no such file") from None
    with fh:
        lines = iter(fh)
        lineno = 0
        while True:
            try:
                line = next(lines)
            except StopIteration:
                return
            except (EOFError, OSError, UnicodeDecodeError) as exc:  # truncated gzip, binary junk
                if lineno == 0:
                    raise TracksError(f"{path}: not a tracks file ({exc})") from None
                return
            lineno += 1
            if not line.strip():
                continue
            try:
                yield lineno, json.loads(line)
            except json.JSONDecodeError:
                if lineno == 1:
                    raise TracksError(f"{path}: line 1 is not JSON: not a tracks file") from None
                # A run killed mid-write leaves a partial last line: keep what came before it.
                return


@dataclass
class ResumePoint:
    """Where an interrupted people run stopped, from its tracks file."""

    header: TracksHeader
    frames: int
    """Analysed frames already in the file."""
    last_t_s: float | None
    """Time of the last frame written (None when none was)."""
    last_frame_index: int
    max_track_id: int
    """The largest track id used so far: a resumed run numbers its people above it."""
    person_frames: int = 0
    """People found in those frames, summed over frames."""
    frames_decoded: int = 0
    """Frames the interrupted run had decoded, when its footer says (0 when it has none)."""
    complete: bool = False
    """True when the file already ends with a complete footer: nothing to resume."""


def prepare_resume(path: str | Path) -> ResumePoint:
    """Make an interrupted tracks file ready to be continued: its readable lines (header and frames, up to a damaged
    last line or truncated gzip member) are rewritten into a clean file that replaces it atomically, without the
    footer of a run that ended early. Returns where it stopped; a complete file is left untouched."""
    path = Path(path)
    header = read_tracks_header(path)
    tmp = path.with_name(path.name + ".resume-tmp" + (".gz" if path.suffix == ".gz" else ""))
    point = ResumePoint(header, 0, None, -1, 0)
    with _open_text(tmp, "w") as out:
        for lineno, obj in iter_tracks_lines(path):
            if lineno > 1 and obj.get("end"):
                point.complete = bool(obj.get("complete", False))
                point.frames_decoded = int(obj.get("frames_decoded", 0))
                break
            if lineno > 1:
                try:
                    point.last_t_s, point.last_frame_index = float(obj["t_s"]), int(obj["frame"])
                    ids = [int(p.get("track_id", 0)) for p in obj["persons"]]
                except (KeyError, TypeError, ValueError):
                    break   # a damaged frame ends what can be kept
                point.frames += 1
                point.person_frames += len(ids)
                point.max_track_id = max([point.max_track_id, *ids])
            out.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")
    if point.complete:
        tmp.unlink()
        return point
    os.replace(tmp, path)
    return point


def _header_and_lines(path: Path) -> tuple[TracksHeader, Iterator[tuple[int, dict]]]:
    """The checked header of a tracks file and the iterator over its remaining lines."""
    lines = iter_tracks_lines(path)
    try:
        _, head = next(lines)
    except StopIteration:
        raise TracksError(f"{path}: empty file, not a tracks file") from None
    return _header_from_json(path, head), lines


def read_tracks_header(path: str | Path) -> TracksHeader:
    """Only the header of a tracks file (see :func:`read_tracks` for its checks)."""
    header, lines = _header_and_lines(Path(path))
    lines.close()
    return header


def _header_from_json(path: Path, head: object) -> TracksHeader:
    if not isinstance(head, dict) or head.get("schema") != TRACKS_SCHEMA:
        raise TracksError(f"{path}: line 1: not an {TRACKS_SCHEMA} header")
    version = head.get("version")
    if version not in READABLE_VERSIONS:
        raise TracksError(f"{path}: version {version!r} is not supported (this reader knows "
                          f"{', '.join(map(str, READABLE_VERSIONS))})")
    try:
        return TracksHeader(
            source=str(head["source"]),
            image_width=int(head["image_width"]),
            image_height=int(head["image_height"]),
            nominal_fps=float(head["nominal_fps"]),
            analysis_fps=None if head["analysis_fps"] is None else float(head["analysis_fps"]),
            model=str(head["model"]),
            model_sha256=head.get("model_sha256"),
            detector=head.get("detector"),
            calibration=head.get("calibration"),
            start_epoch_s=None if head.get("start_epoch_s") is None else float(head["start_epoch_s"]),
            version=int(version),
        )
    except KeyError as exc:
        raise TracksError(f"{path}: line 1: header is missing {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        raise TracksError(f"{path}: line 1: bad header value ({exc})") from None


class TracksStream:
    """A tracks file read one frame at a time, in bounded memory: :attr:`header` at once, the frames by iterating
    (once), :attr:`footer` when the iteration has reached it (None for a file without its closing line). Raises
    :class:`TracksError` naming the file and line for malformed content."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.header, self._lines = _header_and_lines(self.path)
        self.footer: TracksFooter | None = None

    def __iter__(self) -> Iterator[FramePoses]:
        for lineno, obj in self._lines:
            where = f"{self.path}: line {lineno}"
            if obj.get("end"):
                self.footer = TracksFooter(
                    frames_decoded=int(obj.get("frames_decoded", 0)),
                    frames_analysed=int(obj.get("frames_analysed", 0)),
                    complete=bool(obj.get("complete", False)),
                    problem=obj.get("problem"),
                )
                break
            try:
                persons = [_person_from_json(p, f"{where}: persons[{i}]", self.header.version)
                           for i, p in enumerate(obj["persons"])]
                yield FramePoses(frame_index=int(obj["frame"]), timestamp_s=float(obj["t_s"]),
                                 image_width=self.header.image_width, image_height=self.header.image_height,
                                 persons=persons)
            except KeyError as exc:
                raise TracksError(f"{where}: missing key {exc.args[0]!r}") from None
        self._lines.close()

    def close(self) -> None:
        """Close the file before the end of the iteration."""
        self._lines.close()


def read_tracks(path: str | Path) -> Tracks:
    """Read a whole tracks file into memory (:class:`TracksStream` reads it a frame at a time). Raises
    :class:`TracksError` naming the file and line for malformed content."""
    stream = TracksStream(path)
    frames = list(stream)
    return Tracks(header=stream.header, frames=frames, footer=stream.footer)


def write_tracks(path: str | Path, header: TracksHeader, frames: Iterable[FramePoses],
                 footer: TracksFooter | None = None) -> Path:
    """Write a whole tracks file at once (the pose stage streams with :class:`TracksWriter` instead)."""
    with TracksWriter(path, header) as writer:
        for f in frames:
            writer.write_frame(f)
        writer.close(footer)
    return Path(path)
