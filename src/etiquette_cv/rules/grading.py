"""Grading: one video's observations against the rulebook → findings, visits, timelines and series.

A rule that could not be assessed is reported as such (``not_assessable``) and never counted as compliance.
"""

from __future__ import annotations

import numpy as np

from ..events import Approach, state_intervals
from .findings import Coverage, Finding, ReviewResult, Series, StateInterval, Visit
from .context import ClerkContext, _Clerk, out_of_view_finding
from .graders import CLERK_GRADERS, GRADED_LATER, SELF_COVERING, UNGRADED, VISIT_GRADERS, passed_by
from .observations import ClerkObservations, Observations
from .rulebook import Rulebook

MAX_SAMPLE_S = 1.0
"""A sample stands for the time to the next one up to this long (s): beyond it the person was not being watched
(the adaptive rate's slowest pace is well below it)."""
NO_CLERK = ("no clerk was graded: the calibration names no clerk station (or there is no calibration, and the clerk "
            "rules need the floor)")


def build_visits(approaches: list[Approach], rb: Rulebook | None = None,
                 recording_end_s: float | None = None) -> list[Visit]:
    """One visit per approach within the near distance, numbered in order of time; with a rulebook, the pass-bys
    among them marked (:func:`~.graders.passed_by`; ``recording_end_s``: when the recording ends, seconds)."""
    ordered = sorted(approaches, key=lambda a: a.arrive_s if a.arrive_s is not None else a.first_inside_s)
    visits = [Visit(i + 1, f"customer#{a.track_id}", a.arrive_s, a.leave_s, at_counter_s=a.first_inside_s,
                    station=a.station, left_view=a.left_view, min_distance_m=float(a.min_distance_m),
                    last_inside_s=float(a.last_inside_s))
              for i, a in enumerate(ordered)]
    if rb is not None:
        for v in visits:
            v.pass_by = passed_by(rb, v, recording_end_s if recording_end_s is not None else np.inf)
    return visits


def _grade_clerk(rule, rb: Rulebook, co: ClerkObservations, visits: list[Visit], approaches: list[Approach],
                 absent_after_s: float, coverage: Coverage) -> list[Finding]:
    """The findings of one clerk rule for the clerk of one station (one not-assessable finding over the whole video
    when the station is outside the camera's view)."""
    if co.out_of_view is not None:
        end = float(co.series.t_s[-1]) if len(co.series.t_s) else 0.0
        return [out_of_view_finding(rule, co.person, end, f"station {co.station}: {co.out_of_view}")]
    grading = rb.grading_settings()
    ctx = ClerkContext(rb, _Clerk(co.series, co.person, grading.state_lookback_s), co,
                       [v for v in visits if v.station == co.station],
                       [a for a in approaches if a.station == co.station], coverage, grading, absent_after_s)
    return CLERK_GRADERS[rule.kind](rule, ctx)


def grade(obs: Observations, rb: Rulebook) -> ReviewResult:
    """Grade one video's observations against the rulebook: every clerk rule for the clerk of each station (with
    the visits made to that station), the visit rules once per visit. Rules of the kinds in
    :data:`~.graders.GRADED_LATER` are left to their stage (the scene checks, the service times)."""
    coverage = Coverage()
    findings: list[Finding] = []
    visits = build_visits(obs.approaches, rb, obs.duration_s)
    absent_rules = rb.of_kind("absent")
    absent_after = (float(absent_rules[0].value("min_absent_s")) if absent_rules
                    else rb.grading_settings().absent_after_s)
    for rule in rb.rules:
        if rule.kind in GRADED_LATER:
            continue
        if rule.kind in VISIT_GRADERS:
            findings += VISIT_GRADERS[rule.kind](rule, visits)
        elif rule.kind in UNGRADED:
            coverage.not_assessable_rules[rule.id] = UNGRADED[rule.kind]
            continue
        elif not obs.clerks:
            coverage.not_assessable_rules[rule.id] = NO_CLERK
            continue
        else:
            for co in obs.clerks:
                findings += _grade_clerk(rule, rb, co, visits, obs.approaches, absent_after, coverage)
            if rule.kind in SELF_COVERING:
                continue
        coverage.assessable_rules.append(rule.id)
    coverage.not_assessable_rules.update(obs.extra_not_assessable)
    coverage.assessable_rules = [r for r in coverage.assessable_rules if r not in coverage.not_assessable_rules]
    _visible_times(obs, coverage)
    findings.sort(key=lambda f: (f.start_s, f.rule_id))
    bows = [(b, co.person) for co in obs.clerks for b in co.bends if b.kind == "bow"]
    return ReviewResult(
        source=obs.source, duration_s=obs.duration_s, analysed_frames=obs.analysed_frames,
        image_width=obs.image_width, image_height=obs.image_height, findings=findings, visits=visits,
        states=_states(obs, rb.near_m), series=_series(obs),
        bow_peaks=[(b.peak_t_s, b.peak_deg, rb.classify_bow(b.peak_deg).name if rb.classify_bow(b.peak_deg)
                    else "none", person) for b, person in bows],
        coverage=coverage, rulebook_name=rb.name, rulebook_version=rb.version, near_m=rb.near_m, problem=obs.problem,
    )


def sample_durations_s(t_s: np.ndarray) -> np.ndarray:
    """How long each sample of a series stands for (s): the time to the next sample, at most
    :data:`MAX_SAMPLE_S` (a gap is not time seen), the last sample as long as the one before. An adaptive analysis
    rate mixes intervals; each sample counts its own."""
    t = np.asarray(t_s, dtype=float)
    if len(t) < 2:
        return np.zeros(len(t))
    d = np.diff(t)
    return np.minimum(np.append(d, d[-1]), MAX_SAMPLE_S)


def _visible_times(obs: Observations, coverage: Coverage) -> None:
    """How long (seconds) each clerk and customer was seen."""
    for co in obs.clerks:
        coverage.visible_s[co.person] = float(sample_durations_s(co.series.t_s)[co.series.visible].sum())
    for cs in obs.customers:
        coverage.visible_s[f"customer#{cs.track_id}"] = float(sample_durations_s(cs.t_s).sum())


def _states(obs: Observations, near_m: float) -> list[StateInterval]:
    out = []
    for co in obs.clerks:
        c = co.series
        labels = np.where(c.visible, c.stance, "absent").astype(object)
        labels[(labels == "")] = "unknown"
        out += [StateInterval(co.person, s, a, b) for s, a, b in state_intervals(c.t_s, labels)]
        out += [StateInterval(co.person, "bow", b.start_s, b.end_s) for b in co.bends if b.kind == "bow"]
    for cs in obs.customers:
        near = np.where(np.isfinite(cs.distance_m), np.where(cs.distance_m < near_m, "near", "visible"), "visible")
        out += [StateInterval(f"customer#{cs.track_id}", s, a, b) for s, a, b in state_intervals(cs.t_s, near)]
    return out


def trunk_series_name(person: str) -> str:
    """Name of a clerk's trunk-flexion series: ``trunk_flexion_deg`` for the only clerk, else with the person."""
    return "trunk_flexion_deg" if person == "clerk" else f"trunk_flexion_deg:{person}"


def _series(obs: Observations) -> list[Series]:
    out = []
    for co in obs.clerks:
        c = co.series
        suffix = "" if co.person == "clerk" else f":{co.person}"
        out += [Series(trunk_series_name(co.person), "deg", c.t_s, c.flexion_deg),
                Series(f"shoulder_height_m{suffix}", "m", c.t_s, c.shoulder_height_m)]
    for cs in obs.customers:
        out.append(Series(f"distance_m:customer#{cs.track_id}", "m", cs.t_s, cs.distance_m))
    return out
