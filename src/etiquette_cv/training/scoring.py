"""The scoring engine: a scenario's steps matched, in order, against the trainee's event stream.

Each step gets one verdict — ``done``, ``late``, ``wrong_class``, ``wrong_form``, ``out_of_order``, ``missing`` or
``not_assessable`` — with the measured value and the threshold applied, its points (partial credit from the
scenario) and what to tell the trainee in Chinese and English. A bow outside the step's band is ``wrong_class``,
never ``done``. A step whose window hangs on a cue the recording cannot measure (the customer crossing 2 m without
a floor calibration) is ``not_assessable``; the event it expects is still looked for, so later steps can be timed
from it. A cue known only to lie within a span (:attr:`~.stream.TraineeEvents.cue_spans`: the 2 m crossing bounded
from when the customer stopped at the counter) grades its step only when the verdict and the event matched are the
same wherever in the span the cue was; otherwise the step is ``not_assessable``, with the span and the verdicts it
allows.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from ..events import band_resolvable, in_angle_band, lasts_at_least, lasts_longer_than
from .results import ScoreResult, StepResult
from .scenario import Scenario, Step
from .stream import AVOID_KINDS, TraineeEvent, TraineeEvents
from .texts import cue_text, metres_text, step_message, verdict_text

VERDICTS = ("done", "late", "wrong_class", "wrong_form", "out_of_order", "missing", "not_assessable")
SPAN_STEP_S = 0.05
"""A cue span is tried at anchors this far apart (and at both ends)."""
ISSUE_ORDER = ("wrong_class", "wrong_form", "out_of_order", "late")
"""When an event has several problems, the verdict names the first of these; the credit multiplies them all."""
SPAN_REASON = ("no floor calibration: {cue} between {lo:.1f} and {hi:.1f} s (bounded from when the customer stopped at "
               "the counter), and the verdict depends on when in that span ({verdicts}) — give --calibration, or "
               "mark the {near} m line on the floor (--cue-line)",
               "无标定：{cue}的时刻只知在{lo:.1f}–{hi:.1f}秒之间（由客户在柜台前停下的时刻推算），其间不同时刻得出的"
               "结论不同（{verdicts}）——请用 --calibration，或在地面标出{near}米线（--cue-line）")
"""Why a step timed from a cue span is not graded (English, Chinese): the span and the verdicts it allows."""


def _anchor(step: Step, ev: TraineeEvents, prev_anchor: float, cue_s: float | None = None
            ) -> tuple[float | None, str]:
    """The time (s) the step's window is measured from (``cue_s`` when given), or None with the reason it is
    unknown."""
    after = step.window.after
    if cue_s is not None:
        return cue_s, ""
    if after == "start":
        return 0.0, ""
    if after == "previous":
        return prev_anchor, ""
    if after in ev.cue_problems:
        return None, ev.cue_problems[after]
    t = ev.cues.get(after)
    if t is None:
        what = "the customer never came within the near distance" if after == "customer_near" else \
            "the customer never walked away past the near distance"
        return None, f"{after}: {what} in the recording"
    return float(t), ""


def _cue_reason_zh(after: str, near_m: float) -> str:
    """The Chinese of a cue that did not happen in the recording (``near_m``: the near distance, metres)."""
    near = metres_text(near_m)
    return {"customer_near": f"录像中客户未走到距柜台{near}米处", "customer_leave": f"录像中客户未离开{near}米范围"}.get(after, "")


def _issues(step: Step, band: tuple[float, float] | None, e: TraineeEvent, on_time_end_s: float) -> list[str]:
    """The problems of one candidate event for a step."""
    out = []
    if band is not None and not in_angle_band(e.peak_angle_deg, *band) and _resolved(band, e):
        out.append("wrong_class")
    hold = step.value("min_hold_s")
    if hold is not None and not lasts_at_least(e.hold_s, hold):
        out.append("wrong_form")
    lo, hi = step.value("min_duration_s"), step.value("max_duration_s")
    too_short = lo is not None and not lasts_at_least(e.duration_s, lo)
    if too_short or (hi is not None and lasts_longer_than(e.duration_s, hi)):
        if "wrong_form" not in out:
            out.append("wrong_form")
    if e.t_s > on_time_end_s:
        out.append("late")
    return out


def _resolved(band: tuple[float, float], e: TraineeEvent) -> bool:
    """Whether a bow's class can be told against the step's band (degrees): its ± is under half the band's width,
    or the whole ± interval misses the band; a least depth ("at least") is graded as it stands."""
    return e.angle_at_least or e.peak_hidden or band_resolvable(e.peak_angle_deg, e.angle_uncertainty_deg, *band)


def _credit(step: Step, issues: list[str]) -> float:
    """Fraction of the step's points earned with these issues (their credits multiplied)."""
    c = 1.0
    for i in issues:
        c *= float(step.credit[i].value)
    return c


def _verdict(issues: list[str]) -> str:
    return next((i for i in ISSUE_ORDER if i in issues), "done")


def score_attempt(scenario: Scenario, ev: TraineeEvents, source: str = "") -> ScoreResult:
    """Score one attempt: each step's verdict, points (scenario credits) and texts, steps matched in order."""
    used: set[int] = set()
    prev_anchor, floor_s = 0.0, 0.0
    results: list[StepResult] = []
    for step in scenario.steps:
        if step.window.after in ev.cue_spans:
            r = _score_spanned(step, scenario.bands.get(step.id), ev, used, prev_anchor, floor_s)
        else:
            r = _score_step(step, scenario.bands.get(step.id), ev, used, prev_anchor, floor_s)
        r.nominal_deg, r.own_band = scenario.nominal_deg.get(step.id), step.band_deg is not None
        step_message(step, r, ev.near_m)
        results.append(r)
        if r.event is not None and r.verdict != "out_of_order":
            prev_anchor = r.event.t_s
            floor_s = max(floor_s, r.event.start_s)
        elif r.anchor_s is not None and step.window.after != "previous":
            prev_anchor = r.anchor_s
    avoided = sorted((e for e in ev.events if e.kind in AVOID_KINDS), key=lambda e: e.start_s)
    return ScoreResult(scenario.name, scenario.title_zh, scenario.title_en, source, ev.duration_s, results,
                       to_avoid=avoided)


def _score_spanned(step: Step, band: tuple[float, float] | None, ev: TraineeEvents, used: set[int],
                   prev_anchor: float, floor_s: float) -> StepResult:
    """One step timed from a cue known only within a span: graded when every anchor across the span gives the same
    verdict and event (then as at the span's middle, with the span kept), else ``not_assessable``."""
    lo, hi = ev.cue_spans[step.window.after]
    anchors = np.linspace(lo, hi, max(2, int(math.ceil((hi - lo) / SPAN_STEP_S)) + 1))
    trials = []
    for a in [*anchors, (lo + hi) / 2]:
        trial_used = set(used)
        trials.append((_score_step(step, band, ev, trial_used, prev_anchor, floor_s, float(a)), trial_used))
    r, middle_used = trials[-1]
    outcomes = {(t.verdict, id(t.event) if t.event is not None else None) for t, _ in trials}
    r.anchor_span_s = (float(lo), float(hi))
    windows = [t.window_s for t, _ in trials if t.window_s is not None]
    if windows:   # every window the span allows: a missing step is missing from all of them, decided after the last
        r.window_s = (min(w[0] for w in windows), max(w[1] for w in windows), max(w[2] for w in windows))
    if len(outcomes) == 1:
        used |= middle_used
        return r
    verdicts = sorted({v for v, _ in outcomes}, key=VERDICTS.index)
    cue_en, cue_zh = cue_text(step.window.after, "en", ev.near_m), cue_text(step.window.after, "zh", ev.near_m)
    near = metres_text(ev.near_m)
    out = replace(r, verdict="not_assessable", issues=(), points_awarded=0.0, window_s=None, anchor_s=(lo + hi) / 2,
                  event=None,
                  reason=SPAN_REASON[0].format(cue=cue_en, lo=lo, hi=hi, near=near,
                                               verdicts=", ".join(verdict_text(v, "en") for v in verdicts)),
                  reason_zh=SPAN_REASON[1].format(cue=cue_zh, lo=lo, hi=hi, near=near,
                                                  verdicts="、".join(verdict_text(v, "zh") for v in verdicts)))
    # the event is still looked for (the first after the previous step), so the steps that follow are timed from it
    later = [e for e in ev.of_kind(step.expect) if id(e) not in used and e.t_s >= floor_s]
    if later:
        out.event = later[0]
        used.add(id(later[0]))
    return out


def _score_step(step: Step, band: tuple[float, float] | None, ev: TraineeEvents, used: set[int],
                prev_anchor: float, floor_s: float, cue_s: float | None = None) -> StepResult:
    """One step against the unused events of its kind (``used`` holds the ids of the events already matched);
    ``cue_s``: the time of the step's cue, when it is tried at a given time (:func:`_score_spanned`)."""
    r = StepResult(step.id, step.expect, step.title_zh, step.title_en, "missing", 0.0, step.points, band_deg=band,
                   min_hold_s=step.value("min_hold_s"),
                   duration_bounds_s=(step.value("min_duration_s"), step.value("max_duration_s")))
    cands = [e for e in ev.of_kind(step.expect) if id(e) not in used]
    anchor, problem = _anchor(step, ev, prev_anchor, cue_s)
    unmeasured = ev.not_measured.get(step.expect) or ev.not_measured.get("*")
    if unmeasured and step.expect == "bow" and anchor is not None and "*" not in ev.not_measured:
        # bows' angles are not measurable from this view, but one in the step's window had its least depth
        # measured (a deep bow facing the camera): that one is graded when it is the window's only bow or does the
        # step right; one that falls short beside bows whose angle could not be read leaves the step not
        # assessable — any of those may be the step's bow (bundled bows_front without its calibration: its 45°
        # bow, claimed, was graded "wrong class" for the greeting step while the 15° bow before it went unread)
        w = step.window
        lo, hi = anchor + float(w.from_s.value), anchor + float(w.to_s.value)
        end = hi + float(w.late_s.value)
        claimed = [e for e in cands if e.angle_measured and lo <= e.t_s <= end]
        unread = [e for e in cands if not e.angle_measured and lo <= e.t_s <= end]
        if claimed and (not unread or any(not _issues(step, band, e, hi) for e in claimed)):
            unmeasured, cands = None, [e for e in cands if e.angle_measured]
    if anchor is None or unmeasured:
        # the step cannot be graded; the event is still looked for (the first after the previous step), shown, and
        # times the steps that follow it
        r.verdict, r.reason, r.anchor_s = "not_assessable", unmeasured or problem, anchor
        r.reason_zh = ev.reasons_zh.get(r.reason, _cue_reason_zh(step.window.after, ev.near_m) if r.reason == problem
                                        and step.window.after not in ev.cue_problems else "")
        r.waiting_for_cue = (anchor is None and step.window.after not in ev.cue_problems and not unmeasured) \
            or (step.window.after in ev.pending_cues and not unmeasured)
        later = [e for e in cands if e.t_s >= floor_s]
        if anchor is not None:  # timed from a known anchor: only an event in the step's window (with its late
            w = step.window     # allowance) stands for it — not a stray one long after (tuning role-play t302)
            later = [e for e in later if anchor + float(w.from_s.value) <= e.t_s
                     <= anchor + float(w.to_s.value) + float(w.late_s.value)]
        if later:
            r.event = later[0]
            used.add(id(later[0]))
        return r
    r.anchor_s = anchor
    w = step.window
    lo, hi = anchor + float(w.from_s.value), anchor + float(w.to_s.value)
    late_end = hi + float(w.late_s.value)
    r.window_s = (lo, hi, late_end)
    inside = [e for e in cands if lo <= e.t_s <= late_end]
    if inside:
        scored = [(_credit(step, _issues(step, band, e, hi)), -e.t_s, e) for e in inside]
        credit, _, best = max(scored, key=lambda x: (x[0], x[1]))
        issues = _issues(step, band, best, hi)
        r.event, r.issues, r.verdict = best, tuple(issues), _verdict(issues)
        r.points_awarded = step.points * credit
        used.add(id(best))
        if band is not None and not _resolved(band, best):
            r.verdict, r.issues, r.points_awarded = "not_assessable", (), 0.0
            r.reason = (f"bow {best.peak_angle_deg:.0f}° ± {best.angle_uncertainty_deg:.0f}°: from this view the "
                        f"angle's ± is at least half the band {band[0]:g}–{band[1]:g}°, so whether the bow is in it "
                        "cannot be told (a camera nearer the trainee's side measures bows more closely)")
            r.reason_zh = (f"鞠躬{best.peak_angle_deg:.0f}°±{best.angle_uncertainty_deg:.0f}°：此视角下角度误差不小于"
                           f"{band[0]:g}～{band[1]:g}°范围的一半，无法判断是否在范围内（相机越靠近学员侧面，鞠躬测得越准）")
        return r
    before = [e for e in cands if e.t_s < lo]
    if before:  # done, but before the step it should follow
        best = min(before, key=lambda e: lo - e.t_s)
        issues = ["out_of_order"] + [i for i in _issues(step, band, best, math.inf) if i != "late"]
        r.event, r.issues, r.verdict = best, tuple(issues), _verdict(issues)
        r.points_awarded = step.points * _credit(step, issues)
        used.add(id(best))
        return r
    after = [e for e in cands if e.t_s > late_end]
    if after:
        r.reason = f"too_late:{after[0].t_s:.1f}"
    return r
