"""Scenario scripts (docs/scenario.md, version 1): loading, validation and time sampling.

A scenario is data: a camera, a scene (counter, chair), persons with keyframes, and the author's annotations.
``Scenario.sample(t_s)`` returns every person's interpolated pose parameters at a time.

This module needs only numpy (and pyyaml to read ``.yaml`` files; ``.json`` files and ``Scenario.from_dict`` work
without it) so that the Blender renderer can import it under Blender's own Python.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "ScenarioError",
    "CameraSpec",
    "CounterSpec",
    "SceneSpec",
    "BodySpec",
    "Keyframe",
    "PersonSpec",
    "Annotation",
    "PoseParams",
    "Scenario",
    "load_scenario",
    "smoothstep",
    "STANCES",
    "ARM_STATES",
    "LEG_STATES",
    "ROLES",
    "EXTRA_ROLES",
    "ANNOTATION_KINDS",
    "BOW_CLASSES",
    "VIOLATION_TYPES",
    "STEP_LENGTH_M",
]

SCENARIO_VERSION = 1
STANCES = ("sit", "stand")
ARM_STATES = ("sides", "front_folded", "pockets", "desk", "reach_down", "reach_forward", "phone_shoulder")
LEG_STATES = ("normal", "crossed", "bent_knee", "tiptoe")
ROLES = ("clerk", "customer")
#: Roles accepted in addition to ROLES (renderer extension, docs/scenario.md): someone who crosses the room and never
#: approaches the counter. Kept out of ROLES so error messages and role checks of version-1 readers stay unchanged.
EXTRA_ROLES = ("passerby",)
SEXES = ("female", "male")
ANNOTATION_KINDS = ("bow", "reach", "violation", "clutter")
BOW_CLASSES = ("greeting", "thanks", "apology", "none")
VIOLATION_TYPES = (
    "stoop", "lean_on_counter", "bent_leg", "tiptoe", "sway", "hands_in_pockets", "lie_on_desk", "lean_back",
    "crossed_legs", "violent_rise", "running", "phone_on_shoulder",
)
CLUTTER_REGIONS = ("counter_top", "floor")
CLUTTER_OBJECTS = ("cup", "bag", "paper", "box")

STEP_LENGTH_M = 0.7
"""Length of one walking step; a full walk cycle (walk_phase 0 → 1) is two steps."""
DEFAULT_TRANSITION_S = 1.0
"""Default duration of a sit ↔ stand transition, ending at the key that sets the new stance."""

#: Numeric keyframe fields interpolated with a smoothstep, and their defaults when no key ever sets them.
NUMERIC_FIELDS = (
    "heading_deg", "trunk_flexion_deg", "trunk_lateral_deg", "neck_flexion_deg",
    "sway_amplitude_deg", "sway_period_s",
)
_NUMERIC_DEFAULTS = {
    "trunk_flexion_deg": 0.0,
    "trunk_lateral_deg": 0.0,
    "neck_flexion_deg": 0.0,
    "sway_amplitude_deg": 0.0,
    "sway_period_s": 2.0,
}
#: Default heading per role: clerks face the customers (+y), customers face the counter (−y).
_DEFAULT_HEADING_DEG = {"clerk": 90.0, "customer": 270.0, "passerby": 0.0}


class ScenarioError(ValueError):
    """A scenario file or dict is malformed; the message names the file and the key path."""


def smoothstep(u: float | np.ndarray) -> float | np.ndarray:
    """3u² − 2u³ for u clipped to [0, 1]: 0 at 0, 1 at 1, ½ at ½, zero slope at both ends (dimensionless)."""
    u = np.clip(u, 0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)


def _smoothstep_slope(u: float) -> float:
    """d smoothstep / du at u (0 outside [0, 1])."""
    if u <= 0.0 or u >= 1.0:
        return 0.0
    return 6.0 * u * (1.0 - u)


# ---------------------------------------------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------------------------------------------


class _V:
    """Validation context: formats errors as ``source: key.path: message``."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, path: str, msg: str) -> None:
        raise ScenarioError(f"{self.source}: {path}: {msg}" if path else f"{self.source}: {msg}")

    def mapping(self, d: Any, path: str, required: tuple[str, ...], optional: tuple[str, ...]) -> dict:
        if not isinstance(d, dict):
            self.fail(path, f"expected a mapping, got {_show(d)}")
        allowed = set(required) | set(optional)
        for k in d:
            if k not in allowed:
                where = f"{path}.{k}" if path else str(k)
                self.fail(where, f"unknown key (allowed: {', '.join(sorted(allowed))})")
        for k in required:
            if k not in d:
                self.fail(path, f"missing required key {k!r}")
        return d

    def number(self, v: Any, path: str, *, lo: float | None = None, hi: float | None = None,
               lo_open: bool = False) -> float:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(float(v)):
            self.fail(path, f"expected a number, got {_show(v)}")
        x = float(v)
        if lo is not None and (x < lo or (lo_open and x <= lo)):
            self.fail(path, f"expected a number {'>' if lo_open else '>='} {lo:g}, got {x:g}")
        if hi is not None and x > hi:
            self.fail(path, f"expected a number <= {hi:g}, got {x:g}")
        return x

    def integer(self, v: Any, path: str, *, lo: int | None = None) -> int:
        if isinstance(v, bool) or not isinstance(v, int):
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            else:
                self.fail(path, f"expected an integer, got {_show(v)}")
        if lo is not None and v < lo:
            self.fail(path, f"expected an integer >= {lo}, got {v}")
        return int(v)

    def string(self, v: Any, path: str) -> str:
        if not isinstance(v, str) or not v:
            self.fail(path, f"expected a non-empty string, got {_show(v)}")
        return v

    def choice(self, v: Any, path: str, choices: tuple[str, ...]) -> str:
        if not isinstance(v, str) or v not in choices:
            opts = " or ".join(repr(c) for c in choices) if len(choices) <= 2 else \
                "one of " + ", ".join(repr(c) for c in choices)
            self.fail(path, f"expected {opts}, got {_show(v)}")
        return v

    def vector(self, v: Any, path: str, n: int) -> np.ndarray:
        if not isinstance(v, (list, tuple)) or len(v) != n:
            self.fail(path, f"expected a list of {n} numbers, got {_show(v)}")
        return np.array([self.number(x, f"{path}[{i}]") for i, x in enumerate(v)], dtype=float)

    def listing(self, v: Any, path: str) -> list:
        if not isinstance(v, list):
            self.fail(path, f"expected a list, got {_show(v)}")
        return v


def _show(v: Any) -> str:
    """Short repr of a bad value for an error message."""
    s = repr(v)
    return s if len(s) <= 60 else s[:57] + "..."


# ---------------------------------------------------------------------------------------------------------------
# Spec dataclasses
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class CameraSpec:
    """A virtual pinhole camera in world metres (floor z = 0, z up)."""

    position_m: np.ndarray
    """(3,) camera centre in world metres."""
    look_at_m: np.ndarray
    """(3,) world point on the optical axis, metres."""
    hfov_deg: float
    """Horizontal field of view, degrees."""
    width: int
    """Image width, pixels."""
    height: int
    """Image height, pixels."""
    roll_deg: float = 0.0
    """Rotation of the image about the optical axis, degrees (positive = clockwise as seen in the image)."""


@dataclass
class CounterSpec:
    """The service counter. Its customer-facing edge is the polyline ``edge_m`` (default: y = 0 from x0 to x1)."""

    x0_m: float
    x1_m: float
    height_m: float
    """Height of the customer-side counter top, metres."""
    depth_m: float
    """Depth from the customer-facing edge back toward the clerk (y from −depth to 0), metres."""
    desk_height_m: float
    """Height of the clerk's work desk behind the counter, metres."""
    edge_m: np.ndarray | None = None
    """(N, 2) optional polyline of the customer-facing edge on the floor plane, metres; None = straight edge."""

    def edge_polyline_m(self) -> np.ndarray:
        """(N, 2) polyline of the customer-facing edge in floor metres (x, y)."""
        if self.edge_m is not None:
            return self.edge_m
        return np.array([[self.x0_m, 0.0], [self.x1_m, 0.0]])

    def distance_m(self, xy_m: np.ndarray) -> float | np.ndarray:
        """Euclidean floor distance in metres from point(s) (…, 2) to the edge polyline (= y for a straight
        counter when x0 ≤ x ≤ x1)."""
        p = np.asarray(xy_m, dtype=float)
        poly = self.edge_polyline_m()
        best = np.full(p.shape[:-1], np.inf)
        for a, b in zip(poly[:-1], poly[1:]):
            ab = b - a
            denom = float(ab @ ab)
            u = np.clip(((p - a) @ ab) / denom, 0.0, 1.0) if denom > 0 else np.zeros(p.shape[:-1])
            d = np.linalg.norm(p - (a + u[..., None] * ab), axis=-1)
            best = np.minimum(best, d)
        return float(best) if best.ndim == 0 else best


@dataclass
class SceneSpec:
    """The typed part of the scene plus a passthrough of renderer-only keys."""

    counter: CounterSpec | None = None
    chair_pos_m: np.ndarray | None = None
    """(2,) floor position of the clerk's chair, metres."""
    extra: dict = field(default_factory=dict)
    """Every other ``scene`` key, untouched (lights, walls, materials … for the renderer)."""


@dataclass
class BodySpec:
    """Body build: proportions scale with height."""

    height_m: float
    sex: str = "female"


@dataclass
class Keyframe:
    """One key: the fields it sets (None = not set by this key)."""

    t_s: float
    pos_m: np.ndarray | None = None
    heading_deg: float | None = None
    stance: str | None = None
    transition_s: float | None = None
    trunk_flexion_deg: float | None = None
    trunk_lateral_deg: float | None = None
    neck_flexion_deg: float | None = None
    arms: str | None = None
    legs: str | None = None
    sway_amplitude_deg: float | None = None
    sway_period_s: float | None = None


@dataclass
class PoseParams:
    """One person's pose parameters at one time (the script's values after interpolation)."""

    t_s: float
    pos_m: np.ndarray
    """(2,) floor position of the pelvis centre (x, y), metres."""
    heading_deg: float
    """Facing direction, degrees from +x toward +y (interpolated as written: 90 → 270 turns through 180, 90 → −90
    through 0; not wrapped)."""
    stance: str
    """'sit' when sit_blend ≥ 0.5, else 'stand'."""
    sit_blend: float
    """0 = standing, 1 = fully seated, continuous (smoothstep) through transitions."""
    trunk_flexion_deg: float
    """Forward bend of the hip→shoulder line from the true vertical, degrees (negative = leaning back)."""
    trunk_lateral_deg: float
    """Sideways lean, degrees, positive toward the person's own right."""
    neck_flexion_deg: float
    """Head relative to trunk, degrees, positive = chin down."""
    arms: str
    legs: str
    sway_amplitude_deg: float
    sway_period_s: float
    sway_offset_deg: float
    """Instantaneous sway angle = amplitude · sin(2πt / period), degrees, positive toward the person's right."""
    walk_phase: float
    """Walk cycle phase in [0, 1): advances by 1 every two steps (2 × STEP_LENGTH_M walked)."""
    walk_speed_m_s: float
    """Floor speed of the pelvis centre, m/s."""
    walk_distance_m: float = 0.0
    """Path length walked since the start, metres."""


@dataclass
class PersonSpec:
    """One scripted person."""

    id: str
    role: str
    body: BodySpec
    appearance: dict
    keyframes: list[Keyframe]
    _track: "_Track | None" = field(default=None, repr=False, compare=False)

    def sample(self, t_s: float) -> PoseParams:
        """This person's pose parameters at time ``t_s`` (seconds).

        Numeric fields: smoothstep between consecutive keys that set them, held before the first / after the last
        such key. arms/legs switch at key times. Stance blends (smoothstep) over transition_s ending at its key.
        A field the first keyframe leaves unset starts from its default there: 0°, sway period 2 s, heading 90°
        for clerks and 270° for customers, stance stand, arms sides, legs normal.
        """
        if self._track is None:
            self._track = _Track(self)
        return self._track.sample(float(t_s))


@dataclass
class Annotation:
    """A label from the script author: a bow, a reach, a violation interval, or a clutter object."""

    kind: str
    """bow | reach | violation | clutter"""
    person: str | None = None
    start_s: float | None = None
    end_s: float | None = None
    bow_class: str | None = None
    """greeting | thanks | apology | none (kind bow)."""
    type: str | None = None
    """Violation type (kind violation)."""
    region: str | None = None
    """counter_top | floor (kind clutter)."""
    object: str | None = None
    """cup | bag | paper | box (kind clutter)."""
    appear_s: float | None = None
    pos_m: np.ndarray | None = None
    """(3,) clutter position, metres."""
    size_m: np.ndarray | None = None
    """(3,) clutter size, metres."""


@dataclass
class Scenario:
    """A parsed, validated scenario script."""

    name: str
    duration_s: float
    fps: float
    camera: CameraSpec
    scene: SceneSpec
    persons: list[PersonSpec]
    annotations: list[Annotation] = field(default_factory=list)
    source: str = "<dict>"
    version: int = SCENARIO_VERSION

    # -- construction ------------------------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, d: Any, source: str = "<dict>") -> "Scenario":
        """Validate a scenario mapping (as read from YAML/JSON) and build a Scenario; raises ScenarioError."""
        return _parse_scenario(d, _V(source))

    # -- sampling ----------------------------------------------------------------------------------------------
    def times(self) -> np.ndarray:
        """Frame times k / fps in seconds for every integer k with k < duration_s · fps."""
        n = int(math.ceil(self.duration_s * self.fps - 1e-9))
        return np.arange(n, dtype=float) / self.fps

    def sample(self, t_s: float) -> dict[str, PoseParams]:
        """Every person's pose parameters at time ``t_s`` (seconds), keyed by person id."""
        return {p.id: p.sample(t_s) for p in self.persons}

    def person(self, person_id: str) -> PersonSpec:
        """The person with this id; raises KeyError."""
        for p in self.persons:
            if p.id == person_id:
                return p
        raise KeyError(f"{self.source}: no person {person_id!r}")

    def annotations_of(self, kind: str, person: str | None = None) -> list[Annotation]:
        """Annotations of one kind (optionally of one person), in file order."""
        return [a for a in self.annotations if a.kind == kind and (person is None or a.person == person)]


def load_scenario(path: str | os.PathLike) -> Scenario:
    """Read and validate a scenario file (.yaml/.yml, or .json); raises ScenarioError naming the file and key."""
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise ScenarioError(f"{path}: cannot read scenario file: {e}") from e
    if path.lower().endswith(".json"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise ScenarioError(f"{path}: invalid JSON: {e}") from e
    else:
        try:
            import yaml  # noqa: PLC0415 - optional so the module imports under Blender's python without pyyaml
        except ImportError as e:
            raise ScenarioError(
                f"{path}: reading YAML scenarios needs pyyaml (pip install pyyaml); "
                "alternatively convert the file to .json or call Scenario.from_dict"
            ) from e
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise ScenarioError(f"{path}: invalid YAML: {e}") from e
    return Scenario.from_dict(data, source=path)


# ---------------------------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------------------------

_KEY_FIELDS = (
    "t", "pos_m", "heading_deg", "stance", "transition_s", "trunk_flexion_deg", "trunk_lateral_deg",
    "neck_flexion_deg", "arms", "legs", "sway_amplitude_deg", "sway_period_s",
)


def _parse_scenario(d: Any, v: _V) -> Scenario:
    v.mapping(d, "", ("duration_s", "fps", "camera", "persons"),
              ("version", "name", "scene", "annotations"))
    version = v.integer(d.get("version", SCENARIO_VERSION), "version")
    if version != SCENARIO_VERSION:
        v.fail("version", f"unsupported scenario version {version} (this reader knows {SCENARIO_VERSION})")
    name = v.string(d.get("name", os.path.splitext(os.path.basename(v.source))[0] or "scenario"), "name")
    duration_s = v.number(d["duration_s"], "duration_s", lo=0.0, lo_open=True)
    fps = v.number(d["fps"], "fps", lo=0.0, lo_open=True)
    camera = _parse_camera(d["camera"], v)
    scene = _parse_scene(d.get("scene") or {}, v)
    persons_raw = v.listing(d["persons"], "persons")
    if not persons_raw:
        v.fail("persons", "expected at least one person")
    persons = [_parse_person(p, f"persons[{i}]", v) for i, p in enumerate(persons_raw)]
    seen: set[str] = set()
    for i, p in enumerate(persons):
        if p.id in seen:
            v.fail(f"persons[{i}].id", f"duplicate person id {p.id!r}")
        seen.add(p.id)
    annotations = [_parse_annotation(a, f"annotations[{i}]", v, seen)
                   for i, a in enumerate(v.listing(d.get("annotations") or [], "annotations"))]
    return Scenario(name=name, duration_s=duration_s, fps=fps, camera=camera, scene=scene, persons=persons,
                    annotations=annotations, source=v.source, version=version)


def _parse_camera(c: Any, v: _V) -> CameraSpec:
    v.mapping(c, "camera", ("position_m", "look_at_m", "hfov_deg", "width", "height"), ("roll_deg",))
    cam = CameraSpec(
        position_m=v.vector(c["position_m"], "camera.position_m", 3),
        look_at_m=v.vector(c["look_at_m"], "camera.look_at_m", 3),
        hfov_deg=v.number(c["hfov_deg"], "camera.hfov_deg", lo=1.0, hi=179.0),
        width=v.integer(c["width"], "camera.width", lo=16),
        height=v.integer(c["height"], "camera.height", lo=16),
        roll_deg=v.number(c.get("roll_deg", 0.0), "camera.roll_deg"),
    )
    if np.linalg.norm(cam.look_at_m - cam.position_m) < 1e-6:
        v.fail("camera.look_at_m", "must differ from camera.position_m")
    return cam


def _parse_scene(s: Any, v: _V) -> SceneSpec:
    if not isinstance(s, dict):
        v.fail("scene", f"expected a mapping, got {_show(s)}")
    counter = None
    if "counter" in s:
        c = v.mapping(s["counter"], "scene.counter", ("x0_m", "x1_m", "height_m", "depth_m"),
                      ("desk_height_m", "edge_m"))
        counter = CounterSpec(
            x0_m=v.number(c["x0_m"], "scene.counter.x0_m"),
            x1_m=v.number(c["x1_m"], "scene.counter.x1_m"),
            height_m=v.number(c["height_m"], "scene.counter.height_m", lo=0.0, lo_open=True),
            depth_m=v.number(c["depth_m"], "scene.counter.depth_m", lo=0.0, lo_open=True),
            desk_height_m=v.number(c.get("desk_height_m", 0.75), "scene.counter.desk_height_m", lo=0.0),
        )
        if counter.x1_m <= counter.x0_m:
            v.fail("scene.counter.x1_m", f"expected x1_m > x0_m ({counter.x0_m:g}), got {counter.x1_m:g}")
        if "edge_m" in c:
            pts = v.listing(c["edge_m"], "scene.counter.edge_m")
            if len(pts) < 2:
                v.fail("scene.counter.edge_m", "expected a polyline of at least 2 points [x, y]")
            counter.edge_m = np.array([v.vector(p, f"scene.counter.edge_m[{i}]", 2) for i, p in enumerate(pts)])
    chair = None
    if "chair" in s:
        ch = v.mapping(s["chair"], "scene.chair", ("pos_m",), ("height_m", "heading_deg"))
        chair = v.vector(ch["pos_m"], "scene.chair.pos_m", 2)
    extra = {k: val for k, val in s.items() if k not in ("counter", "chair")}
    if "chair" in s:
        extra["chair"] = dict(s["chair"])
    return SceneSpec(counter=counter, chair_pos_m=chair, extra=extra)


def _parse_person(p: Any, path: str, v: _V) -> PersonSpec:
    v.mapping(p, path, ("id", "role", "keyframes"), ("body", "appearance"))
    pid = v.string(p["id"], f"{path}.id")
    role = p["role"] if p["role"] in EXTRA_ROLES else v.choice(p["role"], f"{path}.role", ROLES)
    b = v.mapping(p.get("body") or {"height_m": 1.70}, f"{path}.body", ("height_m",), ("sex",))
    body = BodySpec(height_m=v.number(b["height_m"], f"{path}.body.height_m", lo=0.5, hi=2.5),
                    sex=v.choice(b.get("sex", "female"), f"{path}.body.sex", SEXES))
    appearance = p.get("appearance") or {}
    if not isinstance(appearance, dict):
        v.fail(f"{path}.appearance", f"expected a mapping, got {_show(appearance)}")
    keys_raw = v.listing(p["keyframes"], f"{path}.keyframes")
    if not keys_raw:
        v.fail(f"{path}.keyframes", "expected at least one keyframe")
    keys = [_parse_key(k, f"{path}.keyframes[{i}]", v) for i, k in enumerate(keys_raw)]
    for i in range(1, len(keys)):
        if keys[i].t_s <= keys[i - 1].t_s:
            v.fail(f"{path}.keyframes[{i}].t",
                   f"keyframe times must increase, got {keys[i].t_s:g} after {keys[i - 1].t_s:g}")
    if keys[0].pos_m is None:
        v.fail(f"{path}.keyframes[0]", "the first keyframe must set pos_m")
    return PersonSpec(id=pid, role=role, body=body, appearance=dict(appearance), keyframes=keys)


def _parse_key(k: Any, path: str, v: _V) -> Keyframe:
    v.mapping(k, path, ("t",), _KEY_FIELDS[1:])
    key = Keyframe(t_s=v.number(k["t"], f"{path}.t", lo=0.0))
    if "pos_m" in k:
        key.pos_m = v.vector(k["pos_m"], f"{path}.pos_m", 2)
    if "stance" in k:
        key.stance = v.choice(k["stance"], f"{path}.stance", STANCES)
    if "transition_s" in k:
        key.transition_s = v.number(k["transition_s"], f"{path}.transition_s", lo=0.0)
    if "arms" in k:
        key.arms = v.choice(k["arms"], f"{path}.arms", ARM_STATES)
    if "legs" in k:
        key.legs = v.choice(k["legs"], f"{path}.legs", LEG_STATES)
    for name in NUMERIC_FIELDS:
        if name in k:
            lo = 0.0 if name == "sway_amplitude_deg" else None
            if name == "sway_period_s":
                setattr(key, name, v.number(k[name], f"{path}.{name}", lo=0.0, lo_open=True))
            else:
                setattr(key, name, v.number(k[name], f"{path}.{name}", lo=lo))
    if key.trunk_flexion_deg is not None and not -60.0 <= key.trunk_flexion_deg <= 120.0:
        v.fail(f"{path}.trunk_flexion_deg", f"expected -60..120 degrees, got {key.trunk_flexion_deg:g}")
    return key


def _parse_annotation(a: Any, path: str, v: _V, person_ids: set[str]) -> Annotation:
    if not isinstance(a, dict):
        v.fail(path, f"expected a mapping, got {_show(a)}")
    kind = v.choice(a.get("kind"), f"{path}.kind", ANNOTATION_KINDS)
    if kind == "clutter":
        v.mapping(a, path, ("kind", "region", "object", "pos_m"), ("appear_s", "size_m", "disappear_s", "person"))
        ann = Annotation(
            kind=kind,
            region=v.choice(a["region"], f"{path}.region", CLUTTER_REGIONS),
            object=v.choice(a["object"], f"{path}.object", CLUTTER_OBJECTS),
            appear_s=v.number(a.get("appear_s", 0.0), f"{path}.appear_s", lo=0.0),
            pos_m=v.vector(a["pos_m"], f"{path}.pos_m", 3),
            size_m=v.vector(a["size_m"], f"{path}.size_m", 3) if "size_m" in a else None,
        )
        ann.start_s = ann.appear_s
        if "disappear_s" in a:
            ann.end_s = v.number(a["disappear_s"], f"{path}.disappear_s", lo=ann.appear_s)
        return ann
    optional = {"bow": ("bow_class",), "reach": (), "violation": ()}[kind]
    required = ("kind", "person", "start_s", "end_s") + (("type",) if kind == "violation" else ())
    v.mapping(a, path, required, optional)
    person = v.string(a["person"], f"{path}.person")
    if person not in person_ids:
        v.fail(f"{path}.person", f"no person with id {person!r} (persons: {', '.join(sorted(person_ids))})")
    start = v.number(a["start_s"], f"{path}.start_s", lo=0.0)
    end = v.number(a["end_s"], f"{path}.end_s")
    if end <= start:
        v.fail(f"{path}.end_s", f"expected end_s > start_s ({start:g}), got {end:g}")
    ann = Annotation(kind=kind, person=person, start_s=start, end_s=end)
    if kind == "bow":
        ann.bow_class = v.choice(a.get("bow_class", "none"), f"{path}.bow_class", BOW_CLASSES)
    if kind == "violation":
        ann.type = v.choice(a["type"], f"{path}.type", VIOLATION_TYPES)
    return ann


# ---------------------------------------------------------------------------------------------------------------
# Interpolation
# ---------------------------------------------------------------------------------------------------------------


class _Track:
    """Precompiled per-field key lists of one person, for fast sampling."""

    def __init__(self, person: PersonSpec):
        keys = person.keyframes
        self.numeric: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for name in NUMERIC_FIELDS:
            ts = [k.t_s for k in keys if getattr(k, name) is not None]
            vs = [getattr(k, name) for k in keys if getattr(k, name) is not None]
            if not ts or ts[0] > keys[0].t_s:
                # a field the first keyframe leaves unset starts from its default at the first keyframe
                default = _DEFAULT_HEADING_DEG[person.role] if name == "heading_deg" else _NUMERIC_DEFAULTS[name]
                ts, vs = [keys[0].t_s, *ts], [default, *vs]
            self.numeric[name] = (np.array(ts, float), np.array(vs, float))
        self.pos_t = np.array([k.t_s for k in keys if k.pos_m is not None])
        self.pos_v = np.array([k.pos_m for k in keys if k.pos_m is not None], dtype=float)
        seg = np.linalg.norm(np.diff(self.pos_v, axis=0), axis=1) if len(self.pos_v) > 1 else np.zeros(0)
        self.pos_seg_len = seg
        self.pos_cum = np.concatenate([[0.0], np.cumsum(seg)])
        self.discrete: dict[str, tuple[np.ndarray, list[str]]] = {}
        for name, default in (("arms", "sides"), ("legs", "normal")):
            ts = [k.t_s for k in keys if getattr(k, name) is not None]
            vs = [getattr(k, name) for k in keys if getattr(k, name) is not None]
            if not ts or ts[0] > keys[0].t_s:
                ts, vs = [keys[0].t_s, *ts], [default, *vs]
            self.discrete[name] = (np.array(ts, float), vs)
        stance_keys = [k for k in keys if k.stance is not None]
        if not stance_keys or stance_keys[0].t_s > keys[0].t_s:
            stance_keys = [Keyframe(t_s=keys[0].t_s, stance="stand"), *stance_keys]
        # (transition start, transition end = key time, target blend); a transition never starts before the
        # previous stance key
        self.stance_keys: list[tuple[float, float, float]] = []
        prev_t = -math.inf
        for k in stance_keys:
            target = 1.0 if k.stance == "sit" else 0.0
            tr = DEFAULT_TRANSITION_S if k.transition_s is None else k.transition_s
            self.stance_keys.append((max(k.t_s - tr, prev_t), k.t_s, target))
            prev_t = k.t_s

    def _numeric(self, name: str, t: float) -> float:
        ts, vs = self.numeric[name]
        return _interp_smooth(ts, vs, t)

    def _discrete(self, name: str, t: float) -> str:
        ts, vs = self.discrete[name]
        i = int(np.searchsorted(ts, t, side="right")) - 1
        return vs[max(i, 0)]  # before the first keyframe: hold its value

    def _sit_blend(self, t: float) -> float:
        keys = self.stance_keys
        blend = keys[0][2]  # the first key's stance holds before it (no transition into the first key)
        for start, end, target in keys[1:]:
            if t >= end:
                blend = target
            elif t > start:
                blend = blend + (target - blend) * float(smoothstep((t - start) / (end - start)))
                break
            else:
                break
        return float(blend)

    def _position(self, t: float) -> tuple[np.ndarray, float, float]:
        """Floor position (m), path length walked (m), and speed (m/s) at t."""
        ts, ps = self.pos_t, self.pos_v
        if len(ts) == 1 or t <= ts[0]:
            return ps[0].copy(), 0.0, 0.0
        if t >= ts[-1]:
            return ps[-1].copy(), float(self.pos_cum[-1]), 0.0
        i = int(np.searchsorted(ts, t, side="right")) - 1
        dt = ts[i + 1] - ts[i]
        u = (t - ts[i]) / dt
        s = float(smoothstep(u))
        pos = ps[i] + (ps[i + 1] - ps[i]) * s
        dist = float(self.pos_cum[i] + self.pos_seg_len[i] * s)
        speed = float(self.pos_seg_len[i] * _smoothstep_slope(u) / dt)
        return pos, dist, speed

    def sample(self, t: float) -> PoseParams:
        pos, dist, speed = self._position(t)
        blend = self._sit_blend(t)
        amp = self._numeric("sway_amplitude_deg", t)
        period = self._numeric("sway_period_s", t)
        return PoseParams(
            t_s=t,
            pos_m=pos,
            heading_deg=self._numeric("heading_deg", t),
            stance="sit" if blend >= 0.5 else "stand",
            sit_blend=blend,
            trunk_flexion_deg=self._numeric("trunk_flexion_deg", t),
            trunk_lateral_deg=self._numeric("trunk_lateral_deg", t),
            neck_flexion_deg=self._numeric("neck_flexion_deg", t),
            arms=self._discrete("arms", t),
            legs=self._discrete("legs", t),
            sway_amplitude_deg=amp,
            sway_period_s=period,
            sway_offset_deg=amp * math.sin(2.0 * math.pi * t / period),
            walk_phase=(dist / (2.0 * STEP_LENGTH_M)) % 1.0,
            walk_speed_m_s=speed,
            walk_distance_m=dist,
        )


def _interp_smooth(ts: np.ndarray, vs: np.ndarray, t: float) -> float:
    """Smoothstep interpolation between consecutive keys; holds the end values outside the keyed range."""
    if len(ts) == 1 or t <= ts[0]:
        return float(vs[0])
    if t >= ts[-1]:
        return float(vs[-1])
    i = int(np.searchsorted(ts, t, side="right")) - 1
    u = (t - ts[i]) / (ts[i + 1] - ts[i])
    return float(vs[i] + (vs[i + 1] - vs[i]) * smoothstep(u))
