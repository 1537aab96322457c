"""Camera calibration: the per-camera YAML file, its validation, and the solved camera model.

A calibration file (one per camera, ``version: 1``, schema in ``calibration/README.md``) ties image pixels to a
floor frame in metres (z = 0 on the floor, z up, right-handed). :func:`load_calibration` validates it and raises
:class:`CalibrationError` with a one-line message naming the file, the key and the problem. :func:`solve_camera`
turns it into a :class:`CameraModel`: the floor homography and the camera pose (``cv2.solvePnP``), with per-point
residuals, and refuses a calibration whose residuals exceed the file's tolerances, naming the point that is off.

Units: pixels (``_px``) are full-frame image pixels, origin top-left, x right, y down; world coordinates are metres
(``_m``) in the calibration's floor frame; angles in degrees (``_deg``).
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import yaml

__all__ = [
    "CalibrationError",
    "Intrinsics",
    "Counter",
    "ClerkStation",
    "Zone",
    "GeometrySettings",
    "Calibration",
    "CameraModel",
    "load_calibration",
    "calibration_from_dict",
    "solve_camera",
    "check_camera",
    "FLOOR_ZONES",
    "IMAGE_ZONES",
]

SCHEMA_VERSION = 1

#: Defaults of the tolerances a user may change in the file (documented in calibration/README.md).
DEFAULT_MAX_REPROJECTION_ERROR_PX = 4.0
DEFAULT_MAX_FLOOR_ERROR_M = 0.05

#: Validation limits of the point sets (not user tolerances: below them the geometry is degenerate).
MIN_FLOOR_POINTS = 4
DUPLICATE_FLOOR_DISTANCE_M = 0.01
"""Two floor points closer than this on the floor are the same point."""
DUPLICATE_PIXEL_DISTANCE_PX = 2.0
"""Two floor points closer than this in the image are the same point."""
MIN_SPREAD_RATIO = 0.05
"""A point set whose spread across its best-fit line is below this fraction of its spread along it is collinear."""
MIN_POINTS_FOR_FOCAL = 6
"""Refining the focal length from the reference points needs at least this many of them."""
FOCAL_SEARCH_FACTOR = 3.0
"""Focal refinement keeps the focal length within [f0 / factor, f0 * factor] of the hfov_deg value."""
ZONE_CHECK_SAMPLES = 50
"""Points sampled along each edge of a floor zone when checking that the zone shows in the image."""
MIN_RAY_COSINE = 1e-9
"""Rays closer than this to parallel with a plane or line are treated as not meeting it."""

#: Zones that may be given as floor polygons (metres) or image polygons (pixels).
FLOOR_ZONES = ("clerk", "customer_approach", "waiting")
#: Zones that are image polygons only (scene checks on the counter top and the floor).
IMAGE_ZONES = ("counter_top", "floor_check")
REQUIRED_ZONES = ("clerk",)


class CalibrationError(ValueError):
    """A calibration file that cannot be used; the message is one line: ``file: key: problem``."""


# ----------------------------------------------------------------------------------------------------------------
# Data types
# ----------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Intrinsics:
    """Pinhole intrinsics in pixels and OpenCV distortion coefficients [k1, k2, p1, p2, k3]."""

    fx: float
    fy: float
    cx: float
    cy: float
    distortion: np.ndarray
    from_hfov: bool
    """True when the matrix was built from ``hfov_deg`` (principal point at the image centre, square pixels)."""

    def matrix(self) -> np.ndarray:
        """The 3x3 camera matrix K in pixels."""
        return np.array([[self.fx, 0.0, self.cx], [0.0, self.fy, self.cy], [0.0, 0.0, 1.0]])


@dataclass(frozen=True)
class Counter:
    """The counter's customer-facing edge on the floor, its height, and which side the customers are on."""

    edge_m: np.ndarray
    """(N, 2) floor polyline in metres, N >= 2."""
    height_m: float
    customer_side: int
    """+1 when customers are on the left of the polyline walked from its first to its last point (seen from above,
    z up), -1 when they are on its right."""


@dataclass(frozen=True)
class ClerkStation:
    """Where a clerk sits: the floor point (metres) under the chair/seat centre."""

    name: str
    floor_m: np.ndarray


@dataclass(frozen=True)
class Zone:
    """A named zone: either a floor polygon in metres or an image polygon in pixels (exactly one is set)."""

    name: str
    floor_m: np.ndarray | None = None
    image_px: np.ndarray | None = None


@dataclass(frozen=True)
class GeometrySettings:
    """Tolerances and body assumptions of the geometry stage; every field can be set under ``geometry:``."""

    visibility_threshold: float = 0.5
    """Landmarks whose visibility and presence are below this are not used."""
    ankle_height_m: float = 0.07
    """Height of the ankle landmark (lateral malleolus, about 4 % of stature) above the floor; the ankle rays are
    intersected with this plane."""
    heel_height_m: float = 0.03
    """Height of the heel landmark (back of the heel) above the floor."""
    assumed_hip_height_m: float = 0.90
    """Hip landmark height of a standing adult (about 53 % of stature), used when the feet are hidden."""
    heels_confidence: float = 0.9
    """Confidence factor of a floor position from the heels (the ankles count 1.0)."""
    one_foot_confidence: float = 0.6
    """Confidence factor of a floor position from one foot only."""
    hips_fallback_confidence: float = 0.35
    """Confidence factor of a floor position from the hips (feet hidden)."""


@dataclass(frozen=True)
class Calibration:
    """A validated calibration file."""

    source: str
    """File name used in messages."""
    path: Path | None
    name: str
    image_width: int
    image_height: int
    intrinsics: Intrinsics
    hfov_deg: float | None
    floor_pixels_px: np.ndarray
    """(N, 2) measured pixel positions of the floor points."""
    floor_points_m: np.ndarray
    """(N, 2) floor positions of the same points in metres."""
    floor_labels: tuple[str, ...]
    height_pixels_px: np.ndarray
    """(M, 2) measured pixel positions of reference points above the floor (M may be 0)."""
    height_points_m: np.ndarray
    """(M, 3) world positions of the same points in metres."""
    height_labels: tuple[str, ...]
    counter: Counter
    clerk_stations: tuple[ClerkStation, ...]
    zones: dict[str, Zone]
    reference_frames: tuple[Path, ...]
    max_reprojection_error_px: float
    max_floor_error_m: float
    refine_focal: str
    """Whether to refine the focal length when the intrinsics come from hfov_deg: "auto" (only when height points
    exist: well conditioned), "true" (also from floor points alone: about 1-3 degrees of hfov at 1 px click noise with
    8 points) or "false"."""
    geometry: GeometrySettings = field(default_factory=GeometrySettings)

    def error(self, key: str, problem: str) -> CalibrationError:
        """A CalibrationError naming this file and ``key``."""
        return CalibrationError(f"{self.source}: {key}: {problem}")

    @property
    def reference_world_m(self) -> np.ndarray:
        """(N + M, 3) world positions of all reference points (floor points first, z = 0)."""
        floor = np.column_stack([self.floor_points_m, np.zeros(len(self.floor_points_m))])
        return np.vstack([floor, self.height_points_m.reshape(-1, 3)])

    @property
    def reference_pixels_px(self) -> np.ndarray:
        """(N + M, 2) measured pixels of all reference points, in the order of :attr:`reference_world_m`."""
        return np.vstack([self.floor_pixels_px, self.height_pixels_px.reshape(-1, 2)])

    @property
    def reference_labels(self) -> tuple[str, ...]:
        """Labels (``floor_points[i]`` / ``height_points[j]``) of all reference points."""
        return self.floor_labels + self.height_labels


# ----------------------------------------------------------------------------------------------------------------
# Loading and validation
# ----------------------------------------------------------------------------------------------------------------


class _Reader:
    """Small helpers that read typed values and raise one-line CalibrationErrors."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, key: str, problem: str) -> CalibrationError:
        return CalibrationError(f"{self.source}: {key}: {problem}" if key else f"{self.source}: {problem}")

    def mapping(self, key: str, value: Any, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict:
        if not isinstance(value, dict):
            raise self.fail(key, f"expected a mapping, got {_show(value)}")
        for k in value:
            if k not in allowed:
                close = difflib.get_close_matches(str(k), allowed, n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]!r}?)" if close else f" (allowed: {', '.join(allowed)})"
                where = f"{key}.{k}" if key else str(k)
                raise self.fail(where, f"unknown key{hint}")
        for k in required:
            if k not in value:
                raise self.fail(f"{key}.{k}" if key else k, "missing required key")
        return value

    def number(self, key: str, value: Any, *, positive: bool = False, minimum: float | None = None,
               maximum: float | None = None) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.fail(key, f"expected a number, got {_show(value)}")
        v = float(value)
        if positive and v <= 0:
            raise self.fail(key, f"expected a positive number, got {_show(value)}")
        if minimum is not None and v < minimum:
            raise self.fail(key, f"expected at least {minimum:g}, got {_show(value)}")
        if maximum is not None and v > maximum:
            raise self.fail(key, f"expected at most {maximum:g}, got {_show(value)}")
        return v

    def vector(self, key: str, value: Any, names: tuple[str, ...]) -> np.ndarray:
        form = "[" + ", ".join(names) + "]"
        ok = isinstance(value, (list, tuple)) and len(value) == len(names) and all(
            not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v) for v in value)
        if not ok:
            raise self.fail(key, f"expected {form} numbers, got {_show(value)}")
        return np.array(value, dtype=float)

    def points(self, key: str, value: Any, names: tuple[str, ...], min_count: int) -> np.ndarray:
        if not isinstance(value, (list, tuple)):
            raise self.fail(key, f"expected a list of [{', '.join(names)}] points, got {_show(value)}")
        if len(value) < min_count:
            raise self.fail(key, f"expected at least {min_count} points, got {len(value)}")
        return np.array([self.vector(f"{key}[{i}]", p, names) for i, p in enumerate(value)], dtype=float)

    def text(self, key: str, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"expected a non-empty string, got {_show(value)}")
        return value


def _show(value: Any) -> str:
    """A short repr of a YAML value for error messages."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_TOP_KEYS = ("version", "name", "image_size", "intrinsics", "hfov_deg", "floor_points", "height_points", "counter",
             "clerk_stations", "zones", "reference_frames", "max_reprojection_error_px", "max_floor_error_m",
             "refine_focal", "geometry", "notes")
_TOP_REQUIRED = ("version", "image_size", "floor_points", "counter", "clerk_stations", "zones")


def load_calibration(path: str | Path) -> Calibration:
    """Read and validate a calibration YAML file; raises CalibrationError (one line: file, key, problem)."""
    path = Path(path)
    source = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CalibrationError(f"{source}: file not found ({path})") from None
    except OSError as exc:
        raise CalibrationError(f"{source}: cannot read the file ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise CalibrationError(f"{source}: not a UTF-8 text file") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise CalibrationError(f"{source}: not valid YAML{where}: {problem}") from None
    return calibration_from_dict(data, source=source, base_dir=path.parent, path=path)


def calibration_from_dict(data: Any, source: str = "<calibration>", base_dir: str | Path | None = None,
                          path: Path | None = None) -> Calibration:
    """Validate an already parsed calibration mapping (as read from YAML); raises CalibrationError."""
    r = _Reader(source)
    if data is None:
        raise r.fail("", "the file is empty")
    d = r.mapping("", data, _TOP_KEYS, _TOP_REQUIRED)
    version = d["version"]
    if isinstance(version, bool) or version != SCHEMA_VERSION:
        raise r.fail("version", f"expected {SCHEMA_VERSION}, got {_show(version)}")
    name = r.text("name", d["name"]) if "name" in d else Path(source).stem
    if "notes" in d and not isinstance(d["notes"], str):
        raise r.fail("notes", f"expected a string, got {_show(d['notes'])}")

    size = r.vector("image_size", d["image_size"], ("w", "h"))
    if np.any(size <= 0) or np.any(size != np.round(size)):
        raise r.fail("image_size", f"expected positive whole numbers [w, h], got {_show(d['image_size'])}")
    width, height = int(size[0]), int(size[1])

    intrinsics, hfov_deg = _read_intrinsics(r, d, width, height)

    floor_px, floor_m, floor_labels = _read_floor_points(r, d["floor_points"], width, height)
    height_px, height_m, height_labels = _read_height_points(r, d.get("height_points", []), width, height)

    counter = _read_counter(r, d["counter"])
    stations = _read_stations(r, d["clerk_stations"], counter)
    zones = _read_zones(r, d["zones"], width, height)
    frames = _read_reference_frames(r, d.get("reference_frames", []), Path(base_dir) if base_dir else Path("."))

    max_px = (r.number("max_reprojection_error_px", d["max_reprojection_error_px"], positive=True)
              if "max_reprojection_error_px" in d else DEFAULT_MAX_REPROJECTION_ERROR_PX)
    max_m = (r.number("max_floor_error_m", d["max_floor_error_m"], positive=True)
             if "max_floor_error_m" in d else DEFAULT_MAX_FLOOR_ERROR_M)

    refine = d.get("refine_focal", "auto")
    if isinstance(refine, bool):
        refine = "true" if refine else "false"
    if refine not in ("auto", "true", "false"):
        raise r.fail("refine_focal", f"expected auto, true or false, got {_show(d['refine_focal'])}")
    if refine == "true" and len(height_px) + len(floor_px) < MIN_POINTS_FOR_FOCAL:
        raise r.fail("refine_focal", f"true needs at least {MIN_POINTS_FOR_FOCAL} floor_points + height_points, got "
                                     f"{len(height_px) + len(floor_px)}")
    if refine == "true" and not intrinsics.from_hfov:
        raise r.fail("refine_focal", "true applies to hfov_deg only; explicit intrinsics are used as given")

    geometry = _read_geometry(r, d.get("geometry", {}))

    return Calibration(
        source=source, path=path, name=name, image_width=width, image_height=height, intrinsics=intrinsics,
        hfov_deg=hfov_deg, floor_pixels_px=floor_px, floor_points_m=floor_m, floor_labels=floor_labels,
        height_pixels_px=height_px, height_points_m=height_m, height_labels=height_labels, counter=counter,
        clerk_stations=stations, zones=zones, reference_frames=frames, max_reprojection_error_px=max_px,
        max_floor_error_m=max_m, refine_focal=refine, geometry=geometry,
    )


def _read_intrinsics(r: _Reader, d: dict, width: int, height: int) -> tuple[Intrinsics, float | None]:
    if "intrinsics" in d and "hfov_deg" in d:
        raise r.fail("hfov_deg", "give either intrinsics or hfov_deg, not both")
    if "intrinsics" in d:
        m = r.mapping("intrinsics", d["intrinsics"], ("fx", "fy", "cx", "cy", "distortion"), ("fx", "fy", "cx", "cy"))
        fx = r.number("intrinsics.fx", m["fx"], positive=True)
        fy = r.number("intrinsics.fy", m["fy"], positive=True)
        cx = r.number("intrinsics.cx", m["cx"], minimum=0, maximum=width)
        cy = r.number("intrinsics.cy", m["cy"], minimum=0, maximum=height)
        dist = (r.vector("intrinsics.distortion", m["distortion"], ("k1", "k2", "p1", "p2", "k3"))
                if "distortion" in m else np.zeros(5))
        hfov = math.degrees(2.0 * math.atan(width / (2.0 * fx)))
        return Intrinsics(fx, fy, cx, cy, dist, from_hfov=False), hfov
    if "hfov_deg" in d:
        hfov = r.number("hfov_deg", d["hfov_deg"], positive=True, maximum=179.0)
    else:
        raise r.fail("hfov_deg", "missing: give intrinsics {fx, fy, cx, cy[, distortion]} or hfov_deg")
    f = width / (2.0 * math.tan(math.radians(hfov) / 2.0))
    return Intrinsics(f, f, width / 2.0, height / 2.0, np.zeros(5), from_hfov=True), hfov


def _point_label(key: str, i: int, entry: Any) -> str:
    label = f"{key}[{i}]"
    if isinstance(entry, dict) and isinstance(entry.get("name"), str):
        label += f" ({entry['name']})"
    return label


def _read_floor_points(r: _Reader, value: Any, width: int, height: int):
    if not isinstance(value, list):
        raise r.fail("floor_points", f"expected a list of {{pixel: [u, v], floor_m: [x, y]}}, got {_show(value)}")
    if len(value) < MIN_FLOOR_POINTS:
        raise r.fail("floor_points", f"expected at least {MIN_FLOOR_POINTS} points, got {len(value)}")
    pixels, floors, labels = [], [], []
    for i, entry in enumerate(value):
        key = f"floor_points[{i}]"
        m = r.mapping(key, entry, ("pixel", "floor_m", "name"), ("pixel", "floor_m"))
        if "name" in m:
            r.text(f"{key}.name", m["name"])
        px = r.vector(f"{key}.pixel", m["pixel"], ("u", "v"))
        _check_inside(r, f"{key}.pixel", px, width, height)
        pixels.append(px)
        floors.append(r.vector(f"{key}.floor_m", m["floor_m"], ("x", "y")))
        labels.append(_point_label("floor_points", i, entry))
    pixels_a, floors_a = np.array(pixels), np.array(floors)
    _check_duplicates(r, "floor_points", floors_a, DUPLICATE_FLOOR_DISTANCE_M, "floor_m", "m")
    _check_duplicates(r, "floor_points", pixels_a, DUPLICATE_PIXEL_DISTANCE_PX, "pixel", "px")
    for arr, what in ((floors_a, "floor_m"), (pixels_a, "pixel")):
        if _collinear(arr):
            raise r.fail("floor_points", f"the {what} positions are (nearly) collinear; spread the points over "
                                         "the floor in two directions")
    if len(floors_a) == MIN_FLOOR_POINTS:
        for skip in range(MIN_FLOOR_POINTS):
            keep = [j for j in range(MIN_FLOOR_POINTS) if j != skip]
            if _collinear(floors_a[keep]) or _collinear(pixels_a[keep]):
                raise r.fail("floor_points", f"points {keep} are (nearly) collinear; with only four points no "
                                             "three may lie on a line")
    return pixels_a, floors_a, tuple(labels)


def _read_height_points(r: _Reader, value: Any, width: int, height: int):
    if not isinstance(value, list):
        raise r.fail("height_points", f"expected a list of {{pixel: [u, v], world_m: [x, y, z]}}, got {_show(value)}")
    pixels, worlds, labels = [], [], []
    for i, entry in enumerate(value):
        key = f"height_points[{i}]"
        m = r.mapping(key, entry, ("pixel", "world_m", "name"), ("pixel", "world_m"))
        if "name" in m:
            r.text(f"{key}.name", m["name"])
        px = r.vector(f"{key}.pixel", m["pixel"], ("u", "v"))
        _check_inside(r, f"{key}.pixel", px, width, height)
        w = r.vector(f"{key}.world_m", m["world_m"], ("x", "y", "z"))
        if w[2] <= 0:
            raise r.fail(f"{key}.world_m", f"z must be above the floor (> 0), got {w[2]:g}; put floor points in "
                                           "floor_points")
        pixels.append(px)
        worlds.append(w)
        labels.append(_point_label("height_points", i, entry))
    return np.array(pixels).reshape(-1, 2), np.array(worlds).reshape(-1, 3), tuple(labels)


def _check_inside(r: _Reader, key: str, px: np.ndarray, width: int, height: int) -> None:
    if not (0.0 <= px[0] <= width and 0.0 <= px[1] <= height):
        raise r.fail(key, f"[{px[0]:g}, {px[1]:g}] lies outside the {width}x{height} image")


def _check_duplicates(r: _Reader, key: str, pts: np.ndarray, limit: float, what: str, unit: str) -> None:
    for i in range(len(pts)):
        for j in range(i + 1, len(pts)):
            if np.linalg.norm(pts[i] - pts[j]) < limit:
                raise r.fail(f"{key}[{j}].{what}", f"duplicate of {key}[{i}] (closer than {limit:g} {unit})")


def _collinear(pts: np.ndarray) -> bool:
    """Whether a 2-D point set is (nearly) collinear (or a single point)."""
    centred = pts - pts.mean(axis=0)
    s = np.linalg.svd(centred, compute_uv=False)
    return bool(s[0] <= 0 or s[1] / s[0] < MIN_SPREAD_RATIO)


def _read_counter(r: _Reader, value: Any) -> Counter:
    m = r.mapping("counter", value, ("edge_m", "height_m", "customer_side"), ("edge_m", "height_m", "customer_side"))
    edge = r.points("counter.edge_m", m["edge_m"], ("x", "y"), 2)
    seg = np.linalg.norm(np.diff(edge, axis=0), axis=1)
    if np.any(seg < DUPLICATE_FLOOR_DISTANCE_M):
        i = int(np.argmax(seg < DUPLICATE_FLOOR_DISTANCE_M))
        raise r.fail(f"counter.edge_m[{i + 1}]", f"repeats counter.edge_m[{i}] (zero-length segment)")
    h = r.number("counter.height_m", m["height_m"], positive=True)
    side_value = m["customer_side"]
    if isinstance(side_value, (int, float)) and not isinstance(side_value, bool) and side_value in (1, -1):
        side = int(side_value)
    elif isinstance(side_value, (list, tuple)):
        p = r.vector("counter.customer_side", side_value, ("x", "y"))
        shown = f"[{p[0]:g}, {p[1]:g}]"
        from etiquette_cv.geometry import polyline_side  # local: geometry imports this module

        s = polyline_side(p, edge)
        if s == 0:
            raise r.fail("counter.customer_side", f"the point {shown} lies on the counter edge; pick a point "
                                                  "clearly on the customer side")
        side = s
    else:
        raise r.fail("counter.customer_side", f"expected +1, -1 or a floor point [x, y] on the customer side, got "
                                              f"{_show(side_value)}")
    return Counter(edge, h, side)


def _read_stations(r: _Reader, value: Any, counter: Counter) -> tuple[ClerkStation, ...]:
    if not isinstance(value, list) or not value:
        raise r.fail("clerk_stations", f"expected a list of at least 1 {{name, floor_m: [x, y]}}, got {_show(value)}")
    from etiquette_cv.geometry import distance_to_polyline_m

    stations, names = [], set()
    for i, entry in enumerate(value):
        key = f"clerk_stations[{i}]"
        m = r.mapping(key, entry, ("name", "floor_m"), ("name", "floor_m"))
        name = r.text(f"{key}.name", m["name"])
        if name in names:
            raise r.fail(f"{key}.name", f"duplicate station name {name!r}")
        names.add(name)
        xy = r.vector(f"{key}.floor_m", m["floor_m"], ("x", "y"))
        d = float(distance_to_polyline_m(xy, counter.edge_m, counter.customer_side))
        if d >= 0:
            raise r.fail(f"{key}.floor_m", f"lies on the customer side of the counter ({d:.2f} m); a clerk station "
                                           "must be on the clerk side")
        stations.append(ClerkStation(name, xy))
    return tuple(stations)


def _read_zones(r: _Reader, value: Any, width: int, height: int) -> dict[str, Zone]:
    m = r.mapping("zones", value, FLOOR_ZONES + IMAGE_ZONES, REQUIRED_ZONES)
    zones: dict[str, Zone] = {}
    for name, spec in m.items():
        key = f"zones.{name}"
        allowed = ("floor_m", "image_px") if name in FLOOR_ZONES else ("image_px",)
        z = r.mapping(key, spec, allowed)
        if len(z) != 1:
            need = "floor_m or image_px (one of them)" if name in FLOOR_ZONES else "image_px"
            raise r.fail(key, f"expected {need}")
        if "floor_m" in z:
            poly = r.points(f"{key}.floor_m", z["floor_m"], ("x", "y"), 3)
            if abs(_polygon_area(poly)) < DUPLICATE_FLOOR_DISTANCE_M ** 2:
                raise r.fail(f"{key}.floor_m", "the polygon has no area")
            zones[name] = Zone(name, floor_m=poly)
        else:
            poly = r.points(f"{key}.image_px", z["image_px"], ("u", "v"), 3)
            for i, p in enumerate(poly):
                _check_inside(r, f"{key}.image_px[{i}]", p, width, height)
            if abs(_polygon_area(poly)) < 1.0:
                raise r.fail(f"{key}.image_px", "the polygon has no area")
            zones[name] = Zone(name, image_px=poly)
    return zones


def _polygon_area(poly: np.ndarray) -> float:
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def _read_reference_frames(r: _Reader, value: Any, base_dir: Path) -> tuple[Path, ...]:
    if not isinstance(value, list):
        raise r.fail("reference_frames", f"expected a list of image paths, got {_show(value)}")
    out = []
    for i, p in enumerate(value):
        key = f"reference_frames[{i}]"
        text = r.text(key, p)
        path = Path(text) if Path(text).is_absolute() else base_dir / text
        if not path.is_file():
            raise r.fail(key, f"file not found: {path}")
        out.append(path)
    return tuple(out)


def _read_geometry(r: _Reader, value: Any) -> GeometrySettings:
    names = tuple(GeometrySettings.__dataclass_fields__)
    m = r.mapping("geometry", value, names)
    kwargs: dict[str, Any] = {}
    for k, v in m.items():
        key = f"geometry.{k}"
        if k.endswith("confidence") or k == "visibility_threshold":
            kwargs[k] = r.number(key, v, minimum=0.0, maximum=1.0)
        else:
            kwargs[k] = r.number(key, v, positive=True)
    return GeometrySettings(**kwargs)


# ----------------------------------------------------------------------------------------------------------------
# Camera model
# ----------------------------------------------------------------------------------------------------------------


@dataclass
class CameraModel:
    """A solved camera: intrinsics, pose in the floor frame, and the residuals of the reference points.

    World frame: the calibration's floor frame (metres, floor z = 0, z up). Camera frame: OpenCV (x right, y down,
    z along the optical axis). ``x_cam = R @ x_world + t``.
    """

    K: np.ndarray
    dist: np.ndarray
    R: np.ndarray
    """(3, 3) rotation world → camera."""
    t: np.ndarray
    """(3,) translation world → camera, metres."""
    image_width: int
    image_height: int
    floor_homography: np.ndarray
    """(3, 3) homography from undistorted image pixels to floor metres (fitted to the floor points alone)."""
    reference_labels: tuple[str, ...]
    reference_world_m: np.ndarray
    """(N, 3) reference points (floor points first) in world metres."""
    reference_pixels_px: np.ndarray
    """(N, 2) their measured pixels."""
    reprojection_errors_px: np.ndarray
    """(N,) distance between each measured pixel and the projection of its world point, pixels."""
    floor_errors_cm: np.ndarray
    """(N,) distance on the point's horizontal plane between its world position and where its measured pixel's
    ray meets that plane, centimetres (NaN if the ray misses the plane)."""
    leave_one_out_errors_px: np.ndarray
    """(N,) reprojection error of each point when the camera is solved without it (NaN when too few points)."""
    focal_refined: bool = False
    """True when the focal length was refined from the reference points (intrinsics given by hfov_deg)."""
    geometry: GeometrySettings = field(default_factory=GeometrySettings)
    """The calibration file's geometry settings (defaults of the geometry functions)."""

    @classmethod
    def from_pose(cls, K: np.ndarray, R: np.ndarray, t: np.ndarray, image_width: int, image_height: int,
                  dist: np.ndarray | None = None, geometry: GeometrySettings | None = None) -> "CameraModel":
        """A camera model from known intrinsics and pose (e.g. a renderer's ground truth), without reference
        points; the floor homography is derived from the pose."""
        K = np.asarray(K, dtype=float)
        R = np.asarray(R, dtype=float)
        t = np.asarray(t, dtype=float).reshape(3)
        floor_to_image = K @ np.column_stack([R[:, 0], R[:, 1], t])
        return cls(K=K, dist=np.zeros(5) if dist is None else np.asarray(dist, dtype=float), R=R, t=t,
                   image_width=int(image_width), image_height=int(image_height),
                   floor_homography=np.linalg.inv(floor_to_image), reference_labels=(),
                   reference_world_m=np.zeros((0, 3)), reference_pixels_px=np.zeros((0, 2)),
                   reprojection_errors_px=np.zeros(0), floor_errors_cm=np.zeros(0),
                   leave_one_out_errors_px=np.zeros(0), geometry=geometry or GeometrySettings())

    # --- pose summaries -------------------------------------------------------------------------------------------

    @property
    def position_m(self) -> np.ndarray:
        """(3,) camera centre in world metres."""
        return -self.R.T @ self.t

    @property
    def height_m(self) -> float:
        """Height of the camera centre above the floor, metres."""
        return float(self.position_m[2])

    @property
    def gravity_cam(self) -> np.ndarray:
        """(3,) unit vector of world "down" (−z) in camera coordinates."""
        return self.R @ np.array([0.0, 0.0, -1.0])

    @property
    def pitch_deg(self) -> float:
        """Angle of the optical axis below the horizontal, degrees (down positive)."""
        return float(np.degrees(np.arcsin(np.clip(self.gravity_cam[2], -1.0, 1.0))))

    @property
    def roll_deg(self) -> float:
        """Angle in the image from the image's down direction (+y) to the image of true down, degrees, positive
        toward image +x (right); 0 for a level camera."""
        g = self.gravity_cam
        return float(np.degrees(np.arctan2(g[0], g[1])))

    @property
    def yaw_deg(self) -> float:
        """Heading of the optical axis on the floor, degrees from world +x toward +y."""
        axis = self.R.T @ np.array([0.0, 0.0, 1.0])
        return float(np.degrees(np.arctan2(axis[1], axis[0])))

    @property
    def hfov_deg(self) -> float:
        """Horizontal field of view from fx and the image width, degrees (ignoring distortion)."""
        return float(np.degrees(2.0 * np.arctan(self.image_width / (2.0 * self.K[0, 0]))))

    @property
    def rvec(self) -> np.ndarray:
        """(3,) Rodrigues vector of R (for cv2.projectPoints)."""
        return cv2.Rodrigues(self.R)[0].ravel()

    # --- projections ----------------------------------------------------------------------------------------------

    def project(self, world_xyz_m: np.ndarray) -> np.ndarray:
        """Pixels (…, 2) of world points (…, 3) in metres; NaN for points not in front of the camera."""
        pts = np.asarray(world_xyz_m, dtype=float)
        flat = pts.reshape(-1, 3)
        if len(flat) == 0:
            return np.zeros(pts.shape[:-1] + (2,))
        depth = flat @ self.R[2] + self.t[2]
        px, _ = cv2.projectPoints(flat.reshape(-1, 1, 3), self.rvec, self.t, self.K, self.dist)
        px = px.reshape(-1, 2)
        px[depth <= MIN_RAY_COSINE] = np.nan
        return px.reshape(pts.shape[:-1] + (2,))

    def pixel_ray(self, px: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The viewing ray of pixel(s) (…, 2): (origin (3,) = camera centre in world metres, unit direction (…, 3))."""
        p = np.asarray(px, dtype=float)
        flat = p.reshape(-1, 2)
        norm = cv2.undistortPoints(flat.reshape(-1, 1, 2), self.K, self.dist).reshape(-1, 2)
        d_cam = np.column_stack([norm, np.ones(len(norm))])
        d_world = d_cam @ self.R  # == (R.T @ d_cam.T).T
        d_world /= np.linalg.norm(d_world, axis=1, keepdims=True)
        return self.position_m, d_world.reshape(p.shape[:-1] + (3,))

    def pixel_to_plane_z(self, px: np.ndarray, z_m: float | np.ndarray) -> np.ndarray:
        """Floor xy (…, 2) in metres where pixel rays meet the horizontal plane(s) at height ``z_m`` (NaN if the
        ray does not reach the plane in front of the camera)."""
        origin, d = self.pixel_ray(px)
        z = np.broadcast_to(np.asarray(z_m, dtype=float), d.shape[:-1])
        dz = d[..., 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            lam = (z - origin[2]) / dz
        ok = (np.abs(dz) > MIN_RAY_COSINE) & (lam > 0)
        xy = origin[:2] + lam[..., None] * d[..., :2]
        return np.where(ok[..., None], xy, np.nan)

    def pixel_to_floor(self, px: np.ndarray) -> np.ndarray:
        """Floor position (…, 2) in metres seen at pixel(s) (…, 2) (ray ∩ plane z = 0; NaN above the horizon)."""
        return self.pixel_to_plane_z(px, 0.0)

    def height_on_vertical_line(self, px: np.ndarray, floor_xy_m: np.ndarray) -> np.ndarray | float:
        """Height z (metres) of the point of the vertical line through ``floor_xy_m`` closest to the pixel's ray
        (NaN when the ray is vertical). Accepts one pixel (2,) or many (…, 2)."""
        origin, d = self.pixel_ray(px)
        q = np.asarray(floor_xy_m, dtype=float)
        w0 = np.concatenate([origin[:2] - q, [origin[2]]]) if q.ndim == 1 else np.concatenate(
            [origin[:2] - q, np.full(q.shape[:-1] + (1,), origin[2])], axis=-1)
        b = d[..., 2]
        denom = 1.0 - b * b
        dw = np.sum(d * w0, axis=-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            s = (w0[..., 2] - b * dw) / denom
        s = np.where(denom > MIN_RAY_COSINE, s, np.nan)
        return float(s) if np.ndim(s) == 0 else s

    def point_on_vertical_plane(self, px: np.ndarray, plane_point_xy: np.ndarray,
                                plane_normal_xy: np.ndarray) -> np.ndarray:
        """World point(s) (…, 3) in metres where pixel rays meet the vertical plane through ``plane_point_xy`` with
        horizontal normal ``plane_normal_xy`` (NaN when parallel or behind the camera)."""
        origin, d = self.pixel_ray(px)
        n = np.array([*np.asarray(plane_normal_xy, dtype=float), 0.0])
        n /= np.linalg.norm(n)
        p0 = np.array([*np.asarray(plane_point_xy, dtype=float), 0.0])
        dn = d @ n
        with np.errstate(divide="ignore", invalid="ignore"):
            lam = float(n @ (p0 - origin)) / dn
        ok = (np.abs(dn) > MIN_RAY_COSINE) & (lam > 0)
        pts = origin + lam[..., None] * d
        return np.where(np.asarray(ok)[..., None], pts, np.nan)

    def floor_xy_from_homography(self, px: np.ndarray) -> np.ndarray:
        """Floor position (…, 2) in metres of pixel(s) by the floor homography alone (independent of the pose)."""
        p = np.asarray(px, dtype=float)
        und = cv2.undistortPoints(p.reshape(-1, 1, 2), self.K, self.dist, P=self.K).reshape(-1, 2)
        out = cv2.perspectiveTransform(und.reshape(-1, 1, 2), self.floor_homography).reshape(-1, 2)
        return out.reshape(p.shape)


# ----------------------------------------------------------------------------------------------------------------
# Solving
# ----------------------------------------------------------------------------------------------------------------


def _camera_z(rvec: np.ndarray, tvec: np.ndarray) -> float:
    R = cv2.Rodrigues(rvec)[0]
    return float((-R.T @ tvec.reshape(3))[2])


def _reprojection(world: np.ndarray, pixels: np.ndarray, rvec, tvec, K, dist) -> np.ndarray:
    proj, _ = cv2.projectPoints(world.reshape(-1, 1, 3), rvec, tvec, K, dist)
    return np.linalg.norm(proj.reshape(-1, 2) - pixels, axis=1)


def _solve_pose(world: np.ndarray, pixels: np.ndarray, K: np.ndarray, dist: np.ndarray,
                cal: Calibration) -> tuple[np.ndarray, np.ndarray]:
    """Camera pose (rvec, tvec) from reference points: candidates from IPPE on the floor points (both of its
    solutions) and from SQPnP on all points; the candidate with the camera above the floor and the smallest error is
    refined by Levenberg-Marquardt (SOLVEPNP_ITERATIVE) on all points."""
    on_floor = world[:, 2] == 0.0
    candidates: list[tuple[np.ndarray, np.ndarray]] = []
    try:
        n, rvecs, tvecs, _ = cv2.solvePnPGeneric(world[on_floor], pixels[on_floor], K, dist, flags=cv2.SOLVEPNP_IPPE)
        candidates += [(np.asarray(rv, float).reshape(3), np.asarray(tv, float).reshape(3))
                       for rv, tv in zip(rvecs[:n], tvecs[:n])]
    except cv2.error:
        pass
    try:
        ok, rv, tv = cv2.solvePnP(world, pixels, K, dist, flags=cv2.SOLVEPNP_SQPNP)
        if ok:
            candidates.append((rv.reshape(3), tv.reshape(3)))
    except cv2.error:
        pass
    if not candidates:
        raise cal.error("floor_points", "no camera pose fits these points (degenerate layout); spread the points "
                                        "over the visible floor")
    above = [c for c in candidates if _camera_z(*c) > 0]
    if not above:
        raise cal.error("floor_points", "the solved camera is below the floor: the floor_m axes form a left-handed "
                                        "frame (x, y, z up must be right-handed); swap x and y or negate one")
    best = min(above, key=lambda c: float(np.sum(_reprojection(world, pixels, c[0], c[1], K, dist) ** 2)))
    ok, rvec, tvec = cv2.solvePnP(world, pixels, K, dist, rvec=best[0].copy(), tvec=best[1].copy(),
                                  useExtrinsicGuess=True, flags=cv2.SOLVEPNP_ITERATIVE)
    if not ok or _camera_z(rvec, tvec) <= 0:
        rvec, tvec = best
    return np.asarray(rvec, float).reshape(3), np.asarray(tvec, float).reshape(3)


def _refine_focal(world, pixels, K, dist, rvec, tvec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Jointly refine the pose and a single focal length (square pixels, principal point fixed) by least squares."""
    from scipy.optimize import least_squares

    f0 = float(K[0, 0])

    def residuals(params: np.ndarray) -> np.ndarray:
        Kf = K.copy()
        Kf[0, 0] = Kf[1, 1] = f0 * math.exp(params[6])
        proj, _ = cv2.projectPoints(world.reshape(-1, 1, 3), params[:3], params[3:6], Kf, dist)
        return (proj.reshape(-1, 2) - pixels).ravel()

    bound = math.log(FOCAL_SEARCH_FACTOR)
    x0 = np.concatenate([rvec, tvec, [0.0]])
    lo = np.concatenate([np.full(6, -np.inf), [-bound]])
    hi = np.concatenate([np.full(6, np.inf), [bound]])
    res = least_squares(residuals, x0, bounds=(lo, hi), x_scale="jac")
    Kf = K.copy()
    Kf[0, 0] = Kf[1, 1] = f0 * math.exp(res.x[6])
    return Kf, res.x[:3], res.x[3:6]


def solve_camera(cal: Calibration, check: bool = True, leave_one_out: bool = True) -> CameraModel:
    """Solve the camera of a calibration: floor homography, pose (IPPE/SQPnP → iterative PnP), optional focal
    refinement (pose and one focal length jointly, least squares; see ``Calibration.refine_focal``),
    per-point residuals (px, cm) and leave-one-out errors (px). With ``check`` (default) raise CalibrationError when
    the residuals exceed the file's tolerances, naming the point that is off (see :func:`check_camera`).
    ``leave_one_out=False`` skips the leave-one-out solves (faster; the check then names the largest residual)."""
    K = cal.intrinsics.matrix()
    dist = cal.intrinsics.distortion.astype(float)
    world = cal.reference_world_m
    pixels = cal.reference_pixels_px

    und = cv2.undistortPoints(cal.floor_pixels_px.reshape(-1, 1, 2), K, dist, P=K).reshape(-1, 2)
    H, _ = cv2.findHomography(und, cal.floor_points_m, 0)
    if H is None or not np.all(np.isfinite(H)) or abs(np.linalg.det(H)) < np.finfo(float).eps:
        raise cal.error("floor_points", "no floor homography fits these points (degenerate layout)")

    rvec, tvec = _solve_pose(world, pixels, K, dist, cal)
    focal_refined = False
    has_height = len(cal.height_points_m) > 0
    if cal.intrinsics.from_hfov and (cal.refine_focal == "true" or (cal.refine_focal == "auto" and has_height)):
        K, rvec, tvec = _refine_focal(world, pixels, K, dist, rvec, tvec)
        focal_refined = True

    R = cv2.Rodrigues(rvec)[0]
    cam = CameraModel(
        K=K, dist=dist, R=R, t=tvec.astype(float), image_width=cal.image_width, image_height=cal.image_height,
        floor_homography=H, reference_labels=cal.reference_labels, reference_world_m=world,
        reference_pixels_px=pixels, reprojection_errors_px=_reprojection(world, pixels, rvec, tvec, K, dist),
        floor_errors_cm=np.zeros(len(world)), leave_one_out_errors_px=np.full(len(world), np.nan),
        focal_refined=focal_refined, geometry=cal.geometry,
    )
    hit = cam.pixel_to_plane_z(pixels, world[:, 2])
    cam.floor_errors_cm = np.linalg.norm(hit - world[:, :2], axis=1) * 100.0
    if leave_one_out:
        cam.leave_one_out_errors_px = _leave_one_out(world, pixels, K, dist, cal)
    if check:
        check_camera(cal, cam)
    return cam


def _leave_one_out(world: np.ndarray, pixels: np.ndarray, K: np.ndarray, dist: np.ndarray,
                   cal: Calibration) -> np.ndarray:
    """Reprojection error (px) of each point predicted by the pose solved from the other points."""
    out = np.full(len(world), np.nan)
    n_floor = int(np.sum(world[:, 2] == 0.0))
    for i in range(len(world)):
        keep = np.arange(len(world)) != i
        if n_floor - (1 if world[i, 2] == 0.0 else 0) < MIN_FLOOR_POINTS:
            continue
        if _collinear(world[keep & (world[:, 2] == 0.0), :2]):
            continue
        try:
            rvec, tvec = _solve_pose(world[keep], pixels[keep], K, dist, cal)
        except (CalibrationError, cv2.error):
            continue
        out[i] = _reprojection(world[i:i + 1], pixels[i:i + 1], rvec, tvec, K, dist)[0]
    return out


def check_camera(cal: Calibration, cam: CameraModel) -> None:
    """Raise CalibrationError when a reference point's reprojection error exceeds ``max_reprojection_error_px`` or
    its floor error exceeds ``max_floor_error_m``, or when a floor zone lies outside the view; the message names the
    point most likely to be wrong (largest leave-one-out error, else largest residual)."""
    err_px = cam.reprojection_errors_px
    err_m = np.nan_to_num(cam.floor_errors_cm / 100.0, nan=np.inf)
    bad = (err_px > cal.max_reprojection_error_px) | (err_m > cal.max_floor_error_m)
    if np.any(bad):
        loo = cam.leave_one_out_errors_px
        if np.any(np.isfinite(loo)):
            i = int(np.nanargmax(loo))
            how = f"; solved without it, the camera puts it {loo[i]:.1f} px away"
        else:
            i = int(np.argmax(err_px / cal.max_reprojection_error_px + err_m / cal.max_floor_error_m))
            how = ""
        floor_txt = f"{cam.floor_errors_cm[i]:.1f} cm" if np.isfinite(cam.floor_errors_cm[i]) else "n/a"
        hint = ("; if many points are off, hfov_deg may be wrong: add height_points or set refine_focal: true"
                if cal.intrinsics.from_hfov and not cam.focal_refined and int(np.sum(bad)) > 1 else "")
        raise CalibrationError(
            f"{cal.source}: {cam.reference_labels[i]}: looks wrong (reprojection error {err_px[i]:.1f} px, "
            f"{floor_txt} on the floor{how}; limits max_reprojection_error_px {cal.max_reprojection_error_px:g}, "
            f"max_floor_error_m {cal.max_floor_error_m:g}); check its pixel and its metres{hint}")
    for zone in cal.zones.values():
        if zone.floor_m is not None and not _floor_polygon_in_view(cam, zone.floor_m):
            raise cal.error(f"zones.{zone.name}.floor_m", "the zone lies outside the camera's view")


def _floor_polygon_in_view(cam: CameraModel, polygon_m: np.ndarray) -> bool:
    """Whether a floor polygon (metres) shows in the image: a point of its outline projects inside the frame, or an
    image corner's floor point lies inside the polygon."""
    closed = np.vstack([polygon_m, polygon_m[:1]])
    outline = np.vstack([a + np.linspace(0.0, 1.0, ZONE_CHECK_SAMPLES)[:, None] * (b - a)
                         for a, b in zip(closed[:-1], closed[1:])])
    px = cam.project(np.column_stack([outline, np.zeros(len(outline))]))
    px = px[np.all(np.isfinite(px), axis=1)]
    if np.any((px[:, 0] >= 0) & (px[:, 0] <= cam.image_width) & (px[:, 1] >= 0) & (px[:, 1] <= cam.image_height)):
        return True
    w, h = cam.image_width, cam.image_height
    corners = cam.pixel_to_floor(np.array([[0.0, 0.0], [w, 0.0], [0.0, h], [w, h]]))
    poly = polygon_m.astype(np.float32).reshape(-1, 1, 2)
    return any(cv2.pointPolygonTest(poly, (float(c[0]), float(c[1])), False) >= 0
               for c in corners if np.all(np.isfinite(c)))
