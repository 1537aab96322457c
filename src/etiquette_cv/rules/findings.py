"""What the rules stage hands to the reports: findings, customer visits, state timelines and measured series."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import numpy as np


class Verdict(str, Enum):
    """How a rule came out for one occasion. Only MET counts as compliance; NOT_ASSESSABLE never does."""

    MET = "met"
    LATE = "late"
    MISSED = "missed"
    VIOLATION = "violation"
    NOT_APPLICABLE = "not_applicable"
    NOT_ASSESSABLE = "not_assessable"
    INFO = "info"


class Severity(str, Enum):
    INFO = "info"
    MINOR = "minor"
    MAJOR = "major"


@dataclass
class Finding:
    """One graded occasion: a rule, when, what was measured against which threshold, and the evidence."""

    rule_id: str
    """Rulebook id, e.g. ``CC-2.6-stand-greet``."""
    clause: str
    """Where the rule comes from, e.g. ``CC 通用规范㈡6 / 柜面服务规范1`` or ``DB21/T 2641-2016 表4 鞠躬``."""
    wording_zh: str
    """The clause's Chinese wording, quoted."""
    title_en: str
    title_zh: str
    verdict: Verdict
    severity: Severity
    start_s: float
    end_s: float
    person: str
    """Who it is about: ``clerk`` (the only clerk), ``clerk@<station>`` (one of several), or
    ``customer#<track id>``."""
    measured_value: float | None = None
    measured_unit: str = ""
    """``deg``, ``s``, ``m`` or empty."""
    measured_uncertainty: float | None = None
    """± of the measured value (same unit) from what the view resolves: the landmarks' error over how far the
    quantity moves them (pixels per degree); None when not estimated."""
    threshold_text: str = ""
    """The threshold applied, for people, e.g. ``≤ 3.0 s`` or ``15° ± 5°``."""
    threshold_value: float | None = None
    threshold_source: str = "default"
    """``standard`` when the number is the standard's, ``default`` when it is a configurable default of ours."""
    evidence_t_s: float | None = None
    evidence_frame_index: int | None = None
    evidence_image: str | None = None
    """Path of the evidence keyframe, relative to the report directory."""
    visit_id: int | None = None
    note: str = ""
    """A short explanation (why not assessable, what was late by how much)."""
    rule_kind: str = ""
    """The rule's kind in the rulebook (``stand_greet``, ``stand_send_off``, ``bow_expected``, ``posture``…); empty
    when read from a findings file written before it was recorded."""

    @property
    def duration_s(self) -> float:
        """Length of the finding's time range in seconds."""
        return max(0.0, self.end_s - self.start_s)


@dataclass
class Visit:
    """One customer visit at the counter = one transaction."""

    visit_id: int
    customer: str
    arrive_s: float | None
    """When the customer crossed into 2 m of the counter."""
    leave_s: float | None
    """When the customer crossed back out of 2 m."""
    at_counter_s: float | None = None
    wait_s: float | None = None
    """Time spent in the waiting area before the visit, when the camera sees one."""
    station: str | None = None
    """The clerk station the customer came to."""
    left_view: bool = False
    """``leave_s`` is when the customer walked out of the camera's view while still within the near distance."""
    min_distance_m: float | None = None
    """The nearest the customer came to the counter edge during the visit (metres; None when not recorded)."""
    last_inside_s: float | None = None
    """When the customer was last seen within the near distance (None when not recorded)."""
    pass_by: str | None = None
    """Why this was a customer passing the counter rather than coming to it (the rulebook's ``pass_by_max_s`` and
    ``pass_by_margin_m``), None for a visit: a pass-by is no transaction and the 2 m cue rules do not apply."""

    @property
    def handling_s(self) -> float | None:
        """Time from arrival within 2 m to leaving it, in seconds (None while either end is unknown)."""
        if self.arrive_s is None or self.leave_s is None:
            return None
        return self.leave_s - self.arrive_s


@dataclass
class StateInterval:
    """A stretch of time one person spent in one state (``sit``, ``stand``, ``absent``, ``unknown``, ``bow``...)."""

    person: str
    state: str
    start_s: float
    end_s: float


@dataclass
class Series:
    """A measured quantity over time for the report's plots; NaN where it was not measurable."""

    name: str
    unit: str
    t_s: np.ndarray
    values: np.ndarray


@dataclass
class Coverage:
    """How much of the video each person was visible and which rules could be assessed."""

    visible_s: dict[str, float] = field(default_factory=dict)
    assessable_rules: list[str] = field(default_factory=list)
    not_assessable_rules: dict[str, str] = field(default_factory=dict)
    """Rule id → why not (e.g. ``legs not visible from this camera``)."""


@dataclass
class ReviewResult:
    """Everything a review produced, in the form the reports consume."""

    source: str
    duration_s: float
    analysed_frames: int
    image_width: int
    image_height: int
    findings: list[Finding] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    states: list[StateInterval] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)
    bow_peaks: list[tuple[float, float, str, str]] = field(default_factory=list)
    """(time s, peak trunk flexion deg, class, person) of each bow."""
    coverage: Coverage = field(default_factory=Coverage)
    rulebook_name: str = ""
    rulebook_version: str = ""
    near_m: float = 2.0
    """The rulebook's near distance the visits were timed from (metres; CC 通用规范㈡6: 2 m): the reports name it."""
    problem: str | None = None
    """Set when the input ended early: the review covers only what was read."""

    @property
    def score(self) -> float | None:
        """Share of assessed occasions that met their rule, 0–100; None when nothing could be assessed."""
        graded = [f for f in self.findings if f.verdict not in (Verdict.NOT_APPLICABLE, Verdict.NOT_ASSESSABLE,
                                                                  Verdict.INFO)]
        if not graded:
            return None
        return 100.0 * sum(f.verdict == Verdict.MET for f in graded) / len(graded)
