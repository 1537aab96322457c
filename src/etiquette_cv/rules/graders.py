"""The graders: one function per rule kind (the registry :data:`CLERK_GRADERS` / :data:`VISIT_GRADERS`), each
turning one clerk's observations (or the visits) into findings. Times are seconds, distances metres, angles degrees.

A rule that could not be assessed is reported as such (``not_assessable``) and never counted as compliance.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..events import hysteresis_intervals
from ..posture.clerk import ClerkSeries
from ..posture.walking import faster_than, sustained_speed_m_s
from .bow_graders import bow_expected, grade_bow_graded
from .context import ClerkContext, rule_finding
from .findings import Finding, Verdict, Visit
from .rulebook import GradingSettings, Rule, Rulebook

def _no_stand_up(rule: Rule, ctx: ClerkContext, visit: Visit, arrive: float, end: float, allowance: float,
                 base: dict) -> Finding:
    """站接 of a visit (customer crossing at ``arrive``, gone or recording over at ``end``, seconds) in which no
    stand-up was seen: not assessable when the clerk went out of the view, or the recording ended, before the
    allowance ran out; else missed."""
    clerk, near = ctx.clerk, ctx.rb.near_m
    gone = ctx.left_view_between(arrive, min(arrive + allowance, end))
    if gone is not None:
        return rule_finding(rule, Verdict.NOT_ASSESSABLE, arrive, gone[0], clerk.person,
                            note=f"the clerk went out of the camera's view {gone[0] - arrive:.1f} s after the "
                                 f"customer crossed {near:g} m, before the {allowance:g} s allowance ran out, no "
                                 f"stand-up seen: {gone[1]}", evidence_t_s=gone[0],
                            evidence_frame_index=clerk.frame_at(gone[0]), **base)
    if visit.leave_s is None and end - arrive < allowance:
        return rule_finding(rule, Verdict.NOT_ASSESSABLE, arrive, end, clerk.person, note=f"the recording ended "
                            f"{end - arrive:.1f} s after the customer crossed {near:g} m, before the {allowance:g} s "
                            "allowance ran out, and the clerk had not stood up", evidence_t_s=end,
                            evidence_frame_index=clerk.frame_at(end), **base)
    t_ev = min(arrive + allowance, end)
    return rule_finding(rule, Verdict.MISSED, arrive, end, clerk.person, note="the clerk did not stand up while the "
                        f"customer was within {near:g} m", evidence_t_s=t_ev, evidence_frame_index=clerk.frame_at(t_ev),
                        **base)


def _stand_greet(rule: Rule, ctx: ClerkContext, visit: Visit) -> Finding:
    clerk, changes, absent_after_s, near = ctx.clerk, ctx.obs.stance_changes, ctx.absent_after_s, ctx.rb.near_m
    allowance = float(rule.value("allowance_s"))
    early = float(rule.value("early_s"))
    point = str(rule.value("stand_point"))
    threshold = (f"≤ {allowance:g} s to the stand-up's {point} "
                 f"({'标准' if rule.source('allowance_s') == 'standard' else 'default'})")
    base = dict(visit_id=visit.visit_id, threshold_text=threshold, threshold_value=allowance,
                threshold_source=rule.source("allowance_s"), measured_unit="s")
    if visit.arrive_s is None:
        t0 = visit.at_counter_s or 0.0
        return rule_finding(rule, Verdict.NOT_ASSESSABLE, t0, t0, clerk.person,
                            note="the customer was first seen already "
                                 f"within {near:g} m: the crossing was not observed", **base)
    arrive = visit.arrive_s
    end = visit.leave_s if visit.leave_s is not None else clerk.t[-1]
    # the early window is measured to the same point of the stand-up as the delay (the rulebook's stand_point)
    ups = [c for c in changes if c.to_state == "stand" and arrive - early <= c.at(point) <= end]
    # a stand-up before the crossing counts only if the clerk did not sit down again before the crossing
    sat_again = [c.t_s for c in changes if c.to_state == "sit" and c.t_s <= arrive]
    ups = [u for u in ups if u.t_s > arrive or not any(u.t_s < s for s in sat_again)]
    state = clerk.state_at(arrive)
    if not state:
        away = ctx.out_of_view_at(arrive)
        if away and not ups:
            return rule_finding(rule, Verdict.NOT_ASSESSABLE, arrive, arrive, clerk.person, note=away,
                                evidence_t_s=arrive,
                                evidence_frame_index=clerk.frame_at(arrive), **base)
        if clerk.invisible_stretch(arrive) >= absent_after_s and not away:
            return rule_finding(rule, Verdict.NOT_APPLICABLE, arrive, arrive, clerk.person,
                                note="clerk absent from the post "
                                     "when the customer arrived (see 离岗)", evidence_t_s=arrive,
                                evidence_frame_index=clerk.frame_at(arrive), **base)
        if not ups:
            return rule_finding(rule, Verdict.NOT_ASSESSABLE, arrive, arrive, clerk.person,
                                note="the clerk was not visible "
                                     f"when the customer crossed {near:g} m", evidence_t_s=arrive,
                                evidence_frame_index=clerk.frame_at(arrive), **base)
    if state == "stand" and not any(c.t_s <= arrive for c in ups):
        return rule_finding(rule, Verdict.NOT_APPLICABLE, arrive, arrive, clerk.person,
                            note="the clerk was already standing "
                                 "before the customer approached", evidence_t_s=arrive,
                            evidence_frame_index=clerk.frame_at(arrive), **base)
    if not ups:
        return _no_stand_up(rule, ctx, visit, arrive, end, allowance, base)
    up = ups[0]
    t_up = up.at(point)
    delay = t_up - arrive
    verdict = Verdict.MET if delay <= allowance else Verdict.LATE
    sign = "−" if point == "onset" else "+"
    when = (f"(stand-up {point}; onset/midpoint/complete {up.at('onset'):.1f}/{up.t_s:.1f}/{up.at('complete'):.1f} s)"
            if up.seen(point) else f"(the stand-up's {point} was not seen: its midpoint {up.t_s:.1f} s "
            f"{sign} {up.unseen_half_s:g} s, a typical move's half, is used)")
    note = (f"stood up {delay:.1f} s after the customer crossed {near:g} m {when}" if delay >= 0
            else f"stood up {-delay:.1f} s before the customer crossed {near:g} m {when}")
    unc = up.uncertainty_s(point)
    if abs(delay - allowance) <= unc:
        note += f"; ± {unc:g} s straddles the {allowance:g} s allowance: the verdict is uncertain"
    return rule_finding(rule, verdict, arrive, max(t_up, arrive), clerk.person, measured_value=round(delay, 2),
                        measured_uncertainty=round(unc, 2), note=note,
                        evidence_t_s=up.t_s,
                        evidence_frame_index=clerk.frame_at(up.t_s + ctx.grading.evidence_after_stand_s), **base)


def _send_off(rule: Rule, ctx: ClerkContext, visit: Visit) -> Finding:
    clerk, absent_after_s = ctx.clerk, ctx.absent_after_s
    before, after = float(rule.value("before_s")), float(rule.value("after_s"))
    base = dict(visit_id=visit.visit_id, threshold_text=f"standing within [leave − {before:g} s, leave + {after:g} s]",
                threshold_source=rule.source("before_s"))
    if visit.leave_s is None:
        t0 = visit.at_counter_s or 0.0
        return rule_finding(rule, Verdict.NOT_ASSESSABLE, t0, t0, clerk.person,
                            note=f"the customer's departure across {ctx.rb.near_m:g} m was "
                                 "not observed (lost from view or the video ended)", **base)
    t0, t1 = visit.leave_s - before, visit.leave_s + after
    w = clerk.window(t0, t1) & clerk.c.visible
    if not w.any():
        away = ctx.out_of_view_at(visit.leave_s)
        absent = clerk.invisible_stretch(visit.leave_s) >= absent_after_s and not away
        return rule_finding(rule, Verdict.NOT_APPLICABLE if absent else Verdict.NOT_ASSESSABLE, t0, t1, clerk.person,
                            note="clerk absent from the post" if absent else
                            (away or "the clerk was not visible at the send-off"),
                            evidence_t_s=visit.leave_s, evidence_frame_index=clerk.frame_at(visit.leave_s), **base)
    standing = w & (clerk.c.stance == "stand")
    if standing.any():
        k = int(np.flatnonzero(standing)[0])
        return rule_finding(rule, Verdict.MET, t0, t1, clerk.person, note="the clerk stood while the customer left",
                            evidence_t_s=float(clerk.t[k]), evidence_frame_index=int(clerk.c.frame_index[k]), **base)
    return rule_finding(rule, Verdict.MISSED, t0, t1, clerk.person,
                        note="the clerk stayed seated while the customer left",
                        evidence_t_s=visit.leave_s, evidence_frame_index=clerk.frame_at(visit.leave_s), **base)


def _posture_series(c: ClerkSeries, name: str) -> tuple[np.ndarray, np.ndarray]:
    """The named series and the mask of samples where it may be read."""
    values = np.asarray(getattr(c, name), dtype=float)
    ok = c.visible.copy()
    if name in ("flexion_deg", "counter_lean_deg"):
        ok &= c.flexion_assessable
    if name in ("abs_lateral_deg", "sway_deg"):
        ok &= c.lateral_assessable
    return values, ok


_UNSEEN = {"counter_lean_deg": "it needs the calibration's counter_top zone (the counter top's image polygon), a "
                               "camera on the customers' side of the counter (seen over the clerk's shoulder, a hand "
                               "held above the top lines up with one resting on it) but not straight in front of the "
                               "clerk (there a hand on the top and one hanging behind the desk fall on the same "
                               "pixel: measurement.posture.counter_hand_min_view_deg) and the clerk's hands seen"}
"""Why a posture series could not be read, where the generic reason would mislead."""


def _posture_thresholds(rule: Rule) -> tuple[float, float]:
    """A posture rule's enter and exit thresholds (equal ones, a 0/1 series, made a hair apart)."""
    enter, exit_ = float(rule.value("enter")), float(rule.value("exit"))
    return enter, (enter - 1e-6 if enter == exit_ else exit_)


def posture_rule_intervals(rule: Rule, t_s: np.ndarray, values: np.ndarray, grading: GradingSettings) -> list:
    """The stretches (``events.Interval``, seconds) where ``values`` pass a posture rule's thresholds with its
    hysteresis and last its ``min_duration_s``, gaps up to ``grading.posture_max_gap_s`` bridged: what the review
    reports as violations, and what trainer mode lists as gestures to avoid."""
    enter, exit_ = _posture_thresholds(rule)
    return hysteresis_intervals(t_s, values, enter, exit_, float(rule.value("min_duration_s")),
                                max_gap_s=grading.posture_max_gap_s)


def _record_coverage(ctx: ClerkContext, rule: Rule, not_assessable_why: str | None = None) -> None:
    """For a rule that records its own coverage (:data:`SELF_COVERING`): the rule could be assessed for this clerk,
    or (``not_assessable_why``) why it could not — keyed by the rule id, with the clerk when the counter has
    several."""
    if not_assessable_why is None:
        if rule.id not in ctx.coverage.assessable_rules:
            ctx.coverage.assessable_rules.append(rule.id)
        return
    key = rule.id if ctx.clerk.person == "clerk" else f"{rule.id} ({ctx.clerk.person})"
    ctx.coverage.not_assessable_rules[key] = not_assessable_why


def grade_posture(rule: Rule, ctx: ClerkContext) -> list[Finding]:
    """Violations of a posture rule: stretches where the rule's series passes its thresholds (with hysteresis)."""
    clerk = ctx.clerk
    c = clerk.c
    name = rule.value("series")
    values, ok = _posture_series(c, name)
    stance = rule.value("stance")
    gate = ok & ((c.stance == stance) if stance != "any" else np.ones(len(c.t_s), bool))
    in_stance = (c.stance == stance) if stance != "any" else c.visible
    if not np.any(gate & np.isfinite(values)):
        why = ("the clerk was never seen " + ("standing" if stance == "stand" else "seated")) if not in_stance.any() \
            else _UNSEEN.get(name, "the body parts it needs are not visible from this camera")
        _record_coverage(ctx, rule, why)
        return []
    _record_coverage(ctx, rule)
    enter, exit_ = _posture_thresholds(rule)
    unit = rule.value("unit")
    out = []
    for iv in posture_rule_intervals(rule, c.t_s, np.where(gate, values, np.nan), ctx.grading):
        value = None if unit == "" else round(iv.peak_value, 3 if unit == "m" else 1)
        comp = "≥" if enter >= exit_ else "≤"
        thr = (f"{comp} {enter:g} {unit} for ≥ {float(rule.value('min_duration_s')):g} s" if unit
               else f"for ≥ {float(rule.value('min_duration_s')):g} s")
        out.append(rule_finding(rule, Verdict.VIOLATION, iv.start_s, iv.end_s, clerk.person, measured_value=value,
                                measured_unit=unit, threshold_text=thr, threshold_value=enter,
                                threshold_source=rule.source("enter"), evidence_t_s=iv.peak_t_s,
                                evidence_frame_index=clerk.frame_at(iv.peak_t_s),
                                note=f"held {iv.duration_s:.1f} s"))
    return out


def passed_by(rb: Rulebook, visit: Visit, recording_end_s: float) -> str | None:
    """Why a visit is a pass-by, None when it is not: the customer was within the near distance for less than
    ``pass_by_max_s`` and came no nearer than ``near_m - pass_by_margin_m`` (metres). The floor point of a walking
    person is uncertain by about that margin, so whether they came within the near distance at all cannot be told,
    and somebody walking past the counter has not come to it. A customer lost from view within the near distance
    counts with the time they were seen there, unless the recording (``recording_end_s``) ended within
    ``max_gap_s`` of it (then nobody can tell how long they would have stayed)."""
    if visit.arrive_s is None or visit.min_distance_m is None:
        return None
    end, lost = visit.leave_s, ""
    if end is None and visit.last_inside_s is not None \
            and recording_end_s - visit.last_inside_s >= rb.measure("customer", "max_gap_s"):
        end, lost = visit.last_inside_s, " (then lost from view)"
    if end is None:
        return None
    inside_s, margin = end - visit.arrive_s, rb.measure("customer", "pass_by_margin_m")
    if inside_s >= rb.measure("customer", "pass_by_max_s") or visit.min_distance_m <= rb.near_m - margin:
        return None
    return (f"the customer passed by: within {rb.near_m:g} m for {inside_s:.1f} s{lost} and no nearer than "
            f"{visit.min_distance_m:.2f} m, inside the floor point's uncertainty ({margin:g} m) of the line: whether "
            "they came to the counter cannot be told")


def _per_visit(grader: Callable[[Rule, ClerkContext, Visit], Finding]) -> Callable[[Rule, ClerkContext], list[Finding]]:
    """A grader of one visit made a grader of every visit to the clerk's station (a pass-by, ``Visit.pass_by``, is
    not assessable: these rules grade the clerk's response to a customer coming to the counter)."""
    def grade_visits(rule: Rule, ctx: ClerkContext) -> list[Finding]:
        out = []
        for v in ctx.visits:
            end = v.leave_s if v.leave_s is not None else v.last_inside_s
            out.append(grader(rule, ctx, v) if v.pass_by is None else rule_finding(
                    rule, Verdict.NOT_ASSESSABLE, v.arrive_s, end, ctx.clerk.person, visit_id=v.visit_id,
                    note=v.pass_by, evidence_t_s=v.arrive_s, evidence_frame_index=ctx.clerk.frame_at(v.arrive_s)))
        return out
    grade_visits.__doc__ = grader.__doc__
    return grade_visits


def grade_violent_rise(rule: Rule, ctx: ClerkContext) -> list[Finding]:
    """Stand-ups whose 10–90 % rise time is shorter than the rule's limit."""
    limit = float(rule.value("min_rise_s"))
    return [rule_finding(rule, Verdict.VIOLATION, ch.t_s - ch.duration_s, ch.t_s, ctx.clerk.person,
                         measured_value=round(ch.duration_s, 2), measured_unit="s",
                         threshold_text=f"rise takes ≥ {limit:g} s", threshold_source=rule.source("min_rise_s"),
                         evidence_t_s=ch.t_s, evidence_frame_index=ctx.clerk.frame_at(ch.t_s))
            for ch in ctx.obs.stance_changes if ch.to_state == "stand" and ch.duration_s < limit]


def grade_absent(rule: Rule, ctx: ClerkContext) -> list[Finding]:
    """Stretches the clerk was unseen for at least the rule's limit while a customer was near the counter."""
    clerk, approaches = ctx.clerk, ctx.approaches
    limit = float(rule.value("min_absent_s"))
    c = clerk.c
    out = []
    gone = np.where(c.visible, 0.0, 1.0)
    for iv in hysteresis_intervals(c.t_s, gone, 0.5, 0.5 - 1e-6, limit, max_gap_s=np.inf):
        waiting = [a for a in approaches if a.first_inside_s <= iv.end_s and a.last_inside_s >= iv.start_s]
        if not waiting:
            continue
        away = ctx.out_of_view_at(iv.start_s + iv.duration_s / 2)
        if away:
            out.append(rule_finding(rule, Verdict.NOT_ASSESSABLE, iv.start_s, iv.end_s, clerk.person, note=away,
                                    evidence_t_s=iv.start_s, evidence_frame_index=clerk.frame_at(iv.start_s)))
            continue
        out.append(rule_finding(rule, Verdict.VIOLATION, iv.start_s, iv.end_s, clerk.person,
                                measured_value=round(iv.duration_s, 1), measured_unit="s",
                                threshold_text=f"absent ≥ {limit:g} s while a customer is within {ctx.rb.near_m:g} m",
                                threshold_value=limit, threshold_source=rule.source("min_absent_s"),
                                evidence_t_s=iv.start_s + iv.duration_s / 2,
                                evidence_frame_index=clerk.frame_at(iv.start_s + iv.duration_s / 2),
                                note=f"customer(s) waiting: {', '.join(f'#{a.track_id}' for a in waiting)}"))
    return out


def grade_running(rule: Rule, ctx: ClerkContext) -> list[Finding]:
    """Stretches where the clerk crossed the floor faster than the rule's speed (m/s), sustained over its
    ``min_duration_s`` (the speed of a straight-line fit over that window, :mod:`..posture.walking`); the rule is
    not assessable for a clerk whose floor path was never measured over a whole window."""
    limit, window = float(rule.value("speed_m_s")), float(rule.value("min_duration_s"))
    path = ctx.obs.path
    speed, until = (sustained_speed_m_s(path, window) if path is not None and len(path)
                    else (np.zeros(0), np.zeros(0)))
    measured = np.isfinite(speed)
    if not measured.any():
        _record_coverage(ctx, rule, f"the clerk's floor position was never measured over {window:g} s in a row")
        return []
    _record_coverage(ctx, rule)
    out = []
    for a, b, v, i in faster_than(path, speed, until, limit):
        mid = 0.5 * (path.t_s[i] + until[i])
        out.append(rule_finding(rule, Verdict.VIOLATION, a, b, ctx.clerk.person, measured_value=round(v, 2),
                                measured_unit="m/s", threshold_text=f"≤ {limit:g} m/s over {window:g} s",
                                threshold_value=limit, threshold_source=rule.source("speed_m_s"),
                                evidence_t_s=float(mid), evidence_frame_index=ctx.clerk.frame_at(float(mid)),
                                note=f"fastest {v:.1f} m/s over {path.t_s[i]:.1f}–{until[i]:.1f} s (the clerk, "
                                     f"tracked there as person #{path.track_id[i]})"))
    return out


def grade_handling(rule: Rule, visits: list[Visit]) -> list[Finding]:
    """Each visit's handling time against the limit of the counter's business (DB 表2)."""
    limit_key = f"{rule.value('business')}_s"
    limit = float(rule.value(limit_key))
    out = []
    for v in visits:
        if v.handling_s is None or v.pass_by is not None:   # a pass-by is no transaction
            continue
        verdict = Verdict.MET if v.handling_s <= limit else Verdict.VIOLATION
        out.append(rule_finding(rule, verdict, v.arrive_s, v.leave_s, v.customer, visit_id=v.visit_id,
                                measured_value=round(v.handling_s, 1), measured_unit="s",
                                threshold_text=f"≤ {limit / 60:g} min", threshold_value=limit,
                                threshold_source=rule.source(limit_key)))
    return out


Grader = Callable[[Rule, ClerkContext], list[Finding]]

#: Clerk rules by kind: each is graded for the clerk of every station.
CLERK_GRADERS: dict[str, Grader] = {
    "stand_greet": _per_visit(_stand_greet),
    "stand_send_off": _per_visit(_send_off),
    "bow_expected": _per_visit(bow_expected),
    "bow_graded": grade_bow_graded,
    "posture": grade_posture,
    "violent_rise": grade_violent_rise,
    "absent": grade_absent,
    "running": grade_running,
}
#: Rules graded once per visit, whoever the clerk.
VISIT_GRADERS: dict[str, Callable[[Rule, list[Visit]], list[Finding]]] = {"handling_time": grade_handling}
#: Rules this version cannot grade, with why.
UNGRADED: dict[str, str] = {}
#: Rules graded by a later stage, not by :func:`.grading.grade` (which leaves them out of its coverage): kind → the
#: stage that grades them and records whether they could be assessed.
GRADED_LATER: dict[str, str] = {
    "counter_clutter": "scene",      # the video's pixels against a clean reference (etiquette_cv.scene)
    "floor_debris": "scene",
    "lighting": "scene",
    "staff_in_waiting": "scene",     # from the tracks' roles, run with the scene checks
    "waiting_time": "service_times",  # DB 表2 averages from the tracks or a queue-ticket export
}
SELF_COVERING = frozenset({"posture", "running"})
"""Kinds whose grader records itself whether the rule could be assessed (per series and stance)."""
