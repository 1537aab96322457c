"""Trainer mode's scenario file: an ordered list of expected steps, each with its window, points and partial credit.

A scenario is data, validated strictly like the rulebook (:mod:`etiquette_cv.strict_yaml`): every error is one line
naming the file, the step and the key. Every number is a ``{value, source}`` pair (``standard``: written in
DB21/T 2641-2016 or the company code; ``default``: ours, configurable). Bow classes and their bands come from the
rulebook unless a step narrows them (``band_deg``). The shipped scenarios live in ``etiquette_cv/scenarios/``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..rules.rulebook import SOURCES, Param, Rulebook
from ..strict_yaml import StrictReader, read_yaml_file, show

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
SCENARIO_VERSION = 1

EXPECTS = ("stand_up", "sit_down", "bow", "indicate", "hand_over", "wave", "handshake", "hold_posture")
"""The events a step may expect."""
GESTURES = ("indicate", "hand_over", "wave", "handshake")
CUES = ("start", "previous", "customer_near", "customer_leave")
"""What a step's window is measured from: the start of the recording, the previous step's event, or the customer
crossing the rulebook's near distance (2 m) in or out (these two need a floor calibration)."""
CALIBRATED_CUES = ("customer_near", "customer_leave")
CREDITS = ("late", "wrong_class", "wrong_form", "out_of_order")
"""Partial credit: the fraction of a step's points awarded when it was done late, with a bow of the wrong class,
in the wrong form (held too short, a handshake too long) or out of order."""
NUMBER_KEYS = ("from_s", "to_s", "late_s", "min_hold_s", "min_duration_s", "max_duration_s")


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message names the file, the step and the key."""


@dataclass(frozen=True)
class Window:
    """When a step's event must happen, seconds from its cue: on time in [from_s, to_s], late up to to_s + late_s."""

    after: str
    from_s: Param
    to_s: Param
    late_s: Param


@dataclass(frozen=True)
class Step:
    """One expected step of a scenario."""

    id: str
    expect: str
    """One of :data:`EXPECTS`."""
    title_zh: str
    title_en: str
    window: Window
    points: float
    credit: dict[str, Param]
    """Fraction of ``points`` (0–1) for each kind of partial success in :data:`CREDITS`."""
    bow_class: str | None = None
    """For a bow: the rulebook's class expected (greeting / thanks / apology)."""
    band_deg: tuple[Param, Param] | None = None
    """For a bow: a band (degrees) narrower than the rulebook class's, e.g. the apology's 45°–90°."""
    min_hold_s: Param | None = None
    """A bow (time within 20 % of its peak) or a posture must be held at least this long."""
    min_duration_s: Param | None = None
    max_duration_s: Param | None = None
    """A handshake's or gesture's duration bounds (seconds)."""
    coaching_zh: str = ""
    coaching_en: str = ""
    """What the trainer tells the trainee when the step is not done right."""

    def value(self, name: str) -> float | None:
        """A numeric setting of the step (None when the step has none)."""
        p = getattr(self, name)
        return None if p is None else float(p.value)


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: its steps in the order they are expected."""

    source: str
    name: str
    title_zh: str
    title_en: str
    steps: tuple[Step, ...]
    notes: str = ""
    bands: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Each bow step's band (degrees) after the rulebook's classes are applied: step id → (lo, hi)."""
    nominal_deg: dict[str, float] = field(default_factory=dict)
    """Each bow step's nominal angle (degrees): the rulebook class's (15° greeting, 30° thanks, 45° apology)."""

    def step(self, step_id: str) -> Step:
        """The step with this id."""
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(step_id)


def shipped_scenarios() -> list[str]:
    """The names of the scenarios shipped with the package (``reception``, ``farewell``, ``apology``)."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def scenario_path(name_or_path: str | Path) -> Path:
    """A scenario file: a path, or the name of a shipped scenario."""
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") or p.exists():
        return p
    return SCENARIO_DIR / f"{name_or_path}.yaml"


def load_scenario(name_or_path: str | Path, rulebook: Rulebook) -> Scenario:
    """Load and validate a scenario (a path or a shipped name) against the rulebook's bow classes."""
    p = scenario_path(name_or_path)
    if not p.exists() and not Path(name_or_path).suffix:
        raise ScenarioError(f"{name_or_path}: no such scenario file and no shipped scenario of that name "
                            f"(shipped: {', '.join(shipped_scenarios())})")
    return scenario_from_dict(read_yaml_file(p, ScenarioError), p.name, rulebook)


class _Reader(StrictReader):
    def param(self, where: str, value: Any, *, lo: float | None = None, hi: float | None = None) -> Param:
        m = self.mapping(where, value, ("value", "source"), ("value", "source"))
        if m["source"] not in SOURCES:
            raise self.fail(f"{where}.source", f"expected one of {SOURCES}, got {show(m['source'])}")
        return Param(self.number(f"{where}.value", m["value"], lo=lo, hi=hi), m["source"])


def scenario_from_dict(data: Any, source: str, rulebook: Rulebook) -> Scenario:
    """Validate a parsed scenario mapping; raises :class:`ScenarioError` naming the step and the key."""
    c = _Reader(source, ScenarioError)
    if data is None:
        raise c.fail("", "the file is empty")
    d = c.mapping("", data, ("version", "name", "title_zh", "title_en", "notes", "steps"),
                  ("version", "name", "title_zh", "title_en", "steps"))
    if d["version"] != SCENARIO_VERSION:
        raise c.fail("version", f"expected {SCENARIO_VERSION}, got {show(d['version'])}")
    raw = c.listing("steps", d["steps"])
    if not raw:
        raise c.fail("steps", "expected at least one step")
    steps: list[Step] = []
    bands: dict[str, tuple[float, float]] = {}
    nominal: dict[str, float] = {}
    for i, spec in enumerate(raw):
        step = _read_step(c, i, spec, rulebook, i == 0)
        if any(s.id == step.id for s in steps):
            raise c.fail(f"step {step.id}", "duplicate step id")
        steps.append(step)
        if step.expect == "bow":
            bands[step.id] = _band(step, rulebook)
            nominal[step.id] = next(cl.nominal_deg for cl in rulebook.bow_classes if cl.name == step.bow_class)
    return Scenario(source, c.text("name", d["name"]), c.text("title_zh", d["title_zh"]),
                    c.text("title_en", d["title_en"]), tuple(steps), str(d.get("notes") or ""), bands, nominal)


def _band(step: Step, rb: Rulebook) -> tuple[float, float]:
    """A bow step's band (degrees): its own ``band_deg`` or the rulebook class's."""
    if step.band_deg is not None:
        return float(step.band_deg[0].value), float(step.band_deg[1].value)
    cls = next(c for c in rb.bow_classes if c.name == step.bow_class)
    return cls.min_deg, cls.max_deg


STEP_KEYS = ("id", "expect", "title_zh", "title_en", "window", "points", "credit", "bow_class", "band_deg",
             "min_hold_s", "min_duration_s", "max_duration_s", "coaching_zh", "coaching_en")


def _read_step(c: _Reader, i: int, spec: Any, rb: Rulebook, first: bool) -> Step:
    sid = spec.get("id") if isinstance(spec, dict) else None
    where = f"step {sid}" if isinstance(sid, str) else f"steps[{i}]"
    s = c.mapping(where, spec, STEP_KEYS, ("id", "expect", "title_zh", "title_en", "window", "points", "credit"))
    expect = c.choice(f"{where}.expect", s["expect"], EXPECTS)
    window = _read_window(c, f"{where}.window", s["window"], first)
    cm = c.mapping(f"{where}.credit", s["credit"], CREDITS, CREDITS)
    credit = {k: c.param(f"{where}.credit.{k}", cm[k], lo=0.0, hi=1.0) for k in CREDITS}
    bow_class = band = None
    if expect == "bow":
        names = [cl.name for cl in rb.bow_classes]
        if "bow_class" not in s:
            raise c.fail(f"{where}.bow_class", f"a bow step names its class (one of {', '.join(names)})")
        bow_class = c.choice(f"{where}.bow_class", s["bow_class"], tuple(names))
        if "band_deg" in s:
            b = c.mapping(f"{where}.band_deg", s["band_deg"], ("min", "max"), ("min", "max"))
            band = (c.param(f"{where}.band_deg.min", b["min"], lo=0.0, hi=180.0),
                    c.param(f"{where}.band_deg.max", b["max"], lo=0.0, hi=180.0))
            if band[0].value >= band[1].value:
                raise c.fail(f"{where}.band_deg.max", "must be above min")
    elif "bow_class" in s or "band_deg" in s:
        raise c.fail(f"{where}.bow_class", f"only a bow step has a class (this step expects {expect})")
    if expect == "hold_posture" and "min_hold_s" not in s:
        raise c.fail(f"{where}.min_hold_s", "a hold_posture step says how long (min_hold_s)")
    nums = {k: c.param(f"{where}.{k}", s[k], lo=0.0) if k in s else None
            for k in ("min_hold_s", "min_duration_s", "max_duration_s")}
    if nums["min_duration_s"] and nums["max_duration_s"] and \
            nums["min_duration_s"].value >= nums["max_duration_s"].value:
        raise c.fail(f"{where}.max_duration_s", "must be above min_duration_s")
    return Step(c.text(f"{where}.id", s["id"]), expect, c.text(f"{where}.title_zh", s["title_zh"]),
                c.text(f"{where}.title_en", s["title_en"]), window,
                c.number(f"{where}.points", s["points"], positive=True), credit, bow_class, band,
                nums["min_hold_s"], nums["min_duration_s"], nums["max_duration_s"],
                str(s.get("coaching_zh") or ""), str(s.get("coaching_en") or ""))


def _read_window(c: _Reader, where: str, value: Any, first: bool) -> Window:
    w = c.mapping(where, value, ("after", "from_s", "to_s", "late_s"), ("after", "from_s", "to_s", "late_s"))
    after = c.choice(f"{where}.after", w["after"], CUES)
    if first and after == "previous":
        raise c.fail(f"{where}.after", "the first step has no previous step: use start, customer_near or "
                                       "customer_leave")
    frm, to = c.param(f"{where}.from_s", w["from_s"]), c.param(f"{where}.to_s", w["to_s"])
    if to.value <= frm.value:
        raise c.fail(f"{where}.to_s", f"must be after from_s ({frm.value:g} s)")
    return Window(after, frm, to, c.param(f"{where}.late_s", w["late_s"], lo=0.0))
