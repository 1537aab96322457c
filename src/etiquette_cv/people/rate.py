"""Adaptive analysis rate: analyse every sampled frame where something happens, one in ``quiet_every_n`` where
nothing does.

The people stage costs ~50–80 ms per analysed frame on two cores; a counter camera spends much of its day on an
empty counter or a clerk sitting still. Each sampled frame is first compared with the last analysed one on a small
grey image (~1 ms at 720p): a change outside the clerks' boxes (somebody arriving, a passer-by) or in a clerk's
head-and-shoulders band (a clerk starting to rise or bend) makes the frame analysed at once and keeps the full rate
for ``hold_s``. After each analysed frame the scene is busy while a customer (anybody not a clerk) is within
``busy_within_m`` of the counter or of unknown distance, or a clerk stands (their head is higher above the floor
than a seated adult's). Otherwise one sampled frame in ``quiet_every_n`` is analysed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import cv2
import numpy as np

from ..core import FramePoses, Landmark
from .floor import FloorModel
from .motion import SmallGrey


@dataclass(frozen=True)
class RateSettings:
    """Settings of the adaptive analysis rate (ours: chosen on the tuning clips, not from the standard)."""

    quiet_every_n: int = 1
    """While quiet, one sampled frame in this many is analysed (4: 10 fps sampling → 2.5 fps); 1 (the default for
    files) turns the adaptive rate off: on the held-out people set 4 found 19 of 28 visits instead of 22, so speed
    would buy errors. ``watch`` uses 4 (:data:`LIVE_QUIET_EVERY_N`): live, falling behind costs more."""
    busy_within_m: float = 3.0
    """A customer within this distance of the counter edge keeps the full rate (the 2 m line plus a margin to see
    the approach)."""
    standing_head_min_m: float = 1.40
    """A clerk whose nose is higher above the floor than this is standing (a seated adult's nose is at ~1.1–1.25 m,
    a standing one's at 1.45–1.75 m): the full rate, for bows and standing deportment."""
    hold_s: float = 2.0
    """After a trigger the full rate is kept at least this long (seconds)."""
    motion_long_side_px: int = 160
    """The motion check compares grey images scaled so their long side has this many pixels."""
    motion_pixel_level: int = 20
    """A small-image pixel has changed when its grey level moved more than this (0–255) after a 3×3 blur."""
    outside_changed_fraction: float = 0.002
    """Share of the frame outside the clerks' boxes that must change to trigger (a person 100 px tall in a 720p
    frame changes ~0.4 %)."""
    clerk_band_changed_fraction: float = 0.06
    """Share of a clerk's head-and-shoulders band that must change to trigger (rising, bending; typing and writing
    move the hands below it)."""

    def __post_init__(self) -> None:
        if self.quiet_every_n < 1:
            raise ValueError(f"quiet_every_n must be ≥ 1, got {self.quiet_every_n}")
        for name in ("busy_within_m", "hold_s", "outside_changed_fraction", "clerk_band_changed_fraction"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be ≥ 0, got {getattr(self, name)}")


LIVE_QUIET_EVERY_N = 4
"""The live watcher's quiet rate (one sampled frame in four while nothing happens)."""


@dataclass
class RateStats:
    """What the rate controller decided over a run."""

    frames_seen: int = 0
    frames_analysed: int = 0
    motion_triggers: int = 0
    busy_frames: int = 0
    motion_check_s: float = 0.0

    @property
    def analysed_share(self) -> float:
        """Share of the sampled frames that were analysed (0–1)."""
        return self.frames_analysed / self.frames_seen if self.frames_seen else 0.0


class AnalysisRate:
    """Decides which sampled frames the people stage analyses (module docstring). Call :meth:`should_analyse` on
    every sampled frame and :meth:`observe` with the people stage's result of each analysed one."""

    def __init__(self, width: int, height: int, floor: FloorModel | None, settings: RateSettings | None = None):
        self.settings = settings or RateSettings()
        self.floor = floor
        self._small = SmallGrey(width, height, self.settings.motion_long_side_px)
        self.scale = self._small.scale
        self.stats = RateStats()
        self._reference: np.ndarray | None = None
        self._clerk_boxes: list[np.ndarray] = []
        self._busy = True          # nothing is known before the first analysed frame
        self._full_until_s = -np.inf
        self._since_analysed = 0
        self.quiet = False
        """Whether the frame :meth:`should_analyse` last chose was one of the quiet rate's (nothing happening)."""

    def _moved(self, small: np.ndarray) -> bool:
        """Whether the small image changed outside the clerks' boxes or in a clerk's head-and-shoulders band."""
        s = self.settings
        changed = cv2.absdiff(small, self._reference) > s.motion_pixel_level
        outside = np.ones_like(changed)
        for box in self._clerk_boxes:
            x0, y0, x1, y1 = (box * self.scale).astype(int)
            h, w = y1 - y0, x1 - x0
            # the band from above the head (where a rising head goes) to the shoulders
            bx0, bx1 = max(0, x0 - w // 5), x1 + w // 5
            by0, by1 = max(0, y0 - h // 3), y0 + int(0.35 * h)
            band = changed[by0:by1, bx0:bx1]
            if band.size and band.mean() > s.clerk_band_changed_fraction:
                return True
            outside[max(0, y0 - h // 3):y1 + 1, bx0:bx1] = False
        n_out = int(outside.sum())
        return n_out > 0 and changed[outside].sum() > s.outside_changed_fraction * n_out

    def should_analyse(self, image: np.ndarray, t_s: float) -> bool:
        """Whether the sampled frame ``image`` at ``t_s`` seconds is analysed (cheap: ~1 ms at 720p)."""
        self.stats.frames_seen += 1
        full_rate = (self.settings.quiet_every_n <= 1 or self._busy or self._reference is None
                     or t_s < self._full_until_s)
        analyse = full_rate or self._since_analysed + 1 >= self.settings.quiet_every_n
        if not analyse:
            t0 = time.perf_counter()
            if self._moved(self._small(image)):
                self.stats.motion_triggers += 1
                self._full_until_s = t_s + self.settings.hold_s
                analyse = full_rate = True
            self.stats.motion_check_s += time.perf_counter() - t0
        if analyse:
            self.stats.frames_analysed += 1
            self._since_analysed = 0
            self.quiet = not full_rate
        else:
            self._since_analysed += 1
        return analyse

    def observe(self, image: np.ndarray, poses: FramePoses) -> None:
        """Update the state from an analysed frame and the people found in it."""
        if self.settings.quiet_every_n <= 1:
            return
        self._reference = self._small(image)
        self._clerk_boxes = [p.box_xyxy_px for p in poses.persons
                             if p.role == "clerk" and p.box_xyxy_px is not None]
        self._busy = any(self._keeps_full_rate(p) for p in poses.persons)
        self.stats.busy_frames += int(self._busy)

    def _keeps_full_rate(self, person) -> bool:
        s = self.settings
        if person.role == "clerk":
            return self._clerk_standing(person)
        if self.floor is None or person.floor_xy_m is None:
            return True
        return float(self.floor.signed_distance_m(person.floor_xy_m)) <= s.busy_within_m

    def _clerk_standing(self, person) -> bool:
        """A clerk whose nose is seen higher above their floor point than :attr:`RateSettings.standing_head_min_m`
        (unknown → standing, so the full rate is kept)."""
        if self.floor is None or person.floor_xy_m is None:
            return True
        nose = Landmark.NOSE
        if person.visibility[nose] < 0.5 and person.presence[nose] < 0.5:
            return True
        z = float(self.floor.camera.height_on_vertical_line(np.asarray(person.image_xy_px[nose], float),
                                                            np.asarray(person.floor_xy_m, float)))
        return not np.isfinite(z) or z > self.settings.standing_head_min_m
