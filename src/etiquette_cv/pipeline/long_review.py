"""Grading a long file in bounded memory: its tracks streamed and graded window by window, as ``watch`` grades a
camera (:mod:`.windows`: each window analysed with its margins, owning the occasions that start in its range), the
windows' results merged into the one :class:`~..rules.findings.ReviewResult` the whole file's grading gives.

What needs the whole day is kept compactly while the frames stream by: the customers' floor points (waiting times,
:class:`~..service_times.FloorTracks`), the staff's stays in the waiting zone, and the frames the owned findings
take their evidence from. Memory is one window of pose frames plus a few numbers per frame; times are seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import numpy as np

from ..core import FramePoses
from ..geometry.calibration import Calibration
from ..geometry.camera import CameraModel
from ..rules.findings import ReviewResult, Series, StateInterval, Visit
from ..rules.grading import grade, sample_durations_s
from ..rules.observations import Observations
from ..rules.rulebook import Rulebook
from ..scene.hall import StaffStays
from ..service_times import FloorTracks
from .analysis import analyse
from .windows import WindowBuffer, WindowCut, WindowSettings, open_visit_start_s

LONG_REVIEW_WINDOWS = 2
"""A file whose tracks last more than this many windows is graded window by window (shorter ones at once)."""


@dataclass
class StreamedGrading:
    """A streamed file's grading: the merged result and what the later stages need of the whole stream."""

    result: ReviewResult
    floor: FloorTracks
    """The customers' floor points (service times)."""
    staff: StaffStays
    """Staff members' stays in the waiting zone (the scene's staff rule)."""
    evidence: dict[int, FramePoses]
    """The frames (by index) the findings take their evidence from (keyframes)."""
    windows: int = 0
    first_s: float = 0.0
    last_s: float = 0.0


@dataclass
class _Merge:
    """The windows' owned parts, accumulated in time order."""

    result: ReviewResult | None = None
    series: dict[str, tuple[str, list[np.ndarray], list[np.ndarray]]] = field(default_factory=dict)
    """Series name → (unit, time chunks, value chunks)."""
    not_assessable: dict[str, tuple[int, str]] = field(default_factory=dict)
    """Rule (or rule and clerk) → in how many windows it could not be assessed, and the first window's reason."""


def grade_in_windows(frames: Iterable[FramePoses], cal: Calibration, camera: CameraModel, rb: Rulebook, name: str,
                     settings: WindowSettings | None = None) -> StreamedGrading:
    """Posture, events and rules of time-ordered pose frames (any iterable, read once), window by window; the
    findings, visits (numbered anew in order), timelines, series, bow peaks and coverage of each window's owned
    range merged. Scene checks and service times are left to the caller (with :attr:`StreamedGrading.floor` and
    :attr:`~StreamedGrading.staff`)."""
    settings = settings or WindowSettings()
    out = StreamedGrading(ReviewResult(name, 0.0, 0, cal.image_width, cal.image_height), FloorTracks(),
                          StaffStays(), {})
    merge = _Merge()
    buffer: WindowBuffer | None = None
    count = 0
    for f in frames:
        if buffer is None:
            out.first_s = f.timestamp_s
            buffer = WindowBuffer(settings, settings.window_end_epoch_s(f.timestamp_s))
        elif f.timestamp_s >= buffer.end_s:
            next_end = settings.window_end_epoch_s(max(f.timestamp_s, buffer.end_s))
            open_start = open_visit_start_s(list(buffer.frames), cal, camera, rb)
            _grade_window(buffer.close(False, next_end, open_start), cal, camera, rb, name, merge, out)
        buffer.add(f)
        out.floor.add(f)
        out.staff.add(f)
        count += 1
        out.last_s = f.timestamp_s
    if buffer is not None:
        _grade_window(buffer.close(True), cal, camera, rb, name, merge, out)
    _finish(merge, out, count)
    return out


def _grade_window(cut: WindowCut, cal: Calibration, camera: CameraModel, rb: Rulebook, name: str, merge: _Merge,
                  out: StreamedGrading) -> None:
    """Grade one window's frames and add what it owns to ``merge``; keep its owned findings' evidence frames."""
    if cut.own_to_s <= cut.own_from_s:  # a visit still open holds this window back: a later one owns it all
        return
    if not cut.frames:
        return
    out.windows += 1
    duration = cut.frames[-1].timestamp_s - cut.frames[0].timestamp_s
    obs = analyse(cut.frames, cal, camera, rb, name, duration)
    part = grade(obs, rb)
    owned = _owned_part(part, cut, merge.result.visits if merge.result is not None else [])
    if merge.result is None:
        merge.result = owned
    else:
        merge.result.findings += owned.findings
        merge.result.visits += owned.visits
        merge.result.bow_peaks += owned.bow_peaks
        merge.result.states = _join_states(merge.result.states, owned.states)
        _merge_coverage(merge, owned)
    for k, why in part.coverage.not_assessable_rules.items():
        n, first = merge.not_assessable.get(k, (0, why))
        merge.not_assessable[k] = (n + 1, first)
    _add_series(merge, part.series, cut)
    _add_visible(merge.result, obs, cut)
    wanted = {f.evidence_frame_index for f in owned.findings if f.evidence_frame_index is not None}
    out.evidence.update({f.frame_index: f for f in cut.frames if f.frame_index in wanted})


def _owned_part(part: ReviewResult, cut: WindowCut, earlier: list[Visit]) -> ReviewResult:
    """What of a window's result is its own: visits arriving in its range (renumbered after ``earlier``), their
    findings, the other findings starting in it, bow peaks in it, and the timeline clipped to it."""
    def key(v: Visit) -> float:
        return v.arrive_s if v.arrive_s is not None else v.at_counter_s if v.at_counter_s is not None else -np.inf

    visits = [v for v in part.visits if cut.owns(key(v))]
    renumber = {v.visit_id: len(earlier) + k + 1 for k, v in enumerate(visits)}
    for v in visits:
        v.visit_id = renumber[v.visit_id]
    findings = []
    for f in part.findings:
        if f.visit_id is not None:
            if f.visit_id not in renumber:
                continue
            f.visit_id = renumber[f.visit_id]
        elif not cut.owns(f.start_s):
            continue
        findings.append(f)
    states = [StateInterval(s.person, s.state, max(s.start_s, cut.own_from_s), min(s.end_s, cut.own_to_s))
              for s in part.states if s.start_s < cut.own_to_s and (s.end_s > cut.own_from_s
                                                                    or s.start_s >= cut.own_from_s)]
    coverage = part.coverage
    coverage.visible_s = {}
    return ReviewResult(part.source, 0.0, 0, part.image_width, part.image_height, findings=findings, visits=visits,
                        states=states,
                        bow_peaks=[b for b in part.bow_peaks if cut.owns(b[0])], coverage=coverage,
                        rulebook_name=part.rulebook_name, rulebook_version=part.rulebook_version, near_m=part.near_m)


def _join_states(before: list[StateInterval], after: list[StateInterval]) -> list[StateInterval]:
    """The timeline of two windows: a person's state that runs on across the boundary becomes one interval."""
    open_at: dict[tuple[str, str], StateInterval] = {(s.person, s.state): s for s in before}
    out = list(before)
    for s in after:
        prev = open_at.get((s.person, s.state))
        if prev is not None and abs(prev.end_s - s.start_s) < 1e-9:
            prev.end_s = s.end_s
            continue
        out.append(s)
        open_at[(s.person, s.state)] = s
    return out


def _merge_coverage(merge: _Merge, owned: ReviewResult) -> None:
    """Rules assessable in any window are assessable."""
    rules = merge.result.coverage.assessable_rules
    rules += [r for r in owned.coverage.assessable_rules if r not in rules]


def _add_series(merge: _Merge, series: list[Series], cut: WindowCut) -> None:
    """Each series' samples in the window's owned range, appended to the same series of earlier windows."""
    for s in series:
        keep = (s.t_s >= cut.own_from_s) & (s.t_s < cut.own_to_s)
        unit, ts, vs = merge.series.setdefault(s.name, (s.unit, [], []))
        ts.append(s.t_s[keep])
        vs.append(s.values[keep])


def _add_visible(result: ReviewResult, obs: Observations, cut: WindowCut) -> None:
    """Add how long (s) each clerk and customer was seen in the window's owned range."""
    seen = result.coverage.visible_s
    for co in obs.clerks:
        t = co.series.t_s
        mine = co.series.visible & (t >= cut.own_from_s) & (t < cut.own_to_s)
        seen[co.person] = seen.get(co.person, 0.0) + float(sample_durations_s(t)[mine].sum())
    for cs in obs.customers:
        mine = (cs.t_s >= cut.own_from_s) & (cs.t_s < cut.own_to_s)
        if mine.any():
            key = f"customer#{cs.track_id}"
            seen[key] = seen.get(key, 0.0) + float(sample_durations_s(cs.t_s)[mine].sum())


def _finish(merge: _Merge, out: StreamedGrading, count: int) -> None:
    """The merged result: series joined, coverage settled, frame count and duration of the whole stream."""
    if merge.result is None:
        return
    result = merge.result
    result.series = [Series(n, unit, np.concatenate(ts), np.concatenate(vs))
                     for n, (unit, ts, vs) in merge.series.items()]
    rules = result.coverage.assessable_rules   # not assessable: in no window (as over the whole file)
    result.coverage.not_assessable_rules = {k: why for k, (n, why) in merge.not_assessable.items()
                                            if n == out.windows and k not in rules}
    result.findings.sort(key=lambda f: (f.start_s, f.rule_id))
    people = {p: k for k, p in enumerate(dict.fromkeys(s.person for s in result.states))}   # clerks, customers
    result.states.sort(key=lambda s: (people[s.person], s.state == "bow", s.start_s))
    result.analysed_frames = count
    result.duration_s = out.last_s - out.first_s if count > 1 else 0.0
    out.result = result
