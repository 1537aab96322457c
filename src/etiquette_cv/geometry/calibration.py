"""Camera calibration files: the per-camera YAML schema, its validation and loading.

A calibration file (one per camera, ``version: 1``, schema in ``calibration/README.md``) ties image pixels to a
floor frame in metres (z = 0 on the floor, z up, right-handed). :func:`load_calibration` validates it and raises
:class:`CalibrationError` with a one-line message naming the file, the key and the problem; the solver
(:mod:`etiquette_cv.geometry.solver`) turns it into a camera model.

Units: pixels (``_px``) are full-frame image pixels, origin top-left, x right, y down; world coordinates are metres
(``_m``) in the calibration's floor frame; angles in degrees (``_deg``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..strict_yaml import StrictReader, read_yaml_file, show
from .polyline import distance_to_polyline_m, is_collinear, polygon_area, polyline_side

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

#: Zones that may be given as floor polygons (metres) or image polygons (pixels).
FLOOR_ZONES = ("clerk", "customer_approach", "waiting")
#: Zones that are image polygons only (scene checks on the counter top and the floor).
IMAGE_ZONES = ("counter_top", "floor_check")
REQUIRED_ZONES = ("clerk",)
#: Image zones named ``allow_<what>`` (e.g. ``allow_keyboard``) are the clerk's legitimate work items on the counter
#: top: the clutter check ignores them.
ALLOW_ZONE_PREFIX = "allow_"


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
    ankle_height_m: float = 0.10
    """Height of MediaPipe's ankle landmark above the floor; the ankle rays are intersected with this plane. Our
    default, measured: over the truth's floor point of people standing still, the ankle landmark's ray passes at a
    median 10.3 cm (tuning split of ``benchmarks/people_set``; the rendered ankle joint itself at 7-8 cm, so the
    landmark sits above the joint), about where a shod adult's lateral malleolus is (4 % of stature plus a sole).
    With the earlier 7 cm the floor points from the feet lay a median 10.6 cm too far from the camera (floor
    median 14.6 -> 11.9 cm)."""
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
    privacy_masks: tuple[Zone, ...] = ()
    """Image polygons (pixels) covered in every image the product writes (a PIN pad, a customer's screen) and left
    out of the scene checks."""

    def error(self, key: str, problem: str) -> CalibrationError:
        """A CalibrationError naming this file and ``key``."""
        return CalibrationError(f"{self.source}: {key}: {problem}")

    @property
    def privacy(self) -> tuple[list[np.ndarray], tuple[int, int]]:
        """The privacy masks as :func:`~etiquette_cv.io.privacy.cover_private` takes them: their image polygons
        (pixels) and the calibrated (width, height)."""
        return [m.image_px for m in self.privacy_masks], (self.image_width, self.image_height)

    @property
    def counter_top_px(self) -> np.ndarray | None:
        """The counter top's image polygon (pixels; the ``counter_top`` zone), None when not given in pixels."""
        zone = self.zones.get("counter_top")
        return None if zone is None else zone.image_px

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


_TOP_KEYS = ("version", "name", "image_size", "intrinsics", "hfov_deg", "floor_points", "height_points", "counter",
             "clerk_stations", "zones", "reference_frames", "max_reprojection_error_px", "max_floor_error_m",
             "refine_focal", "geometry", "notes", "privacy_masks")
_TOP_REQUIRED = ("version", "image_size", "floor_points", "counter", "clerk_stations", "zones")


def load_calibration(path: str | Path) -> Calibration:
    """Read and validate a calibration YAML file; raises CalibrationError (one line: file, key, problem)."""
    path = Path(path)
    data = read_yaml_file(path, CalibrationError)
    return calibration_from_dict(data, source=path.name, base_dir=path.parent, path=path)


def calibration_from_dict(data: Any, source: str = "<calibration>", base_dir: str | Path | None = None,
                          path: Path | None = None) -> Calibration:
    """Validate an already parsed calibration mapping (as read from YAML); raises CalibrationError."""
    r = StrictReader(source, CalibrationError)
    if data is None:
        raise r.fail("", "the file is empty")
    d = r.mapping("", data, _TOP_KEYS, _TOP_REQUIRED)
    version = d["version"]
    if isinstance(version, bool) or version != SCHEMA_VERSION:
        raise r.fail("version", f"expected {SCHEMA_VERSION}, got {show(version)}")
    name = r.text("name", d["name"]) if "name" in d else Path(source).stem
    if "notes" in d and not isinstance(d["notes"], str):
        raise r.fail("notes", f"expected a string, got {show(d['notes'])}")

    size = r.vector("image_size", d["image_size"], ("w", "h"))
    if np.any(size <= 0) or np.any(size != np.round(size)):
        raise r.fail("image_size", f"expected positive whole numbers [w, h], got {show(d['image_size'])}")
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
        raise r.fail("refine_focal", f"expected auto, true or false, got {show(d['refine_focal'])}")
    if refine == "true" and len(height_px) + len(floor_px) < MIN_POINTS_FOR_FOCAL:
        raise r.fail("refine_focal", f"true needs at least {MIN_POINTS_FOR_FOCAL} floor_points + height_points, got "
                                     f"{len(height_px) + len(floor_px)}")
    if refine == "true" and not intrinsics.from_hfov:
        raise r.fail("refine_focal", "true applies to hfov_deg only; explicit intrinsics are used as given")

    geometry = _read_geometry(r, d.get("geometry", {}))
    masks = _read_privacy_masks(r, d.get("privacy_masks", []), width, height)

    return Calibration(
        source=source, path=path, name=name, image_width=width, image_height=height, intrinsics=intrinsics,
        hfov_deg=hfov_deg, floor_pixels_px=floor_px, floor_points_m=floor_m, floor_labels=floor_labels,
        height_pixels_px=height_px, height_points_m=height_m, height_labels=height_labels, counter=counter,
        clerk_stations=stations, zones=zones, reference_frames=frames, max_reprojection_error_px=max_px,
        max_floor_error_m=max_m, refine_focal=refine, geometry=geometry, privacy_masks=masks,
    )


def _read_intrinsics(r: StrictReader, d: dict, width: int, height: int) -> tuple[Intrinsics, float | None]:
    if "intrinsics" in d and "hfov_deg" in d:
        raise r.fail("hfov_deg", "give either intrinsics or hfov_deg, not both")
    if "intrinsics" in d:
        m = r.mapping("intrinsics", d["intrinsics"], ("fx", "fy", "cx", "cy", "distortion"), ("fx", "fy", "cx", "cy"))
        fx = r.number("intrinsics.fx", m["fx"], positive=True)
        fy = r.number("intrinsics.fy", m["fy"], positive=True)
        cx = r.number("intrinsics.cx", m["cx"], lo=0, hi=width)
        cy = r.number("intrinsics.cy", m["cy"], lo=0, hi=height)
        dist = (r.vector("intrinsics.distortion", m["distortion"], ("k1", "k2", "p1", "p2", "k3"))
                if "distortion" in m else np.zeros(5))
        hfov = math.degrees(2.0 * math.atan(width / (2.0 * fx)))
        return Intrinsics(fx, fy, cx, cy, dist, from_hfov=False), hfov
    if "hfov_deg" in d:
        hfov = r.number("hfov_deg", d["hfov_deg"], positive=True, hi=179.0)
    else:
        raise r.fail("hfov_deg", "missing: give intrinsics {fx, fy, cx, cy[, distortion]} or hfov_deg")
    f = width / (2.0 * math.tan(math.radians(hfov) / 2.0))
    return Intrinsics(f, f, width / 2.0, height / 2.0, np.zeros(5), from_hfov=True), hfov


def _point_label(key: str, i: int, entry: Any) -> str:
    label = f"{key}[{i}]"
    if isinstance(entry, dict) and isinstance(entry.get("name"), str):
        label += f" ({entry['name']})"
    return label


def _read_reference_points(r: StrictReader, group: str, value: Any, world_key: str, world_names: tuple[str, ...],
                           width: int, height: int) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """The measured pixels (N, 2), world positions (N, len(world_names)) and labels of a list of reference points
    ``{pixel: [u, v], <world_key>: [...], name?}``."""
    if not isinstance(value, list):
        form = f"{{pixel: [u, v], {world_key}: [{', '.join(world_names)}]}}"
        raise r.fail(group, f"expected a list of {form}, got {show(value)}")
    pixels, worlds, labels = [], [], []
    for i, entry in enumerate(value):
        key = f"{group}[{i}]"
        m = r.mapping(key, entry, ("pixel", world_key, "name"), ("pixel", world_key))
        if "name" in m:
            r.text(f"{key}.name", m["name"])
        px = r.vector(f"{key}.pixel", m["pixel"], ("u", "v"))
        _check_inside(r, f"{key}.pixel", px, width, height)
        pixels.append(px)
        worlds.append(r.vector(f"{key}.{world_key}", m[world_key], world_names))
        labels.append(_point_label(group, i, entry))
    return (np.array(pixels).reshape(-1, 2), np.array(worlds).reshape(-1, len(world_names)), tuple(labels))


def _read_floor_points(r: StrictReader, value: Any, width: int, height: int):
    if isinstance(value, list) and len(value) < MIN_FLOOR_POINTS:
        raise r.fail("floor_points", f"expected at least {MIN_FLOOR_POINTS} points, got {len(value)}")
    pixels_a, floors_a, labels = _read_reference_points(r, "floor_points", value, "floor_m", ("x", "y"), width, height)
    _check_duplicates(r, "floor_points", floors_a, DUPLICATE_FLOOR_DISTANCE_M, "floor_m", "m")
    _check_duplicates(r, "floor_points", pixels_a, DUPLICATE_PIXEL_DISTANCE_PX, "pixel", "px")
    for arr, what in ((floors_a, "floor_m"), (pixels_a, "pixel")):
        if is_collinear(arr, MIN_SPREAD_RATIO):
            raise r.fail("floor_points", f"the {what} positions are (nearly) collinear; spread the points over "
                                         "the floor in two directions")
    if len(floors_a) == MIN_FLOOR_POINTS:
        for skip in range(MIN_FLOOR_POINTS):
            keep = [j for j in range(MIN_FLOOR_POINTS) if j != skip]
            if is_collinear(floors_a[keep], MIN_SPREAD_RATIO) or is_collinear(pixels_a[keep], MIN_SPREAD_RATIO):
                raise r.fail("floor_points", f"points {keep} are (nearly) collinear; with only four points no "
                                             "three may lie on a line")
    return pixels_a, floors_a, labels


def _read_height_points(r: StrictReader, value: Any, width: int, height: int):
    pixels, worlds, labels = _read_reference_points(r, "height_points", value, "world_m", ("x", "y", "z"), width,
                                                    height)
    for i, w in enumerate(worlds):
        if w[2] <= 0:
            raise r.fail(f"height_points[{i}].world_m", f"z must be above the floor (> 0), got {w[2]:g}; put floor "
                                                        "points in floor_points")
    return pixels, worlds, labels


def _check_inside(r: StrictReader, key: str, px: np.ndarray, width: int, height: int) -> None:
    if not (0.0 <= px[0] <= width and 0.0 <= px[1] <= height):
        raise r.fail(key, f"[{px[0]:g}, {px[1]:g}] lies outside the {width}x{height} image")


def _check_duplicates(r: StrictReader, key: str, pts: np.ndarray, limit: float, what: str, unit: str) -> None:
    for i in range(len(pts)):
        for j in range(i + 1, len(pts)):
            if np.linalg.norm(pts[i] - pts[j]) < limit:
                raise r.fail(f"{key}[{j}].{what}", f"duplicate of {key}[{i}] (closer than {limit:g} {unit})")


def _read_counter(r: StrictReader, value: Any) -> Counter:
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
        s = polyline_side(p, edge)
        if s == 0:
            raise r.fail("counter.customer_side", f"the point {shown} lies on the counter edge; pick a point "
                                                  "clearly on the customer side")
        side = s
    else:
        raise r.fail("counter.customer_side", f"expected +1, -1 or a floor point [x, y] on the customer side, got "
                                              f"{show(side_value)}")
    return Counter(edge, h, side)


def _read_stations(r: StrictReader, value: Any, counter: Counter) -> tuple[ClerkStation, ...]:
    if not isinstance(value, list) or not value:
        raise r.fail("clerk_stations", f"expected a list of at least 1 {{name, floor_m: [x, y]}}, got {show(value)}")
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


def _read_zones(r: StrictReader, value: Any, width: int, height: int) -> dict[str, Zone]:
    allow = tuple(k for k in value if isinstance(k, str) and k.startswith(ALLOW_ZONE_PREFIX)) \
        if isinstance(value, dict) else ()   # allow-list regions of the counter-top check (keyboard, tray, …)
    m = r.mapping("zones", value, FLOOR_ZONES + IMAGE_ZONES + allow, REQUIRED_ZONES)
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
            if abs(polygon_area(poly)) < DUPLICATE_FLOOR_DISTANCE_M ** 2:
                raise r.fail(f"{key}.floor_m", "the polygon has no area")
            zones[name] = Zone(name, floor_m=poly)
        else:
            poly = r.points(f"{key}.image_px", z["image_px"], ("u", "v"), 3)
            for i, p in enumerate(poly):
                _check_inside(r, f"{key}.image_px[{i}]", p, width, height)
            if abs(polygon_area(poly)) < 1.0:
                raise r.fail(f"{key}.image_px", "the polygon has no area")
            zones[name] = Zone(name, image_px=poly)
    return zones


def _read_privacy_masks(r: StrictReader, value: Any, width: int, height: int) -> tuple[Zone, ...]:
    if not isinstance(value, list):
        raise r.fail("privacy_masks", f"expected a list of {{name, image_px}}, got {show(value)}")
    masks = []
    for i, spec in enumerate(value):
        key = f"privacy_masks[{i}]"
        m = r.mapping(key, spec, ("name", "image_px"), ("image_px",))
        name = r.text(f"{key}.name", m["name"]) if "name" in m else f"mask{i + 1}"
        poly = r.points(f"{key}.image_px", m["image_px"], ("u", "v"), 3)
        for j, p in enumerate(poly):
            _check_inside(r, f"{key}.image_px[{j}]", p, width, height)
        if abs(polygon_area(poly)) < 1.0:
            raise r.fail(f"{key}.image_px", "the polygon has no area")
        masks.append(Zone(name, image_px=poly))
    return tuple(masks)


def _read_reference_frames(r: StrictReader, value: Any, base_dir: Path) -> tuple[Path, ...]:
    if not isinstance(value, list):
        raise r.fail("reference_frames", f"expected a list of image paths, got {show(value)}")
    out = []
    for i, p in enumerate(value):
        key = f"reference_frames[{i}]"
        text = r.text(key, p)
        path = Path(text) if Path(text).is_absolute() else base_dir / text
        if not path.is_file():
            raise r.fail(key, f"file not found: {path}")
        out.append(path)
    return tuple(out)


def _read_geometry(r: StrictReader, value: Any) -> GeometrySettings:
    names = tuple(GeometrySettings.__dataclass_fields__)
    m = r.mapping("geometry", value, names)
    kwargs: dict[str, Any] = {}
    for k, v in m.items():
        key = f"geometry.{k}"
        if k.endswith("confidence") or k == "visibility_threshold":
            kwargs[k] = r.number(key, v, lo=0.0, hi=1.0)
        else:
            kwargs[k] = r.number(key, v, positive=True)
    return GeometrySettings(**kwargs)
