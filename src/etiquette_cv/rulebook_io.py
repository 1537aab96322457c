"""The rulebook: rules are data. Loading and validating the YAML file shipped in ``etiquette_cv/rulebook/``.

Every number carries its source (``standard`` or ``default``); errors name the file, the rule and the key.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DEFAULT_RULEBOOK = Path(__file__).resolve().parent / "rulebook" / "default.yaml"
RULEBOOK_VERSION = 1
SOURCES = ("standard", "default")
SEVERITIES = ("info", "minor", "major")

#: Parameters each kind of rule needs (name → expected type).
RULE_KINDS: dict[str, dict[str, type]] = {
    "stand_greet": {"distance_m": float, "allowance_s": float, "early_s": float},
    "stand_send_off": {"before_s": float, "after_s": float},
    "bow_expected": {"occasion": str, "expected_class": str, "before_s": float, "after_s": float},
    "bow_graded": {},
    "posture": {"series": str, "stance": str, "enter": float, "exit": float, "min_duration_s": float, "unit": str},
    "violent_rise": {"min_rise_s": float},
    "absent": {"min_absent_s": float},
    "handling_time": {"limit_s": float},
    "running": {"speed_m_s": float, "min_duration_s": float},
}
POSTURE_SERIES = ("flexion_deg", "abs_lateral_deg", "sway_deg", "hands_in_pockets", "legs_crossed",
                  "knee_bend_deg", "heel_raise_rel_m")


class RulebookError(ValueError):
    """A rulebook that cannot be used; the message names the file, the rule and the key."""


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
        """The value of parameter ``name``."""
        return self.params[name].value

    def source(self, name: str) -> str:
        """Where parameter ``name`` comes from (``standard``/``default``)."""
        return self.params[name].source


@dataclass(frozen=True)
class BowClass:
    """A bow class with the standard's nominal angle and our tolerance band (degrees)."""

    name: str
    name_zh: str
    nominal_deg: float
    min_deg: float
    max_deg: float


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
        """The rule with this id."""
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    def of_kind(self, kind: str) -> list[Rule]:
        """The rules of one kind, in file order."""
        return [r for r in self.rules if r.kind == kind]

    def measure(self, group: str, name: str) -> float:
        """A measurement setting's value."""
        return float(self.measurement[group][name].value)

    def bow(self, name: str) -> float:
        """A bow-detection setting's value."""
        return float(self.bows[name].value)

    def classify_bow(self, peak_deg: float) -> BowClass | None:
        """The bow class whose band holds ``peak_deg``, or None for a bend in no band (not a recognised bow)."""
        for c in self.bow_classes:
            if c.min_deg <= peak_deg <= c.max_deg:
                return c
        return None


class _Checker:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str) -> RulebookError:
        return RulebookError(f"{self.source}: {where}: {problem}" if where else f"{self.source}: {problem}")

    def mapping(self, where: str, value: Any, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict:
        if not isinstance(value, dict):
            raise self.fail(where, f"expected a mapping, got {type(value).__name__}")
        for key in value:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else f" (allowed: {', '.join(allowed)})"
                raise self.fail(f"{where}.{key}" if where else str(key), f"unknown key{hint}")
        for key in required:
            if key not in value:
                raise self.fail(where, f"missing key {key!r}")
        return value

    def text(self, where: str, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"expected non-empty text, got {value!r}")
        return value

    def number(self, where: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(where, f"expected a number, got {value!r}")
        return float(value)

    def param(self, where: str, value: Any, kind: type) -> Param:
        m = self.mapping(where, value, ("value", "source"), ("value", "source"))
        if m["source"] not in SOURCES:
            raise self.fail(f"{where}.source", f"expected one of {SOURCES}, got {m['source']!r}")
        v = self.number(f"{where}.value", m["value"]) if kind is float else (
            m["value"] if isinstance(m["value"], str) else self._bad(f"{where}.value", m["value"]))
        return Param(v, m["source"])

    def _bad(self, where: str, value: Any):
        raise self.fail(where, f"expected text, got {value!r}")


def load_rulebook(path: str | Path | None = None) -> Rulebook:
    """Load and validate a rulebook file (the shipped default when ``path`` is None)."""
    p = Path(path) if path is not None else DEFAULT_RULEBOOK
    source = p.name
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RulebookError(f"{p}: no such file") from None
    except UnicodeDecodeError as exc:
        raise RulebookError(f"{source}: not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    except OSError as exc:
        raise RulebookError(f"{p}: cannot read ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "YAML"
        raise RulebookError(f"{source}: {where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    return rulebook_from_dict(data, source)


def rulebook_from_dict(data: Any, source: str = "<rulebook>") -> Rulebook:
    """Validate a parsed rulebook mapping; raises :class:`RulebookError` naming the rule and the key."""
    c = _Checker(source)
    if data is None:
        raise c.fail("", "the file is empty")
    d = c.mapping("", data, ("version", "name", "rulebook_version", "measurement", "bows", "rules"),
                  ("version", "name", "measurement", "bows", "rules"))
    if d["version"] != RULEBOOK_VERSION:
        raise c.fail("version", f"expected {RULEBOOK_VERSION}, got {d['version']!r}")
    measurement_spec = {
        "stance": ("stand_above_m", "sit_below_m", "head_above_shoulders_m", "min_state_s"),
        "customer": ("hysteresis_m", "min_inside_s", "max_gap_s"),
    }
    m = c.mapping("measurement", d["measurement"], tuple(measurement_spec), tuple(measurement_spec))
    measurement = {}
    for group, names in measurement_spec.items():
        g = c.mapping(f"measurement.{group}", m[group], names, names)
        measurement[group] = {n: c.param(f"measurement.{group}.{n}", g[n], float) for n in names}
    st = measurement["stance"]
    if st["sit_below_m"].value >= st["stand_above_m"].value:
        raise c.fail("measurement.stance.sit_below_m", "must be below stand_above_m (the hysteresis band)")

    bow_names = ("start_deg", "end_deg", "min_duration_s", "max_duration_s", "reach_wrist_asymmetry_m")
    b = c.mapping("bows", d["bows"], bow_names + ("classes",), bow_names + ("classes",))
    bows = {n: c.param(f"bows.{n}", b[n], float) for n in bow_names}
    if bows["end_deg"].value >= bows["start_deg"].value:
        raise c.fail("bows.end_deg", "must be below start_deg (hysteresis)")
    if not isinstance(b["classes"], list) or not b["classes"]:
        raise c.fail("bows.classes", "expected a list of bow classes")
    classes = []
    for i, cl in enumerate(b["classes"]):
        where = f"bows.classes[{i}]"
        keys = ("name", "name_zh", "nominal_deg", "min_deg", "max_deg")
        cm = c.mapping(where, cl, keys, keys)
        bc = BowClass(c.text(f"{where}.name", cm["name"]), c.text(f"{where}.name_zh", cm["name_zh"]),
                      c.number(f"{where}.nominal_deg", cm["nominal_deg"]), c.number(f"{where}.min_deg", cm["min_deg"]),
                      c.number(f"{where}.max_deg", cm["max_deg"]))
        if not bc.min_deg <= bc.nominal_deg <= bc.max_deg:
            raise c.fail(where, f"band {bc.min_deg}-{bc.max_deg}° does not contain the nominal {bc.nominal_deg}°")
        for other in classes:
            if bc.min_deg <= other.max_deg and other.min_deg <= bc.max_deg:
                raise c.fail(f"{where}.min_deg", f"band {bc.name} {bc.min_deg}-{bc.max_deg}° overlaps band "
                                                 f"{other.name} {other.min_deg}-{other.max_deg}°")
        classes.append(bc)
    class_names = {cl.name for cl in classes}

    if not isinstance(d["rules"], list) or not d["rules"]:
        raise c.fail("rules", "expected a list of rules")
    rules, ids = [], set()
    for i, spec in enumerate(d["rules"]):
        rid = spec.get("id") if isinstance(spec, dict) else None
        where = f"rule {rid}" if isinstance(rid, str) else f"rules[{i}]"
        keys = ("id", "kind", "clause", "wording_zh", "title_zh", "title_en", "severity", "params")
        r = c.mapping(where, spec, keys, keys[:-1])
        rid = c.text(f"{where}.id", r["id"])
        if rid in ids:
            raise c.fail(where, "duplicate rule id")
        ids.add(rid)
        kind = r["kind"]
        if not isinstance(kind, str) or kind not in RULE_KINDS:
            close = difflib.get_close_matches(str(kind), tuple(RULE_KINDS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise c.fail(f"{where}.kind", f"unknown kind {kind!r}{hint}")
        if r["severity"] not in SEVERITIES:
            raise c.fail(f"{where}.severity", f"expected one of {SEVERITIES}, got {r['severity']!r}")
        need = RULE_KINDS[kind]
        pm = c.mapping(f"{where}.params", r.get("params") or {}, tuple(need), tuple(need))
        params = {n: c.param(f"{where}.params.{n}", pm[n], t) for n, t in need.items()}
        if kind == "posture":
            if params["series"].value not in POSTURE_SERIES:
                raise c.fail(f"{where}.params.series", f"expected one of {POSTURE_SERIES}, got {params['series'].value!r}")
            if params["stance"].value not in ("stand", "sit", "any"):
                raise c.fail(f"{where}.params.stance", f"expected stand, sit or any, got {params['stance'].value!r}")
            if params["enter"].value == params["exit"].value and params["series"].value not in (
                    "hands_in_pockets", "legs_crossed"):
                raise c.fail(f"{where}.params.exit", "must differ from enter (hysteresis)")
        if kind == "bow_expected":
            if params["expected_class"].value not in class_names:
                raise c.fail(f"{where}.params.expected_class",
                             f"no bow class {params['expected_class'].value!r} (classes: {sorted(class_names)})")
            if params["occasion"].value not in ("arrive", "leave"):
                raise c.fail(f"{where}.params.occasion", f"expected arrive or leave, got {params['occasion'].value!r}")
        rules.append(Rule(rid, kind, c.text(f"{where}.clause", r["clause"]), c.text(f"{where}.wording_zh", r["wording_zh"]),
                          c.text(f"{where}.title_zh", r["title_zh"]), c.text(f"{where}.title_en", r["title_en"]),
                          r["severity"], params))
    return Rulebook(source, c.text("name", d["name"]), str(d.get("rulebook_version", "")), measurement, bows,
                    tuple(classes), tuple(rules))
