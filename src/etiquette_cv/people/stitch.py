"""Joining one person's tracklets after the fact, for recordings without roles.

A track breaks when its person is lost for a while — a seated clerk seen head-only above the counter who stands up,
someone hidden behind another — and comes back under a new id. With a calibration the station ties the pieces
together (the clerk role); without one nothing does, and whoever is scored loses the steps after the break. A later
tracklet is joined to an earlier one when it starts soon after that one ended, near where it was last seen, and the
earlier one did not leave the view at a side of the image.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..core import FramePoses


@dataclass
class _Span:
    track_id: int
    first_t: float
    last_t: float
    first_x: float
    last_x: float
    left_view: bool


def _spans(frames: list[FramePoses], edge_frac: float, ends: int = 3) -> list[_Span]:
    """Each track's time span, the box-centre x (pixels) at its first and last ``ends`` sightings, and whether its
    last box touched a side of the image (within ``edge_frac`` of the width)."""
    seen: dict[int, list[tuple[float, float, float, float]]] = {}
    for f in frames:
        for p in f.persons:
            x0, _, x1, _ = p.bbox_px()
            seen.setdefault(p.track_id, []).append((f.timestamp_s, (x0 + x1) / 2, x0, x1))
    width = frames[-1].image_width if frames else 1
    spans = []
    for tid, rows in seen.items():
        a = np.array(rows)
        left = a[-1, 2] <= edge_frac * width or a[-1, 3] >= (1 - edge_frac) * width
        spans.append(_Span(tid, float(a[0, 0]), float(a[-1, 0]), float(np.median(a[:ends, 1])),
                           float(np.median(a[-ends:, 1])), bool(left)))
    return sorted(spans, key=lambda s: (s.first_t, s.track_id))


def join_tracklets(frames: list[FramePoses], max_gap_s: float, max_shift_frac: float, edge_frac: float = 0.02
                   ) -> tuple[list[FramePoses], dict[int, int]]:
    """The frames with later tracklets relabelled as the earlier one they continue, and the mapping (joined id →
    kept id). A tracklet continues another when it starts at most ``max_gap_s`` seconds after that one's last
    sighting (never overlapping it in time), its box centre within ``max_shift_frac`` of the image width of where
    that one was last seen, and that one did not end at a side of the image (it walked out of view). Chains follow
    (A, then B, then C keep A's id); of several candidates the one nearest in place and time is taken (shift over
    ``max_shift_frac`` of the width plus gap over ``max_gap_s``), so a one-frame ghost met during a person's deep
    bow does not take their continuation from them."""
    if not frames:
        return frames, {}
    width = frames[-1].image_width
    groups: list[_Span] = []          # each chain's kept id, with its latest tracklet's end
    mapping: dict[int, int] = {}
    for s in _spans(frames, edge_frac):
        fits = [g for g in groups if g.last_t < s.first_t <= g.last_t + max_gap_s and not g.left_view
                and abs(g.last_x - s.first_x) <= max_shift_frac * width]
        if not fits:
            groups.append(replace(s))
            continue
        g = min(fits, key=lambda c: (abs(c.last_x - s.first_x) / (max_shift_frac * width)
                                     + (s.first_t - c.last_t) / max_gap_s))
        mapping[s.track_id] = g.track_id
        g.last_t, g.last_x, g.left_view = s.last_t, s.last_x, s.left_view
    if not mapping:
        return frames, {}
    joined = [replace(f, persons=[replace(p, track_id=mapping.get(p.track_id, p.track_id)) for p in f.persons])
              for f in frames]
    return joined, mapping
