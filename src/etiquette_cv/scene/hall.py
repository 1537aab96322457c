"""Hall-wide checks: lighting per region and hour (people masked, medians over the hour), and staff members
occupying the customers' waiting area (from the tracks' roles)."""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from ..core import FramePoses
from ..rules.findings import Finding, Severity, Verdict
from ..rules.rulebook import Rule

MAX_TRACK_GAP_S = 2.0
"""A person unseen for longer than this in the waiting zone starts a new stay there."""


def scene_finding(rule: Rule, verdict: Verdict, start_s: float, end_s: float, person: str, **kw) -> Finding:
    """A finding of a scene or service-time rule."""
    return Finding(rule_id=rule.id, clause=rule.clause, wording_zh=rule.wording_zh, title_en=rule.title_en,
                   title_zh=rule.title_zh, verdict=verdict, severity=Severity(rule.severity), start_s=float(start_s),
                   end_s=float(end_s), person=person, rule_kind=rule.kind, **kw)


@dataclass(slots=True)
class LightSample:
    """One check's brightness of one region: median grey level (0-255) of the pixels nobody hid (slotted: a day
    has one per region and check, 170,000 in 8 hours)."""

    t_s: float
    frame_index: int
    region: str
    luma: float
    reference_luma: float | None


def region_luma(grey: np.ndarray, mask: np.ndarray) -> float | None:
    """Median grey level (0-255) under ``mask`` (None when fewer than 50 pixels)."""
    sel = grey[mask > 0]
    return float(np.median(sel)) if sel.size >= 50 else None


def lighting_findings(samples: list[LightSample], rule: Rule, t0_s: float) -> list[Finding]:
    """One finding per region and window (an hour by default): the window's median brightness against the
    absolute threshold and against the reference's level."""
    window = float(rule.value("window_s"))
    min_luma, min_ratio = float(rule.value("min_luma")), float(rule.value("min_ratio"))
    out = []
    keys = sorted({(int((s.t_s - t0_s) // window), s.region) for s in samples})
    for k, region in keys:
        group = [s for s in samples if s.region == region and int((s.t_s - t0_s) // window) == k]
        luma = float(np.median([s.luma for s in group]))
        refs = [s.reference_luma for s in group if s.reference_luma]
        ratio = luma / float(np.median(refs)) if refs else None
        dim = luma < min_luma or (ratio is not None and ratio < min_ratio)
        mid = group[len(group) // 2]
        ratio_text = f", {ratio:.2f} of the reference" if ratio is not None else ""
        out.append(scene_finding(
            rule, Verdict.VIOLATION if dim else Verdict.MET, group[0].t_s, group[-1].t_s, f"hall:{region}",
            measured_value=round(luma, 1), measured_unit="grey level 0-255",
            threshold_text=f"median grey level ≥ {min_luma:g} and ≥ {min_ratio:g} × reference",
            threshold_value=min_luma, threshold_source=rule.source("min_luma"),
            evidence_t_s=mid.t_s, evidence_frame_index=mid.frame_index,
            note=f"hour {k + 1} of the recording, region {region}: median grey level {luma:.0f}{ratio_text} "
                 f"over {len(group)} checks"))
    return out


@dataclass
class StaffStay:
    """A staff member's stay in the waiting zone."""

    track_id: int
    start_s: float
    end_s: float
    frame_index: int
    """A frame in the middle of the stay (evidence)."""


class StaffStays:
    """Stays in the waiting zone (role ``waiting``) of tracks that were a clerk at some time (staff), from frames
    handed to :meth:`add` in time order: every track's waiting samples are kept compactly (time, frame index) until
    the end shows whether it was ever a clerk."""

    def __init__(self) -> None:
        self.staff: set[int] = set()
        self._seen: dict[int, tuple[array, array]] = {}

    def add(self, frame: FramePoses) -> None:
        """One frame's people."""
        for p in frame.persons:
            if p.role == "clerk":
                self.staff.add(p.track_id)
            elif p.role == "waiting":
                t, idx = self._seen.setdefault(p.track_id, (array("d"), array("q")))
                t.append(frame.timestamp_s)
                idx.append(frame.frame_index)

    def stays(self) -> list[StaffStay]:
        """The staff members' stays so far, in order of start."""
        out = []
        for tid, (t, idx) in self._seen.items():
            if tid not in self.staff:
                continue
            start = 0
            for k in range(1, len(t) + 1):
                if k == len(t) or t[k] - t[k - 1] > MAX_TRACK_GAP_S:
                    out.append(StaffStay(tid, t[start], t[k - 1], idx[(start + k - 1) // 2]))
                    start = k
        return sorted(out, key=lambda s: s.start_s)


def staff_stays(frames: Iterable[FramePoses]) -> list[StaffStay]:
    """Stays in the waiting zone (role ``waiting``) of tracks that were a clerk at some time (staff)."""
    collector = StaffStays()
    for f in frames:
        collector.add(f)
    return collector.stays()


def staff_findings(frames: list[FramePoses], rule: Rule, stays: list[StaffStay] | None = None,
                   span_s: tuple[float, float] | None = None) -> list[Finding]:
    """A violation per staff stay in the waiting zone longer than the allowance; one MET finding when none. The
    stays and the time span (first, last frame, s) are those of ``frames`` unless given (a streamed review)."""
    allowance = float(rule.value("allowance_s"))
    stays = staff_stays(frames) if stays is None else stays
    if span_s is None and frames:
        span_s = (frames[0].timestamp_s, frames[-1].timestamp_s)
    out = []
    for stay in stays:
        if stay.end_s - stay.start_s < allowance:
            continue
        mid = (stay.start_s + stay.end_s) / 2
        out.append(scene_finding(rule, Verdict.VIOLATION, stay.start_s, stay.end_s, f"staff#{stay.track_id}",
                                 measured_value=round(stay.end_s - stay.start_s, 1), measured_unit="s",
                                 threshold_text=f"≤ {allowance:g} s in the waiting area", threshold_value=allowance,
                                 threshold_source=rule.source("allowance_s"), evidence_t_s=mid,
                                 evidence_frame_index=stay.frame_index,
                                 note="a person tracked as a clerk behind the counter stayed in the waiting zone"))
    if not out and span_s is not None:
        out.append(scene_finding(rule, Verdict.MET, span_s[0], span_s[1], "staff",
                                 threshold_text=f"≤ {allowance:g} s in the waiting area", threshold_value=allowance,
                                 threshold_source=rule.source("allowance_s"),
                                 note="no staff member stayed in the waiting zone longer than the allowance"))
    return out
