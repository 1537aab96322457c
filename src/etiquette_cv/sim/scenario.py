"""Scenario scripts (docs/scenario.md, version 1): loading, validation and time sampling.

A scenario is data: a camera, a scene (counter, chair), persons with keyframes, and the author's annotations.
``Scenario.sample(t_s)`` returns every person's interpolated pose parameters at a time.

This module needs only numpy (and pyyaml to read ``.yaml`` files; ``.json`` files and ``Scenario.from_dict`` work
without it) so that the Blender renderer can import it under Blender's own Python; files are read with the
package's one strict reader (:mod:`etiquette_cv.strict_yaml`).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..strict_yaml import StrictReader, read_yaml_file, show
from .arm_gestures import GESTURE_ARM_STATES
from .keyframes import (NUMERIC_FIELDS, STEP_LENGTH_M, Keyframe, KeyframeTrack, PoseParams,
                        smoothstep)

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
    "GESTURE_TYPES",
    "BOW_CLASSES",
    "VIOLATION_TYPES",
    "STEP_LENGTH_M",
]

SCENARIO_VERSION = 1
STANCES = ("sit", "stand")
ARM_STATES = ("sides", "front_folded", "pockets", "desk", "reach_down", "reach_forward", "phone_shoulder") \
    + GESTURE_ARM_STATES
"""Arm states; the last nine have exact arm geometry (:mod:`.arm_gestures`): four DB 表4 gestures, three to avoid
(``touch_hair``, ``wave_no``, ``tap_counter``) and two controls (``phone_ear``, ``hand_rest``)."""
LEG_STATES = ("normal", "crossed", "bent_knee", "tiptoe")
ROLES = ("clerk", "customer")
#: Roles accepted in addition to ROLES (renderer extension, docs/scenario.md): someone who crosses the room and never
#: approaches the counter. Kept out of ROLES so error messages and role checks of version-1 readers stay unchanged.
EXTRA_ROLES = ("passerby",)
SEXES = ("female", "male")
ANNOTATION_KINDS = ("bow", "reach", "violation", "clutter", "gesture")
GESTURE_TYPES = GESTURE_ARM_STATES
"""A ``gesture`` annotation's ``type``: the arms state the person holds from ``start_s`` to ``end_s``."""
BOW_CLASSES = ("greeting", "thanks", "apology", "none")
VIOLATION_TYPES = (
    "stoop", "lean_on_counter", "bent_leg", "tiptoe", "sway", "hands_in_pockets", "lie_on_desk", "lean_back",
    "crossed_legs", "violent_rise", "running", "phone_on_shoulder", "touch_hair", "head_shake", "wave_no",
    "tap_counter",
)
CLUTTER_REGIONS = ("counter_top", "floor")
CLUTTER_OBJECTS = ("cup", "bag", "paper", "box")



class ScenarioError(ValueError):
    """A scenario file or dict is malformed; the message names the file and the key path."""


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
class PersonSpec:
    """One scripted person."""

    id: str
    role: str
    body: BodySpec
    appearance: dict
    keyframes: list[Keyframe]
    _track: KeyframeTrack | None = field(default=None, repr=False, compare=False)

    def sample(self, t_s: float) -> PoseParams:
        """This person's pose parameters at time ``t_s`` (seconds).

        Numeric fields: smoothstep between consecutive keys that set them, held before the first / after the last
        such key. arms/legs switch at key times. Stance blends (smoothstep) over transition_s ending at its key.
        A field the first keyframe leaves unset starts from its default there: 0°, sway period 2 s, heading 90°
        for clerks and 270° for customers, stance stand, arms sides, legs normal.
        """
        if self._track is None:
            self._track = KeyframeTrack(self.role, self.keyframes)
        return self._track.sample(float(t_s))


@dataclass
class Annotation:
    """A label from the script author: a bow, a reach, a violation interval, or a clutter object."""

    kind: str
    """bow | reach | violation | clutter | gesture"""
    person: str | None = None
    start_s: float | None = None
    end_s: float | None = None
    bow_class: str | None = None
    """greeting | thanks | apology | none (kind bow)."""
    type: str | None = None
    """Violation type (kind violation); gesture type (kind gesture: indicate | wave | hand_over | handshake)."""
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
        return _parse_scenario(d, StrictReader(source, ScenarioError))

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


def counter_clerk_scenario(keyframes: list[dict], camera_xy_m: list[float], duration_s: float,
                           camera_height_m: float = 2.4, name: str = "counter_clerk") -> Scenario:
    """A clerk (1.68 m, female) behind a counter 0.76 m high and 0.6 m deep, acting ``keyframes``, seen by a
    1280×720 camera (60° wide) at ``camera_xy_m`` and ``camera_height_m`` (metres) looking at the station
    (0, −0.85 m) 1 m above the floor; 10 frames per second."""
    return Scenario.from_dict({
        "version": 1, "name": name, "duration_s": duration_s, "fps": 10,
        "camera": {"position_m": [*camera_xy_m, camera_height_m], "look_at_m": [0.0, -0.85, 1.0], "hfov_deg": 60,
                   "width": 1280, "height": 720},
        "scene": {"counter": {"x0_m": -1.2, "x1_m": 1.2, "height_m": 0.76, "depth_m": 0.6, "desk_height_m": 0.76}},
        "persons": [{"id": "clerk", "role": "clerk", "body": {"height_m": 1.68, "sex": "female"},
                     "keyframes": keyframes}],
    })


def load_scenario(path: str | os.PathLike) -> Scenario:
    """Read and validate a scenario file (.yaml/.yml, or .json); raises ScenarioError naming the file and key."""
    path = os.fspath(path)
    if not path.lower().endswith(".json"):
        return Scenario.from_dict(read_yaml_file(path, ScenarioError, source=path), source=path)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise ScenarioError(f"{path}: cannot read scenario file: {e}") from e
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ScenarioError(f"{path}: invalid JSON: {e}") from e
    return Scenario.from_dict(data, source=path)


# ---------------------------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------------------------

_KEY_FIELDS = (
    "t", "pos_m", "heading_deg", "stance", "transition_s", "trunk_flexion_deg", "trunk_lateral_deg",
    "neck_flexion_deg", "arms", "legs", "sway_amplitude_deg", "sway_period_s", "gesture_hz", "head_shake_deg",
    "head_shake_hz",
)


def _parse_scenario(d: Any, v: StrictReader) -> Scenario:
    v.mapping("", d, ("version", "name", "scene", "annotations"), ("duration_s", "fps", "camera", "persons"))
    version = v.integer("version", d.get("version", SCENARIO_VERSION))
    if version != SCENARIO_VERSION:
        raise v.fail("version", f"unsupported scenario version {version} (this reader knows {SCENARIO_VERSION})")
    name = v.text("name", d.get("name", os.path.splitext(os.path.basename(v.source))[0] or "scenario"))
    duration_s = v.number("duration_s", d["duration_s"], lo=0.0, lo_open=True)
    fps = v.number("fps", d["fps"], lo=0.0, lo_open=True)
    camera = _parse_camera(d["camera"], v)
    scene = _parse_scene(d.get("scene") or {}, v)
    persons_raw = v.listing("persons", d["persons"])
    if not persons_raw:
        raise v.fail("persons", "expected at least one person")
    persons = [_parse_person(p, f"persons[{i}]", v) for i, p in enumerate(persons_raw)]
    seen: set[str] = set()
    for i, p in enumerate(persons):
        if p.id in seen:
            raise v.fail(f"persons[{i}].id", f"duplicate person id {p.id!r}")
        seen.add(p.id)
    annotations = [_parse_annotation(a, f"annotations[{i}]", v, seen)
                   for i, a in enumerate(v.listing("annotations", d.get("annotations") or []))]
    return Scenario(name=name, duration_s=duration_s, fps=fps, camera=camera, scene=scene, persons=persons,
                    annotations=annotations, source=v.source, version=version)


def _parse_camera(c: Any, v: StrictReader) -> CameraSpec:
    v.mapping("camera", c, ("roll_deg",), ("position_m", "look_at_m", "hfov_deg", "width", "height"))
    cam = CameraSpec(
        position_m=v.vector("camera.position_m", c["position_m"], 3),
        look_at_m=v.vector("camera.look_at_m", c["look_at_m"], 3),
        hfov_deg=v.number("camera.hfov_deg", c["hfov_deg"], lo=1.0, hi=179.0),
        width=v.integer("camera.width", c["width"], lo=16),
        height=v.integer("camera.height", c["height"], lo=16),
        roll_deg=v.number("camera.roll_deg", c.get("roll_deg", 0.0)),
    )
    if np.linalg.norm(cam.look_at_m - cam.position_m) < 1e-6:
        raise v.fail("camera.look_at_m", "must differ from camera.position_m")
    return cam


def _parse_scene(s: Any, v: StrictReader) -> SceneSpec:
    if not isinstance(s, dict):
        raise v.fail("scene", f"expected a mapping, got {show(s)}")
    counter = None
    if "counter" in s:
        c = v.mapping("scene.counter", s["counter"], ("desk_height_m", "edge_m"), ("x0_m", "x1_m", "height_m", "depth_m"))
        counter = CounterSpec(
            x0_m=v.number("scene.counter.x0_m", c["x0_m"]),
            x1_m=v.number("scene.counter.x1_m", c["x1_m"]),
            height_m=v.number("scene.counter.height_m", c["height_m"], lo=0.0, lo_open=True),
            depth_m=v.number("scene.counter.depth_m", c["depth_m"], lo=0.0, lo_open=True),
            desk_height_m=v.number("scene.counter.desk_height_m", c.get("desk_height_m", 0.75), lo=0.0),
        )
        if counter.x1_m <= counter.x0_m:
            raise v.fail("scene.counter.x1_m", f"expected x1_m > x0_m ({counter.x0_m:g}), got {counter.x1_m:g}")
        if "edge_m" in c:
            pts = v.listing("scene.counter.edge_m", c["edge_m"])
            if len(pts) < 2:
                raise v.fail("scene.counter.edge_m", "expected a polyline of at least 2 points [x, y]")
            counter.edge_m = np.array([v.vector(f"scene.counter.edge_m[{i}]", p, 2) for i, p in enumerate(pts)])
    chair = None
    if "chair" in s:
        ch = v.mapping("scene.chair", s["chair"], ("height_m", "heading_deg"), ("pos_m",))
        chair = v.vector("scene.chair.pos_m", ch["pos_m"], 2)
    extra = {k: val for k, val in s.items() if k not in ("counter", "chair")}
    if "chair" in s:
        extra["chair"] = dict(s["chair"])
    return SceneSpec(counter=counter, chair_pos_m=chair, extra=extra)


def _parse_person(p: Any, path: str, v: StrictReader) -> PersonSpec:
    v.mapping(path, p, ("body", "appearance"), ("id", "role", "keyframes"))
    pid = v.text(f"{path}.id", p["id"])
    role = p["role"] if p["role"] in EXTRA_ROLES else v.choice(f"{path}.role", p["role"], ROLES)
    b = v.mapping(f"{path}.body", p.get("body") or {"height_m": 1.70}, ("sex",), ("height_m",))
    body = BodySpec(height_m=v.number(f"{path}.body.height_m", b["height_m"], lo=0.5, hi=2.5),
                    sex=v.choice(f"{path}.body.sex", b.get("sex", "female"), SEXES))
    appearance = p.get("appearance") or {}
    if not isinstance(appearance, dict):
        raise v.fail(f"{path}.appearance", f"expected a mapping, got {show(appearance)}")
    keys_raw = v.listing(f"{path}.keyframes", p["keyframes"])
    if not keys_raw:
        raise v.fail(f"{path}.keyframes", "expected at least one keyframe")
    keys = [_parse_key(k, f"{path}.keyframes[{i}]", v) for i, k in enumerate(keys_raw)]
    for i in range(1, len(keys)):
        if keys[i].t_s <= keys[i - 1].t_s:
            raise v.fail(f"{path}.keyframes[{i}].t",
                   f"keyframe times must increase, got {keys[i].t_s:g} after {keys[i - 1].t_s:g}")
    if keys[0].pos_m is None:
        raise v.fail(f"{path}.keyframes[0]", "the first keyframe must set pos_m")
    return PersonSpec(id=pid, role=role, body=body, appearance=dict(appearance), keyframes=keys)


def _parse_key(k: Any, path: str, v: StrictReader) -> Keyframe:
    v.mapping(path, k, _KEY_FIELDS[1:], ("t",))
    key = Keyframe(t_s=v.number(f"{path}.t", k["t"], lo=0.0))
    if "pos_m" in k:
        key.pos_m = v.vector(f"{path}.pos_m", k["pos_m"], 2)
    if "stance" in k:
        key.stance = v.choice(f"{path}.stance", k["stance"], STANCES)
    if "transition_s" in k:
        key.transition_s = v.number(f"{path}.transition_s", k["transition_s"], lo=0.0)
    if "arms" in k:
        key.arms = v.choice(f"{path}.arms", k["arms"], ARM_STATES)
    if "legs" in k:
        key.legs = v.choice(f"{path}.legs", k["legs"], LEG_STATES)
    for name in NUMERIC_FIELDS:
        if name in k:
            lo = 0.0 if name in ("sway_amplitude_deg", "gesture_hz", "head_shake_deg") else None
            if name in ("sway_period_s", "head_shake_hz"):
                setattr(key, name, v.number(f"{path}.{name}", k[name], lo=0.0, lo_open=True))
            else:
                setattr(key, name, v.number(f"{path}.{name}", k[name], lo=lo))
    if key.trunk_flexion_deg is not None and not -60.0 <= key.trunk_flexion_deg <= 120.0:
        raise v.fail(f"{path}.trunk_flexion_deg", f"expected -60..120 degrees, got {key.trunk_flexion_deg:g}")
    return key


def _parse_annotation(a: Any, path: str, v: StrictReader, person_ids: set[str]) -> Annotation:
    if not isinstance(a, dict):
        raise v.fail(path, f"expected a mapping, got {show(a)}")
    kind = v.choice(f"{path}.kind", a.get("kind"), ANNOTATION_KINDS)
    if kind == "clutter":
        v.mapping(path, a, ("appear_s", "size_m", "disappear_s", "person"), ("kind", "region", "object", "pos_m"))
        ann = Annotation(
            kind=kind,
            region=v.choice(f"{path}.region", a["region"], CLUTTER_REGIONS),
            object=v.choice(f"{path}.object", a["object"], CLUTTER_OBJECTS),
            appear_s=v.number(f"{path}.appear_s", a.get("appear_s", 0.0), lo=0.0),
            pos_m=v.vector(f"{path}.pos_m", a["pos_m"], 3),
            size_m=v.vector(f"{path}.size_m", a["size_m"], 3) if "size_m" in a else None,
        )
        ann.start_s = ann.appear_s
        if "disappear_s" in a:
            ann.end_s = v.number(f"{path}.disappear_s", a["disappear_s"], lo=ann.appear_s)
        return ann
    optional = {"bow": ("bow_class",), "reach": (), "violation": (), "gesture": ()}[kind]
    required = ("kind", "person", "start_s", "end_s") + (("type",) if kind in ("violation", "gesture") else ())
    v.mapping(path, a, optional, required)
    person = v.text(f"{path}.person", a["person"])
    if person not in person_ids:
        raise v.fail(f"{path}.person", f"no person with id {person!r} (persons: {', '.join(sorted(person_ids))})")
    start = v.number(f"{path}.start_s", a["start_s"], lo=0.0)
    end = v.number(f"{path}.end_s", a["end_s"])
    if end <= start:
        raise v.fail(f"{path}.end_s", f"expected end_s > start_s ({start:g}), got {end:g}")
    ann = Annotation(kind=kind, person=person, start_s=start, end_s=end)
    if kind == "bow":
        ann.bow_class = v.choice(f"{path}.bow_class", a.get("bow_class", "none"), BOW_CLASSES)
    if kind == "violation":
        ann.type = v.choice(f"{path}.type", a["type"], VIOLATION_TYPES)
    if kind == "gesture":
        ann.type = v.choice(f"{path}.type", a["type"], GESTURE_TYPES)
    return ann
