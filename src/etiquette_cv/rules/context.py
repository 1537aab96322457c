"""What a clerk rule's grader sees: the clerk's series with lookups by time (:class:`_Clerk`), the station's
visits and approaches (:class:`ClerkContext`), and how a finding is made from a rule. Times are seconds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..events import Approach
from ..posture.clerk import ClerkSeries
from .findings import Coverage, Finding, Severity, Verdict, Visit
from .observations import ClerkObservations
from .rulebook import GradingSettings, Rule, Rulebook


def rule_finding(rule: Rule, verdict: Verdict, start_s: float, end_s: float, person: str, **kw) -> Finding:
    """A finding of ``rule`` from ``start_s`` to ``end_s`` (seconds) about ``person``, with the rule's clause and
    wording; ``kw``: the measured value, its evidence and note."""
    return Finding(rule_id=rule.id, clause=rule.clause, wording_zh=rule.wording_zh, title_en=rule.title_en,
                   title_zh=rule.title_zh, verdict=verdict, severity=Severity(rule.severity), start_s=float(start_s),
                   end_s=float(end_s), person=person, rule_kind=rule.kind, **kw)


def out_of_view_finding(rule: Rule, person: str, end_s: float, why: str) -> Finding:
    """The one finding of a clerk rule whose station the camera cannot see: not assessable over the whole video."""
    return rule_finding(rule, Verdict.NOT_ASSESSABLE, 0.0, end_s, person, note=why)


def _nearest(t_s: np.ndarray, t: float) -> int:
    return int(np.clip(np.searchsorted(t_s, t), 0, len(t_s) - 1)) if len(t_s) else 0


class _Clerk:
    """Lookups on one clerk's series: state at a time, visibility in a window, invisible stretches."""

    def __init__(self, c: ClerkSeries, person: str = "clerk", lookback_s: float = 1.0) -> None:
        self.c = c
        self.t = c.t_s
        self.person = person
        self.lookback_s = lookback_s

    def window(self, t0: float, t1: float) -> np.ndarray:
        return (self.t >= t0) & (self.t <= t1)

    def visible_in(self, t0: float, t1: float) -> bool:
        return bool(np.any(self.c.visible[self.window(t0, t1)]))

    def state_at(self, t: float) -> str:
        """'sit' / 'stand' at time t (the last visible sample at most ``lookback_s`` before t), '' when not seen."""
        i = int(np.searchsorted(self.t, t, side="right")) - 1
        while i >= 0 and not self.c.visible[i]:
            if t - self.t[i] > self.lookback_s:
                return ""
            i -= 1
        if i < 0 or t - self.t[i] > self.lookback_s:
            return ""
        return str(self.c.stance[i])

    def invisible_stretch(self, t: float) -> float:
        """Length in seconds of the run of not-visible samples containing time t (0 when visible at t)."""
        i = _nearest(self.t, t)
        if self.c.visible[i]:
            return 0.0
        a, b = self._unseen_run(i)
        return float(self.t[b] - self.t[a])

    def _unseen_run(self, i: int) -> tuple[int, int]:
        """First and last index of the run of not-visible samples containing sample ``i`` (not visible)."""
        a = b = i
        while a > 0 and not self.c.visible[a - 1]:
            a -= 1
        while b < len(self.t) - 1 and not self.c.visible[b + 1]:
            b += 1
        return a, b

    def frame_at(self, t: float) -> int:
        return int(self.c.frame_index[_nearest(self.t, t)]) if len(self.t) else 0

    def left_over_edge(self, t: float) -> bool:
        """Whether the run of not-visible samples containing time t is bounded by a sample where the clerk's box
        touched the image border (last seen before it, or first seen again after it): they went out of the view."""
        edge = self.c.at_frame_edge
        if edge is None or not len(self.t):
            return False
        i = _nearest(self.t, t)
        if self.c.visible[i]:
            return bool(edge[i])
        a, b = self._unseen_run(i)
        return bool(edge[max(a - 1, 0)] or edge[min(b + 1, len(self.t) - 1)])



@dataclass
class ClerkContext:
    """What a clerk rule sees for the clerk of one station."""

    rb: Rulebook
    clerk: _Clerk
    obs: ClerkObservations
    visits: list[Visit]
    """The visits made to this clerk's station."""
    approaches: list[Approach]
    """The approaches to this clerk's station."""
    coverage: Coverage
    grading: GradingSettings
    absent_after_s: float
    """Unseen this long, the clerk is away from the post (the absent rule's limit)."""

    def left_view_between(self, t0: float, t1: float) -> tuple[float, str] | None:
        """(when, why) the clerk first went out of the view (:meth:`out_of_view_at`) between t0 and t1 (s), None
        when they did not."""
        c = self.clerk
        for i in np.flatnonzero(c.window(t0, t1) & ~np.asarray(c.c.visible, bool)):
            why = self.out_of_view_at(float(c.t[i]))
            if why is not None:
                return float(c.t[i]), why
        return None

    def out_of_view_at(self, t: float) -> str | None:
        """Why the clerk, unseen at time t, may be out of the view rather than away from the post: seated they are
        outside the image, or standing near the station can leave it and they were last (or next) seen at its
        edge; else None."""
        if self.obs.seated_out_of_view:
            return f"unseen, the clerk may be sitting at the post: seated, {self.obs.seated_out_of_view}"
        if self.obs.may_stand_out_of_view and self.clerk.left_over_edge(t):
            return f"the clerk was seen at the image's edge and not after: {self.obs.may_stand_out_of_view}"
        return None
