"""Customers' stays at the counter, from the people the scene checks see.

What a customer hands over is laid on the counter top and taken back before they leave: a document, a card, a pen
to sign with. CC 通用规范㈡10 forbids things unrelated to work on the counter, so an object that appears during one
customer's stay at the counter and is gone by the time that customer leaves (give or take ``grace_s``) is that
transaction's, not clutter; an object still there when they have left, or at the last check, is judged as
clutter. Stays are kept per track id: one customer leaving and the next arriving are two stays.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..core import PersonPose
from ..geometry.polyline import distance_to_polyline_m


@dataclass
class CounterStays:
    """Each customer track's spans (seconds) within ``near_m`` of the counter edge, gaps up to ``grace_s``
    bridged (a few unplaced frames do not end a stay)."""

    edge_m: np.ndarray
    customer_side: int
    near_m: float
    grace_s: float
    spans: dict[int, list[list[float]]] = field(default_factory=dict)

    def add(self, t_s: float, persons: list[PersonPose]) -> None:
        """The customers seen at time ``t_s`` (s): those placed within ``near_m`` of the counter extend their stay."""
        for p in persons:
            if p.role != "customer" or p.floor_xy_m is None:
                continue
            d = float(distance_to_polyline_m(np.asarray(p.floor_xy_m, float), self.edge_m, self.customer_side))
            if d > self.near_m:
                continue
            spans = self.spans.setdefault(p.track_id, [])
            if spans and t_s - spans[-1][1] <= self.grace_s:
                spans[-1][1] = t_s
            else:
                spans.append([t_s, t_s])

    def stay_holding(self, first_s: float, last_s: float) -> tuple[int, float, float] | None:
        """(track id, start s, end s) of a customer's stay during which something was seen from ``first_s`` to
        ``last_s`` (s) came and went: it appeared after the stay began and was gone by its end (each give or take
        ``grace_s``); None when no stay holds it."""
        for tid, spans in self.spans.items():
            for start, end in spans:
                if start - self.grace_s <= first_s and last_s <= end + self.grace_s:
                    return tid, start, end
        return None
