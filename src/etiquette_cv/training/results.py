"""A scored attempt: each step's result and the attempt's total (what the scoring engine hands to the reports)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .stream import TraineeEvent


@dataclass
class StepResult:
    """How one step came out."""

    step_id: str
    expect: str
    title_zh: str
    title_en: str
    verdict: str
    points_awarded: float
    points_possible: float
    issues: tuple[str, ...] = ()
    event: TraineeEvent | None = None
    anchor_s: float | None = None
    """The cue or previous event the step's window is measured from (seconds)."""
    anchor_span_s: tuple[float, float] | None = None
    """A cue known only within this span (seconds; no floor calibration): the step was tried across it."""
    window_s: tuple[float, float, float] | None = None
    """Absolute on-time window start, end and the end of the late allowance (seconds)."""
    band_deg: tuple[float, float] | None = None
    nominal_deg: float | None = None
    own_band: bool = False
    """The step narrows the rulebook class's band (``band_deg``)."""
    min_hold_s: float | None = None
    duration_bounds_s: tuple[float | None, float | None] = (None, None)
    waiting_for_cue: bool = False
    """The step's cue (the customer crossing 2 m) has not happened in the recording so far: a live run waits."""
    reason: str = ""
    """Why the step is not assessable, or a note on a missing one."""
    reason_zh: str = ""
    """The same in Chinese (empty: the English is shown)."""
    message_zh: str = ""
    message_en: str = ""
    coaching_zh: str = ""
    coaching_en: str = ""

    @property
    def delay_s(self) -> float | None:
        """Seconds from the anchor to the event (None when either is unknown)."""
        if self.event is None or self.anchor_s is None:
            return None
        return self.event.t_s - self.anchor_s

    @property
    def evidence_t_s(self) -> float | None:
        """The moment that shows the step best: a bow's peak, a stand-up's or sit-down's completion, else the
        event's time."""
        if self.event is None:
            return None
        if math.isfinite(self.event.peak_t_s):
            return self.event.peak_t_s
        if self.event.kind in ("stand_up", "sit_down"):  # the move complete: the person up (or down)
            return self.event.end_s
        return self.event.t_s


@dataclass
class ScoreResult:
    """A scored attempt: every step, the points and how the recording was read."""

    scenario: str
    scenario_title_zh: str
    scenario_title_en: str
    source: str
    duration_s: float
    steps: list[StepResult]
    notes: list[str] = field(default_factory=list)
    """How the recording was read (trainee choice, no calibration, angle uncertainty), in English."""
    notes_zh: list[str] = field(default_factory=list)
    to_avoid: list[TraineeEvent] = field(default_factory=list)
    """Gestures to avoid (DB 表4) the trainee made, in time order (no points: the scenario's steps score)."""

    @property
    def points_awarded(self) -> float:
        """Points earned over the assessable steps."""
        return sum(s.points_awarded for s in self.steps if s.verdict != "not_assessable")

    @property
    def points_possible(self) -> float:
        """Points of the assessable steps."""
        return sum(s.points_possible for s in self.steps if s.verdict != "not_assessable")

    @property
    def score_pct(self) -> float | None:
        """Points earned as a percentage of the assessable steps' points (None when nothing was assessable)."""
        return None if self.points_possible <= 0 else 100.0 * self.points_awarded / self.points_possible
