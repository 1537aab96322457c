"""What the rules consume: each clerk's posture series, stance changes and bends, and the customers' approaches."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..events import Approach, Bend
from ..posture.clerk import ClerkSeries
from ..posture.customers import CustomerSeries
from ..posture.stance import StanceChange
from ..posture.walking import FloorPath


@dataclass
class ClerkObservations:
    """What the events stage produced for the clerk of one station."""

    station: str
    person: str
    """How findings name this clerk: ``clerk`` when the counter has one station, else ``clerk@<station>``."""
    series: ClerkSeries
    stance_changes: list[StanceChange]
    bends: list[Bend]
    out_of_view: str | None = None
    """Why the station's clerk cannot be seen from this camera (their rules are then not assessable), else None."""
    may_stand_out_of_view: str | None = None
    """Why a clerk standing up near the station may leave this camera's view (then a clerk last seen at the
    image's edge is out of view, not absent), else None."""
    seated_out_of_view: str | None = None
    """Why the station's clerk, seated, is outside this camera's view (standing they may be seen): unseen, they
    may be sitting at the post; else None."""
    path: FloorPath | None = None
    """Where the station's clerk went on the floor, also away from the station (the running rule); None when not
    measured."""


@dataclass
class Observations:
    """Everything the events stage produced for one video, as the rules consume it."""

    source: str
    duration_s: float
    analysed_frames: int
    image_width: int
    image_height: int
    clerks: list[ClerkObservations]
    customers: list[CustomerSeries]
    approaches: list[Approach]
    """Every approach within the near distance, each with the station it was made to (``Approach.station``)."""
    problem: str | None = None
    extra_not_assessable: dict[str, str] = field(default_factory=dict)

