"""What the event store holds: one row per visit, finding, state change, coverage span or coverage gap.

A stored event is the review's result made absolute (seconds since the Unix epoch, UTC) and keyed so that writing
the same event twice stores it once: the key is built from what identifies the occasion (branch, camera, kind,
rule, person, start to the millisecond), never from a row counter. The store holds no images and no face crops:
an evidence keyframe is referred to by its path only.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field, replace
from typing import Any

from ..rules.findings import ReviewResult

KINDS = ("visit", "finding", "state", "coverage", "gap")
"""``visit``: one transaction; ``finding``: one graded occasion; ``state``: one person's stretch in one state
(sit, stand, absent…); ``coverage``: a span of time that was analysed; ``gap``: a span that was not (stream down,
decoder restarted, frames dropped) — never counted as compliance."""


class StoreError(Exception):
    """A store that cannot be opened, or an event that cannot be stored; the message is one line."""


@dataclass(frozen=True)
class StoredEvent:
    """One row of the event store. Times are seconds since the Unix epoch (UTC)."""

    branch: str
    camera: str
    kind: str
    start_epoch_s: float
    end_epoch_s: float | None = None
    station: str | None = None
    person: str | None = None
    rule_id: str | None = None
    verdict: str | None = None
    severity: str | None = None
    value: float | None = None
    unit: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    """Everything else worth keeping (threshold, clause, note, evidence path…), JSON-serialisable."""
    key: str = ""
    """Idempotency key; filled from the identifying fields when left empty."""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise StoreError(f"unknown event kind {self.kind!r} (expected one of {', '.join(KINDS)})")
        if not self.branch or not self.camera:
            raise StoreError("an event needs a branch and a camera name")
        if not math.isfinite(self.start_epoch_s):
            raise StoreError(f"{self.kind} event without a finite start time")
        if self.end_epoch_s is not None and self.end_epoch_s < self.start_epoch_s:
            raise StoreError(f"{self.kind} event ends before it starts ({self.end_epoch_s} < {self.start_epoch_s})")
        try:
            json.dumps(self.payload, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise StoreError(f"{self.kind} event payload is not plain JSON: {exc}") from None
        for name, value in self.payload.items():   # privacy: images (face crops, keyframes) stay out of the store
            if isinstance(value, str) and value[:5].lower() == "data:":
                raise StoreError(f"{self.kind} event payload {name!r} holds inline data: the store keeps no "
                                 "images, only paths")
        if not self.key:
            object.__setattr__(self, "key", event_key(self.branch, self.camera, self.kind, self.rule_id, self.person,
                                                      self.start_epoch_s))

    @property
    def duration_s(self) -> float:
        """Length in seconds (0 for an instant)."""
        return 0.0 if self.end_epoch_s is None else self.end_epoch_s - self.start_epoch_s


def event_key(branch: str, camera: str, kind: str, rule_id: str | None, person: str | None,
              start_epoch_s: float) -> str:
    """The idempotency key of an occasion: a hash of what identifies it, the start rounded to the millisecond."""
    text = "\x1f".join([branch, camera, kind, rule_id or "", person or "", f"{round(start_epoch_s * 1000)}"])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def events_from_review(result: ReviewResult, *, branch: str, camera: str, origin_epoch_s: float,
                       own_from_s: float = -math.inf, own_to_s: float = math.inf) -> list[StoredEvent]:
    """The review's findings, visits and state stretches as stored events. ``origin_epoch_s`` is the wall-clock
    time of the review's t = 0. Only occasions that start in ``[own_from_s, own_to_s)`` (review seconds) are kept:
    a windowed live run grades overlapping windows and each occasion belongs to the window where it starts; state
    stretches are cut to that range instead (each window stores its own seconds of them)."""
    def own(t: float | None) -> bool:
        return t is not None and own_from_s <= t < own_to_s

    out: list[StoredEvent] = []
    for f in result.findings:
        if not own(f.start_s):
            continue
        out.append(StoredEvent(
            branch=branch, camera=camera, kind="finding", start_epoch_s=origin_epoch_s + f.start_s,
            end_epoch_s=origin_epoch_s + max(f.end_s, f.start_s), station=_station_of(f.person),
            person=f.person, rule_id=f.rule_id, verdict=f.verdict.value, severity=f.severity.value,
            value=_finite(f.measured_value), unit=f.measured_unit,
            payload={"clause": f.clause, "title_en": f.title_en, "title_zh": f.title_zh, "rule_kind": f.rule_kind,
                     "threshold": f.threshold_text, "threshold_value": _finite(f.threshold_value),
                     "threshold_source": f.threshold_source, "uncertainty": _finite(f.measured_uncertainty),
                     "note": f.note, "evidence_image": f.evidence_image, "evidence_t_s": _finite(f.evidence_t_s)}))
    for v in result.visits:
        start = v.arrive_s if v.arrive_s is not None else v.at_counter_s
        if not own(start):
            continue
        out.append(StoredEvent(
            branch=branch, camera=camera, kind="visit", start_epoch_s=origin_epoch_s + start,
            end_epoch_s=None if v.leave_s is None else origin_epoch_s + max(v.leave_s, start),
            station=v.station, person=v.customer, value=_finite(v.handling_s), unit="s",
            payload={"wait_s": _finite(v.wait_s), "at_counter_s": _finite(v.at_counter_s),
                     "left_view": bool(v.left_view), "pass_by": v.pass_by}))
    for s in result.states:
        # state stretches tile time: a window stores the part of each inside its own range, so overlapping windows
        # (and a killed window re-graded on restart) that see a stance change at slightly different times never
        # store the same seconds twice
        start, end = max(s.start_s, own_from_s), min(max(s.end_s, s.start_s), own_to_s)
        if not (end > start or (end == start and own(start))):
            continue
        out.append(StoredEvent(
            branch=branch, camera=camera, kind="state", start_epoch_s=origin_epoch_s + start,
            end_epoch_s=origin_epoch_s + end, station=_station_of(s.person), person=s.person,
            rule_id=f"state:{s.state}", verdict=s.state))
    return _distinct_keys(out)


def _distinct_keys(events: list[StoredEvent]) -> list[StoredEvent]:
    """Two occasions of one review can share what identifies them (the waiting time's daily and peak averages: one
    rule, "all customers", t = 0); the second and later get the key of their rank among those (stable: a review
    lists its findings in a fixed order), so none is taken for a duplicate of the other."""
    seen: dict[str, int] = {}
    out = []
    for e in events:
        n = seen.get(e.key, 0)
        seen[e.key] = n + 1
        if n:
            e = replace(e, key=hashlib.sha256(f"{e.key}\x1f#{n}".encode()).hexdigest()[:32])
        out.append(e)
    return out


def span_event(kind: str, *, branch: str, camera: str, start_epoch_s: float, end_epoch_s: float,
               reason: str = "", **payload: Any) -> StoredEvent:
    """A ``coverage`` (analysed) or ``gap`` (not analysed, with its reason) span of one camera's time."""
    if kind not in ("coverage", "gap"):
        raise StoreError(f"a span is coverage or gap, not {kind!r}")
    return StoredEvent(branch=branch, camera=camera, kind=kind, start_epoch_s=start_epoch_s,
                       end_epoch_s=end_epoch_s, value=end_epoch_s - start_epoch_s, unit="s",
                       payload={"reason": reason, **payload})


def _station_of(person: str | None) -> str | None:
    """``clerk@A`` → ``A``; None for the only clerk and for customers."""
    if person and person.startswith("clerk@"):
        return person.split("@", 1)[1]
    return None
