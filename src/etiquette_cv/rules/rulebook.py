"""The rulebook: rules are data. Its model, and loading and validating the YAML file shipped in
``etiquette_cv/rulebook/``.

Every number carries its source (``standard`` or ``default``); errors name the file, the rule and the key. Every
threshold, window and band that grading and measuring use comes from here: the ``measurement`` section (stance,
customer, posture, trunk fit, grading windows), the ``bows`` section and each rule's ``params``.
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ..events import BowSettings, in_angle_band
from ..posture.clerk import PostureSettings
from ..posture.gestures import GestureSettings
from ..posture.stance import StanceSettings
from ..posture.trunk_fit import FitSettings
from ..posture.uncalibrated import UncalibratedSettings
from ..posture.walking import WalkingSettings
from ..posture.stance import TRANSITION_POINTS
from ..strict_yaml import StrictReader, join, read_yaml_file, show

DEFAULT_RULEBOOK = Path(__file__).resolve().parent.parent / "rulebook" / "default.yaml"
RULEBOOK_VERSION = 1
SOURCES = ("standard", "default")
SEVERITIES = ("info", "minor", "major")

#: Parameters each kind of rule needs (name → expected type); the graders registry has one function per kind.
RULE_KINDS: dict[str, dict[str, type]] = {
    "stand_greet": {"allowance_s": float, "early_s": float, "stand_point": str},
    "stand_send_off": {"before_s": float, "after_s": float},
    "bow_expected": {"occasion": str, "expected_class": str, "before_s": float, "after_s": float},
    "bow_graded": {},
    "posture": {"series": str, "stance": str, "enter": float, "exit": float, "min_duration_s": float, "unit": str},
    "violent_rise": {"min_rise_s": float},
    "absent": {"min_absent_s": float},
    "handling_time": {"business": str, "life_insurance_s": float, "motor_underwriting_s": float,
                      "motor_claim_s": float},
    "running": {"speed_m_s": float, "min_duration_s": float},
    # scene checks and service times (etiquette_cv.scene, etiquette_cv.service_times)
    "counter_clutter": dict.fromkeys(("period_s", "min_dwell_s", "min_area_cm2", "ratio_threshold", "chroma_threshold",
                                      "edge_threshold", "max_shift_px", "person_margin", "open_px", "max_misses",
                                      "match_iou", "min_visible_fraction", "reference_learn_s",
                                      "unchanged_grey_level"), float),
    "floor_debris": dict.fromkeys(("min_dwell_s", "min_area_cm2", "ratio_threshold", "chroma_threshold",
                                   "edge_threshold", "person_margin", "open_px", "max_misses", "match_iou",
                                   "min_visible_fraction"), float),
    "lighting": {"min_luma": float, "min_ratio": float, "window_s": float},
    "staff_in_waiting": {"allowance_s": float},
    "waiting_time": dict.fromkeys(("daily_limit_s", "peak_limit_s", "peak_window_s", "min_wait_s", "link_gap_s",
                                   "link_distance_m", "queue_speed_m_s", "queue_min_s"), float),
}
#: Parameters a rule may leave out (a branch rulebook written before they existed): the bundled rulebook's value.
OPTIONAL_RULE_PARAMS: dict[str, dict[str, type]] = {
    "counter_clutter": {"attached_px": float, "unchanged_spot_px": float, "repeat_for_at_most_s": float,
                        "transaction_near_m": float, "transaction_grace_s": float, "merged_cover": float,
                        "merged_max_growth": float},
    "floor_debris": {"attached_px": float, "feet_box_fraction": float, "merged_cover": float,
                     "merged_max_growth": float},
}
BUSINESSES = ("life_insurance", "motor_underwriting", "motor_claim")
"""The businesses of DB21/T 2641-2016 表2 with a handling limit; a ``handling_time`` rule names the counter's."""
POSTURE_SERIES = ("flexion_deg", "abs_lateral_deg", "sway_deg", "hands_in_pockets", "legs_crossed",
                  "knee_bend_deg", "heel_raise_rel_m", "hand_head_motion", "head_shake_deg",
                  "hand_wave_deg", "counter_lean_deg")
BINARY_SERIES = ("hands_in_pockets", "legs_crossed")
"""0/1 series: their enter and exit thresholds may be equal."""


@dataclass(frozen=True)
class TraineeSettings:
    """Who the trainee is in a role-play without a calibration, from the rulebook's ``measurement.trainee``."""

    auto_min_share: float = 0.6
    """People posed in at least this share of the most-posed person's frames are candidates; of several, the one
    nearest the image centre is the trainee (the phone is aimed at them)."""
    place_min_share: float = 0.25
    """Named by place (``--trainee left``), people posed in at least this share are candidates."""
    back_min_share: float = 0.75
    """People showing the camera their back (shoulders the wrong way round) in at least this share of the frames
    their shoulders were seen are no candidates, while somebody else is (the phone is aimed at the trainee's front;
    the customer faces the trainee)."""
    join_max_gap_s: float = 4.0
    """A tracklet starting at most this long after another ended, …"""
    join_max_shift: float = 0.08
    """… within this share of the image width of where that one was last seen, is the same person."""
    cue_line_margin: float = 0.005
    """A line marked on the floor (``--cue-line``): feet count as past it beyond this share of the image height …"""
    cue_line_min_inside_s: float = 0.5
    """… for at least this long (seconds)."""
    arrival_still_speed: float = 0.15
    """Without a calibration or a marked line, the 2 m cue is bounded from when a customer stops at the counter
    (:mod:`~etiquette_cv.training.arrival`): a person whose nose and shoulders move less than this many of their
    box heights per second is at rest …"""
    arrival_min_still_s: float = 2.0
    """… for at least this long (seconds) …"""
    arrival_smooth_s: float = 1.0
    """… their image points median-filtered over this window (seconds) …"""
    arrival_lag_s: float = 0.5
    """… and compared this far apart (seconds) …"""
    arrival_start_margin_s: float = 1.0
    """… after the recording's first this-many seconds (at rest before: there already) …"""
    arrival_approach_s: float = 3.0
    """… having, within this long before (seconds), come into the picture …"""
    arrival_approach_shift: float = 0.5
    """… or walked across it by this many box heights …"""
    arrival_nearest_stop_m: float = 0.3
    """… having stopped no nearer the counter than this (metres) …"""
    arrival_slowest_walk_m_s: float = 0.5
    """… walking from the near distance no slower than this (metres per second) …"""
    arrival_settle_s: float = 1.0
    """… the stop read up to this late (seconds)."""


class RulebookError(ValueError):
    """A rulebook that cannot be used; the message names the file, the rule and the key."""


@dataclass(frozen=True)
class GradingSettings:
    """Windows of the grading itself (seconds), from the rulebook's ``measurement.grading``."""

    state_lookback_s: float = 1.0
    """The clerk's stance at a moment is that of the last visible sample at most this long before it."""
    posture_max_gap_s: float = 1.0
    """A posture violation continues across gaps in its series up to this long."""
    evidence_after_stand_s: float = 0.3
    """The evidence frame of a stand-up is taken this long after its midpoint, when the clerk is upright."""
    absent_after_s: float = 10.0
    """Unseen for this long, the clerk is away from the post (used when the rulebook has no ``absent`` rule)."""
    transition_margin_s: float = 0.5
    """A missed bow's note never quotes a flexion read within this of a sit/stand move (onset to completion)."""
    seated_shoulder_m: float = 1.0
    standing_shoulder_m: float = 1.4
    """A station is in the camera's view when its clerk's shoulders, seated or standing (metres above the station's
    floor point), project into the image; else its clerk rules are not assessable (never "absent")."""
    standing_reach_m: float = 0.6
    """How far from the station's floor point a clerk may stand (in front of or beside the chair): when standing
    shoulders there can leave the image, a clerk last seen at the view's edge is out of view, not absent."""


def _setting_fields(cls: type, skip: tuple[str, ...] = ()) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls) if f.name not in skip)


#: measurement groups: name → (keys, required?). Optional groups and their keys default to the dataclasses'.
MEASUREMENT_GROUPS: dict[str, tuple[tuple[str, ...], bool]] = {
    "stance": (_setting_fields(StanceSettings), True),
    "customer": (("near_m", "hysteresis_m", "min_inside_s", "max_gap_s", "rejoin_s", "stitch_gap_s", "stitch_m",
                  "frame_edge_px", "walk_out_s", "walk_out_m", "coming_m", "coming_window_s", "pass_by_max_s",
                  "pass_by_margin_m", "hidden_rejoin_s"),
                 True),
    "posture": (_setting_fields(PostureSettings, ("fit", "stance", "gestures")), False),
    "trunk_fit": (_setting_fields(FitSettings), False),
    "grading": (_setting_fields(GradingSettings), False),
    "uncalibrated": (_setting_fields(UncalibratedSettings), False),
    "gestures": (_setting_fields(GestureSettings), False),
    "trainee": (_setting_fields(TraineeSettings), False),
    "walking": (_setting_fields(WalkingSettings), False),
}
#: the keys a required group must give (the others default to the dataclasses'; rulebooks written before they
#: existed stay valid)
REQUIRED_KEYS = {"stance": ("stand_above_m", "sit_below_m", "head_above_shoulders_m", "min_state_s",
                            "level_window_s"),
                 "customer": ("near_m", "hysteresis_m", "min_inside_s", "max_gap_s", "rejoin_s")}
#: keys that moved to another group: a rulebook written before the move is read with the key at its new place
MOVED_KEYS = {("posture", "unseen_move_half_s"): "stance"}   # nineteenth session: the stance machine uses it
BOW_KEYS = ("start_deg", "end_deg", "min_duration_s", "max_duration_s", "reach_wrist_asymmetry_m", "max_hidden_s",
            "reach_min_flexion_deg", "reach_hands_ahead_m", "lean_min_duration_s",
            "max_rate_deg_s")


@dataclass(frozen=True)
class Param:
    """A number (or word) of the rulebook and where it comes from."""

    value: Any
    source: str
    """``standard`` (written in the source documents) or ``default`` (ours, configurable)."""


@dataclass(frozen=True)
class Rule:
    """One rule: what it grades, from which clause, with which parameters."""

    id: str
    kind: str
    clause: str
    wording_zh: str
    title_zh: str
    title_en: str
    severity: str
    params: dict[str, Param] = field(default_factory=dict)

    def value(self, name: str) -> Any:
        """The value of parameter ``name`` (an optional one this rule leaves out: the bundled rulebook's)."""
        if name not in self.params and name in OPTIONAL_RULE_PARAMS.get(self.kind, {}):
            return shipped_rulebook().of_kind(self.kind)[0].params[name].value
        return self.params[name].value

    def source(self, name: str) -> str:
        """Where parameter ``name`` comes from (``standard``/``default``)."""
        return self.params[name].source


@dataclass(frozen=True)
class BowClass:
    """A bow class with the standard's nominal angle and our tolerance band (degrees), and where each comes from."""

    name: str
    name_zh: str
    nominal_deg: float
    min_deg: float
    max_deg: float
    source: str = ""


@dataclass(frozen=True)
class Rulebook:
    """A validated rulebook."""

    source: str
    name: str
    version: str
    measurement: dict[str, dict[str, Param]]
    bows: dict[str, Param]
    bow_classes: tuple[BowClass, ...]
    rules: tuple[Rule, ...]

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id (KeyError when the rulebook has none)."""
        found = self.find_rule(rule_id)
        if found is None:
            raise KeyError(rule_id)
        return found

    def find_rule(self, rule_id: str) -> Rule | None:
        """The rule with this id, or None when this rulebook leaves it out (a branch's own rulebook may)."""
        return next((r for r in self.rules if r.id == rule_id), None)

    def of_kind(self, kind: str) -> list[Rule]:
        """The rules of one kind, in file order."""
        return [r for r in self.rules if r.kind == kind]

    def measure(self, group: str, name: str) -> float:
        """A measurement setting's value; an optional key this rulebook leaves out (a branch rulebook written before
        the key existed) takes the bundled rulebook's value."""
        param = self.measurement[group].get(name)
        if param is None:
            param = shipped_rulebook().measurement[group][name]
        return float(param.value)

    def bow(self, name: str) -> float:
        """A bow-detection setting's value."""
        return float(self.bows[name].value)

    def classify_bow(self, peak_deg: float) -> BowClass | None:
        """The bow class whose band holds ``peak_deg`` as reported (whole degrees), or None for a bend in no band (not
        a recognised bow)."""
        for c in self.bow_classes:
            if in_angle_band(peak_deg, c.min_deg, c.max_deg):
                return c
        return None

    @property
    def near_m(self) -> float:
        """The customer distance to the counter (metres) that starts a visit and triggers 站接 (2 m in CC-2.6)."""
        return self.measure("customer", "near_m")

    def _group(self, cls: type, group: str, **extra: Any):
        values = {name: p.value for name, p in self.measurement.get(group, {}).items()}
        types = {f.name: f.type for f in fields(cls)}
        values = {k: int(v) if types[k] in (int, "int") else float(v) for k, v in values.items()}
        return cls(**values, **extra)

    def stance_settings(self) -> StanceSettings:
        """The sit/stand state machine's settings."""
        return self._group(StanceSettings, "stance")

    def posture_settings(self) -> PostureSettings:
        """The clerk posture measurement's settings (trunk fit and stance machine included)."""
        return self._group(PostureSettings, "posture", fit=self._group(FitSettings, "trunk_fit"),
                           stance=self.stance_settings(), gestures=self.gesture_settings())

    def grading_settings(self) -> GradingSettings:
        """The grading windows."""
        return self._group(GradingSettings, "grading")

    def uncalibrated_settings(self) -> UncalibratedSettings:
        """The assumptions of the measurement without a floor calibration (trainer mode)."""
        return self._group(UncalibratedSettings, "uncalibrated")

    def gesture_settings(self) -> GestureSettings:
        """The arm gestures' thresholds (trainer mode)."""
        return self._group(GestureSettings, "gestures")

    def trainee_settings(self) -> TraineeSettings:
        """How the trainee of a role-play without a calibration is chosen."""
        return self._group(TraineeSettings, "trainee")

    def walking_settings(self) -> WalkingSettings:
        """How a clerk's floor path is read (the running rule)."""
        return self._group(WalkingSettings, "walking")

    def bow_settings(self) -> BowSettings:
        """The bend detector's settings."""
        return BowSettings(**{k: self.bow(k) for k in BOW_KEYS})


class _Reader(StrictReader):
    def param(self, where: str, value: Any, kind: type) -> Param:
        m = self.mapping(where, value, ("value", "source"), ("value", "source"))
        if m["source"] not in SOURCES:
            raise self.fail(f"{where}.source", f"expected one of {SOURCES}, got {m['source']!r}")
        if kind is float:
            return Param(self.number(f"{where}.value", m["value"]), m["source"])
        if not isinstance(m["value"], str):
            raise self.fail(f"{where}.value", f"expected text, got {m['value']!r}")
        return Param(m["value"], m["source"])


@functools.lru_cache(maxsize=1)
def shipped_rulebook() -> Rulebook:
    """The bundled rulebook, loaded once (the fallback of optional measurement keys)."""
    return load_rulebook(DEFAULT_RULEBOOK)


def load_rulebook(path: str | Path | None = None) -> Rulebook:
    """Load and validate a rulebook file (the shipped default when ``path`` is None)."""
    p = Path(path) if path is not None else DEFAULT_RULEBOOK
    return rulebook_from_dict(read_yaml_file(p, RulebookError), p.name)


def rulebook_from_dict(data: Any, source: str = "<rulebook>") -> Rulebook:
    """Validate a parsed rulebook mapping; raises :class:`RulebookError` naming the rule and the key."""
    c = _Reader(source, RulebookError)
    if data is None:
        raise c.fail("", "the file is empty")
    d = c.mapping("", data, ("version", "name", "rulebook_version", "measurement", "bows", "rules"),
                  ("version", "name", "measurement", "bows", "rules"))
    if d["version"] != RULEBOOK_VERSION:
        raise c.fail("version", f"expected {RULEBOOK_VERSION}, got {show(d['version'])}")
    measurement = _read_measurement(c, d["measurement"])
    bows, classes = _read_bows(c, d["bows"])
    if not isinstance(d["rules"], list) or not d["rules"]:
        raise c.fail("rules", "expected a list of rules")
    rules, ids = [], set()
    for i, spec in enumerate(d["rules"]):
        rule = _read_rule(c, i, spec, {cl.name for cl in classes})
        if rule.id in ids:
            raise c.fail(f"rule {rule.id}", "duplicate rule id")
        ids.add(rule.id)
        rules.append(rule)
    return Rulebook(source, c.text("name", d["name"]), str(d.get("rulebook_version", "")), measurement, bows,
                    tuple(classes), tuple(rules))


def _read_measurement(c: _Reader, value: Any) -> dict[str, dict[str, Param]]:
    required = tuple(g for g, (_, need) in MEASUREMENT_GROUPS.items() if need)
    m = dict(c.mapping("measurement", value, tuple(MEASUREMENT_GROUPS), required))
    for (old, key), new in MOVED_KEYS.items():
        if isinstance(m.get(old), dict) and key in m[old]:
            moved = dict(m[old])
            v = moved.pop(key)
            m[old] = moved
            if isinstance(m.get(new), dict):
                m[new] = {key: v, **m[new]}
    measurement = {}
    for group, spec in m.items():
        names, need = MEASUREMENT_GROUPS[group]
        g = c.mapping(f"measurement.{group}", spec, names, REQUIRED_KEYS.get(group, names) if need else ())
        measurement[group] = {n: c.param(f"measurement.{group}.{n}", v, float) for n, v in g.items()}
    st = measurement["stance"]
    if st["sit_below_m"].value >= st["stand_above_m"].value:
        raise c.fail("measurement.stance.sit_below_m", "must be below stand_above_m (the hysteresis band)")
    _check_values(c, "stance", st, odd=("spike_samples",), positive=("level_lookback_s", "crossing_lookback_s"),
                  positive_text="positive seconds",
                  non_negative=("move_tail_fraction", "unseen_move_half_s", "point_uncertainty_s"))
    if "move_m" in st and not st["move_m"].value >= 0:
        raise c.fail("measurement.stance.move_m", f"must be zero (off) or positive metres, got {st['move_m'].value:g}")
    _check_values(c, "walking", measurement.get("walking", {}), odd=("smooth_samples",),
                  positive=("max_speed_m_s", "max_gap_s"),
                  non_negative=("jump_noise_m", "min_clerk_s", "join_gap_s", "join_m"))
    trainee = measurement.get("trainee", {})
    _check_values(c, "posture", measurement.get("posture", {}), positive=(
        "landmark_error_px", "landmark_error_share_front", "landmark_error_share_oblique", "landmark_error_share_side",
        "landmark_error_share_back"))
    view = measurement.get("posture", {}).get("counter_hand_min_view_deg")
    if view is not None and not 0.0 <= view.value < 90.0:
        raise c.fail("measurement.posture.counter_hand_min_view_deg", f"must be at least 0° and under 90° (0: hands "
                     f"read from every view), got {view.value:g}")
    _check_values(c, "trainee", trainee, positive=("join_max_gap_s", "join_max_shift"))
    if "back_min_share" in trainee and not 0.5 < trainee["back_min_share"].value <= 1.0:
        raise c.fail("measurement.trainee.back_min_share", f"must be a share above 0.5 and at most 1, got "
                     f"{trainee['back_min_share'].value:g}")
    gestures = measurement.get("gestures", {})
    _check_values(c, "gestures", gestures, positive=("wave_smooth_s", "wave_min_lag_s", "wave_max_lag_s"),
                  positive_text="positive seconds")
    _check_values(c, "gestures", gestures, positive=("wave_min_rate_hz",), positive_text="positive frames per second")
    lags = [gestures[k].value if k in gestures else getattr(GestureSettings, k)
            for k in ("wave_min_lag_s", "wave_max_lag_s")]
    if lags[1] < lags[0]:
        raise c.fail("measurement.gestures.wave_max_lag_s", f"must not be below wave_min_lag_s ({lags[0]:g} s), "
                     f"got {lags[1]:g}")
    return measurement


def _check_values(c: _Reader, group: str, params: dict[str, Param], odd: tuple[str, ...] = (),
                  positive: tuple[str, ...] = (), non_negative: tuple[str, ...] = (),
                  positive_text: str = "positive") -> None:
    """One-line errors for values of ``measurement.<group>`` that cannot be used: sample counts that must be odd
    whole numbers (a median's window), values that must be positive, or zero or positive."""
    for key in odd:
        v = params.get(key)
        if v is not None and not (float(v.value).is_integer() and v.value >= 1 and v.value % 2 == 1):
            raise c.fail(f"measurement.{group}.{key}", f"must be an odd whole number of samples (1 = no median), "
                         f"got {v.value:g}")
    for key in positive:
        if key in params and not params[key].value > 0:
            raise c.fail(f"measurement.{group}.{key}", f"must be {positive_text}, got {params[key].value:g}")
    for key in non_negative:
        if key in params and not params[key].value >= 0:
            raise c.fail(f"measurement.{group}.{key}", f"must be zero or positive, got {params[key].value:g}")


def _read_bows(c: _Reader, value: Any) -> tuple[dict[str, Param], list[BowClass]]:
    b = c.mapping("bows", value, BOW_KEYS + ("classes",), BOW_KEYS + ("classes",))
    bows = {n: c.param(f"bows.{n}", b[n], float) for n in BOW_KEYS}
    if bows["end_deg"].value >= bows["start_deg"].value:
        raise c.fail("bows.end_deg", "must be below start_deg (hysteresis)")
    if not isinstance(b["classes"], list) or not b["classes"]:
        raise c.fail("bows.classes", "expected a list of bow classes")
    classes: list[BowClass] = []
    for i, cl in enumerate(b["classes"]):
        where = f"bows.classes[{i}]"
        keys = ("name", "name_zh", "nominal_deg", "min_deg", "max_deg", "source")
        cm = c.mapping(where, cl, keys, keys)
        bc = BowClass(c.text(f"{where}.name", cm["name"]), c.text(f"{where}.name_zh", cm["name_zh"]),
                      *(c.number(f"{where}.{k}", cm[k]) for k in keys[2:5]), c.text(f"{where}.source", cm["source"]))
        if not bc.min_deg <= bc.nominal_deg <= bc.max_deg:
            raise c.fail(where, f"band {bc.min_deg}-{bc.max_deg}° does not contain the nominal {bc.nominal_deg}°")
        for other in classes:
            if bc.min_deg <= other.max_deg and other.min_deg <= bc.max_deg:
                raise c.fail(f"{where}.min_deg", f"band {bc.name} {bc.min_deg}-{bc.max_deg}° overlaps band "
                                                 f"{other.name} {other.min_deg}-{other.max_deg}°")
        classes.append(bc)
    return bows, classes


def _read_rule(c: _Reader, i: int, spec: Any, class_names: set[str]) -> Rule:
    rid = spec.get("id") if isinstance(spec, dict) else None
    where = f"rule {rid}" if isinstance(rid, str) else f"rules[{i}]"
    keys = ("id", "kind", "clause", "wording_zh", "title_zh", "title_en", "severity", "params")
    r = c.mapping(where, spec, keys, keys[:-1])
    rid = c.text(f"{where}.id", r["id"])
    kind = r["kind"]
    if not isinstance(kind, str) or kind not in RULE_KINDS:
        close = difflib.get_close_matches(str(kind), tuple(RULE_KINDS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise c.fail(f"{where}.kind", f"unknown kind {kind!r}{hint}")
    if r["severity"] not in SEVERITIES:
        raise c.fail(f"{where}.severity", f"expected one of {SEVERITIES}, got {r['severity']!r}")
    need, optional = RULE_KINDS[kind], OPTIONAL_RULE_PARAMS.get(kind, {})
    pm = c.mapping(f"{where}.params", r.get("params") or {}, tuple(need) + tuple(optional), tuple(need))
    params = {n: c.param(join(f"{where}.params", n), pm[n], t) for n, t in {**need, **optional}.items() if n in pm}
    _check_params(c, where, kind, params, class_names)
    return Rule(rid, kind, *(c.text(f"{where}.{k}", r[k]) for k in ("clause", "wording_zh", "title_zh", "title_en")),
                r["severity"], params)


def _check_params(c: _Reader, where: str, kind: str, params: dict[str, Param], class_names: set[str]) -> None:
    if kind == "posture":
        if params["series"].value not in POSTURE_SERIES:
            raise c.fail(f"{where}.params.series", f"expected one of {POSTURE_SERIES}, got {params['series'].value!r}")
        if params["stance"].value not in ("stand", "sit", "any"):
            raise c.fail(f"{where}.params.stance", f"expected stand, sit or any, got {params['stance'].value!r}")
        if params["enter"].value == params["exit"].value and params["series"].value not in BINARY_SERIES:
            raise c.fail(f"{where}.params.exit", "must differ from enter (hysteresis)")
    if kind == "handling_time" and params["business"].value not in BUSINESSES:
        raise c.fail(f"{where}.params.business", f"expected one of {BUSINESSES}, got {params['business'].value!r}")
    if kind == "stand_greet" and params["stand_point"].value not in TRANSITION_POINTS:
        raise c.fail(f"{where}.params.stand_point",
                     f"expected one of {TRANSITION_POINTS}, got {params['stand_point'].value!r}")
    if kind == "bow_expected":
        if params["expected_class"].value not in class_names:
            raise c.fail(f"{where}.params.expected_class",
                         f"no bow class {params['expected_class'].value!r} (classes: {sorted(class_names)})")
        if params["occasion"].value not in ("arrive", "leave"):
            raise c.fail(f"{where}.params.occasion", f"expected arrive or leave, got {params['occasion'].value!r}")
