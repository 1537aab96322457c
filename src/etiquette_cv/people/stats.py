"""What the people stage did during a run: counts and seconds, for the benchmarks and the CLI summary."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class PeopleStats:
    """What the people stage did during a run (for benchmarks and the CLI summary)."""

    frames: int = 0
    detector_runs: int = 0
    detector_s: float = 0.0
    landmarker_calls: int = 0
    landmarker_s: float = 0.0
    tracker_s: float = 0.0
    tracks: int = 0
    landmarkers_opened: int = 0
    landmarker_rejected: int = 0
    """Fresh landmarkers whose first result disagreed with the detector's keypoints of the person (closed)."""
    restarts: int = 0
    lent_landmarks: int = 0
    """Clerk-frames reported with the landmarks of a result of their own landmarker that was dropped for its floor
    point alone (:meth:`.placing.FloorPlacer.clerk_bent_across`) while the detector followed them."""
    handovers: int = 0
    """Landmarkers handed from one track to another (the tracker placed their person in the other track)."""
    person_frames: int = 0
    lost_searches: int = 0
    """Crops searched for a person the whole-frame detector lost (``PeopleConfig.lost_detector_long_side_px``) …"""
    lost_found: int = 0
    """… and those where they were found again."""
