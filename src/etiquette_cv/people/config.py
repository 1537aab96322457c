"""Settings of the people stage (:mod:`.stage`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .floor import RoleSettings
from .gaps import GapSettings
from .landmarker import LandmarkerSettings
from .motion import MotionGateSettings
from .rate import RateSettings
from .tracker import TrackerSettings

#: Where landmarkers' crops grey out the other people (:attr:`PeopleConfig.grey_others`).
GREY_OTHERS = ("never", "uncalibrated", "always")


@dataclass(frozen=True)
class PeopleConfig:
    """Settings of the people stage."""

    model: str = "full"
    """Pose model: "lite", "full", "heavy" once built, or a path to a PoseLandmarker .task bundle."""
    detector: str = "movenet"
    detector_long_side_px: int = 512
    """The frame is scaled so its long side has this many pixels for the detector."""
    detector_min_score: float = 0.15
    """Detections below this score are ignored altogether."""
    detect_every_n_frames: int = 3
    """While everybody tracked has a landmarker, the detector runs on every n-th frame (and at once when a
    landmarker loses its person or a new track waits for confirmation); while somebody is followed by the detector
    alone, on every frame."""
    detect_gate: MotionGateSettings = field(default_factory=MotionGateSettings)
    """Periodic detector runs skipped while nothing moves outside the posed people (:mod:`.motion`; off by
    default)."""
    station_min_score: float = 0.12
    """A detection whose floor point is at a clerk station starts a track from this score on (a seated clerk
    behind a counter shows head and shoulders only and scores 0.15-0.35); elsewhere
    ``tracking.activation_score`` applies."""
    waiting_min_score: float = 0.12
    """The same for a detection whose floor point is in the calibration's ``waiting`` zone: people sit or stand
    there for minutes, often at the edge of the picture (tuning scene twin s305: a waiting customer whose head the
    frame top cut scored 0.13-0.22 and was missed for 8 s) - unless somebody tracked stood there within
    ``start_gap_s``."""
    counter_min_score: float = 0.15
    """The same for a detection standing on the customers' side within ``counter_min_score_within_m`` of the
    counter edge, unless somebody tracked stood there within ``start_gap_s``: seen from the clerks' side the
    counter hides a customer's legs (tuning t116: a customer at the counter, 150 px tall, scored 0.20-0.24 for
    5 s and was never found once her first track was lost)."""
    counter_min_score_within_m: float = 1.0
    start_gap_s: float = 1.0
    """How recently a tracked person must have been seen to count as the one a new detection belongs to: a weak
    detection where they stood continues their track; a detection whose box overlaps theirs (``merge_iou``, nobody
    else's ``seen_iou``) is taken to stand on their side of the counter."""
    clerk_box_height_factor: float = 1.25
    """A detection whose box is taller than this many times an adult standing at a clerk's station is nearer the
    camera than the station: however it overlaps that clerk's box, it is not taken for the clerk (tuning t103: a
    customer standing across the counter, feet seen, 1.4 times a standing adult's height at the station, was made
    the clerk of that station for 2 s and her own track lost)."""
    station_detector_long_side_px: int = 224
    """A clerk station where nobody is seen is searched again on its own crop (where a clerk there can appear in
    the image), enlarged so its long side has this many pixels: a far, seated clerk shows the whole-frame detector
    a head and shoulders 15-20 px tall and is missed."""
    station_search_half_width_m: float = 0.8
    station_search_height_m: float = 1.9
    """The station's crop covers an upright box this wide (twice the half width) and tall around the station."""
    lost_detector_long_side_px: int = 384
    """A person tracked a moment ago (within ``tracking.lost_s``) whom no observation matches on a frame the
    detector ran is searched again on a crop around their last box, enlarged so its long side has this many pixels
    (0: never) …"""
    lost_search_margin: float = 0.25
    """… the box grown by this share of its width and height on every side …"""
    lost_search_iou: float = 0.3
    """… and a detection there overlapping the last box at least this much (IoU) is them; not searched while this
    share of their last box lies inside the box of somebody seen now …"""
    lost_hidden_inside: float = 0.5
    """… (hidden behind them, the search finds the one in front, and the lost person's track took them over:
    tuning scene clip s308, a queue)."""
    appearance_overlap_iou: float = 0.05
    """A person's colours are sampled without the box of anybody in front of them overlapping theirs more than this
    (IoU) …"""
    appearance_min_clear: float = 0.5
    """… and only while at least this share of their torso is left (people walking side by side kept no colours
    while their boxes overlapped, and swapped ids)."""
    seen_iou: float = 0.3
    """A station's search ignores detections that overlap a person already seen this much (IoU) when their
    keypoints cannot tell the two apart."""
    collapsed_fraction: float = 0.15
    """A landmarker result whose landmarks span less than this fraction of an adult's standing height at that
    place has collapsed onto a part of the person (a face, a hand): it counts as a miss."""
    max_landmarkers: int = 4
    pose_customers_within_m: float = 5.0
    """Customers get their own landmarker when within this distance of the counter (farther, the detector's
    keypoints give their floor point)."""
    same_place_m: float = 0.5
    """Two tracks whose people overlap in the image and stand this close on the floor are one person …"""
    same_person_contained: float = 0.9
    """… overlapping: their boxes' IoU at least ``merge_iou``, or this share of the smaller box inside the larger
    (a far passer-by's landmarks, 50 px wide, inside the detector's box of them, 100 px wide, at IoU 0.3-0.45:
    two tracks took turns on one person)."""
    jump_m: float = 0.8
    max_speed_m_s: float = 2.0
    """A landmarker's person whose floor point moves more than ``jump_m`` plus this speed times the time since
    last seen has jumped to somebody else: the result is dropped and the landmarker restarted."""
    jump_box_iou: float = 0.3
    jump_box_margin: float = 0.2
    """A landmarker's result whose image box overlaps another person's box of a moment ago at least ``jump_box_iou``
    (IoU) and by ``jump_box_margin`` more than its own person's box has jumped to that person, however near their
    floor points (tuning t117, t128: a clerk's landmarker took the customer in front of the counter, placed from the
    shoulders 0.9-1.8 m from the clerk — within reach of the floor check — and the customer's box became the
    clerk's for a frame)."""
    clerk_own_box_iou: float = 0.5
    """A clerk's landmarker result overlapping the clerk's last box this much (IoU), and nobody else's box
    (``jump_box_iou``), is the clerk: dropped for a floor point across the counter from the hips, shoulders or head
    (a bow seen from behind moves the head a metre forward), its landmarks are still reported for the clerk when the
    detector's keypoints of them agree."""
    detector_box_memory_s: float = 1.0
    """A landmarker's crop covers at least the person's detector box of the last this-many seconds."""
    detector_box_offset_s: float = 0.5
    """A landmarker's person's reported box (the tracks file's, not the one the stage tracks by) is their landmarks'
    outline moved, edge by edge, as far as it lay off their detector box at the detector's last run, when that run is
    at most this many seconds old (0: off). The outline is a guess from the joints (no hair, no clothes, nothing
    beyond the last joint in the frame: a seated clerk cut by the frame's edge read 165 px wide for 255, tuning
    t120), so the box jumped between the two at every run."""
    detector_box_offset_max_change: float = 0.2
    """… only while the outline's width and height are within this fraction of theirs at that run: a landmarker
    taking turns between two poses (a side view's arms and legs swapped) widens and narrows the outline by a third
    from frame to frame, and the offset of one moved the other off the person (tuning t102, t104)."""
    hip_height_samples: int = 5
    """A person's hip height (placing them by the hips where their feet are hidden) is the median of this many last
    measurements with the feet seen."""
    landmarker_patience: int = 10
    """A landmarker that finds nobody this many frames in a row is closed (its person stays tracked) …"""
    reopen_after_misses_s: float = 10.0
    """… and its person, followed by the detector meanwhile, gets a new landmarker only this many seconds later
    (other closes: 2 s). Landmarkers opened again 2 s after such a close made the tuning clips worse (ID switches 94
    → 103, recall −16 person-frames, one visit lost: in a side view a seated clerk's new landmarker posed her
    lying flat along her arms, where the station search's detector box had been right); never opened again, a
    clerk who lost her landmarks once was not posed for the rest of her track — on a camera day, for hours."""
    merge_iou: float = 0.5
    """A detection is a posed person when their boxes overlap this much (IoU)."""
    merge_keypoint_distance: float = 0.15
    """A detection whose keypoints lie this close to a posed person's landmarks (mean distance over the
    detection's box height) is that person."""
    landmarks: LandmarkerSettings = field(default_factory=LandmarkerSettings)
    tracking: TrackerSettings = field(default_factory=TrackerSettings)
    roles: RoleSettings = field(default_factory=RoleSettings)
    rate: RateSettings = field(default_factory=RateSettings)
    """Which sampled frames are analysed (:mod:`.rate`): all while something happens, fewer while quiet."""
    gaps: GapSettings = field(default_factory=GapSettings)
    """Which short gaps in a track are filled once the person is seen again (:mod:`.gaps`; applied where the
    stage's frames are written: ``run_people`` and ``watch``)."""
    grey_others: str = "uncalibrated"
    """Where each landmarker's crop shows the other people seen within ``grey_others_within_s`` greyed out (their
    heads, trunks and legs, except where these overlap its own person's box): ``"uncalibrated"`` (without a floor
    calibration: role-plays and ``pose``), ``"always"`` or ``"never"``. Two people shaking hands filled each other's
    crops and the landmarkers took turns on them (tuning role-play t305: the clerk found in 35 of 44 frames, 44 of
    44 greyed). With a calibration it was measured worse on the people set's tuning clips (recall 93.2 → 92.6 %,
    visits 44 → 40 of 48, ID switches 84 → 80: greyed invented legs of seated clerks covered their neighbours), so
    it is off there.
    """
    grey_others_within_s: float = 0.5
    grey_others_max_inside: float = 0.25
    """… only people beside them: not one whose body box lies more than this share inside the person's own box
    (one behind the other, they would grey each other's bodies)."""
    threads: int = 2
    malloc_arenas: int = 2
    """Heaps glibc's allocator may keep for the native threads (0: its default, eight per core); see
    :mod:`.native_memory` (5-minute run: peak 857 → 642 MB and flat; 8-hour day: 997 → 630 MB)."""
    malloc_mmap_threshold_kb: int = 256
    """Blocks from this size (kB) get pages of their own, handed back when freed (0: glibc's threshold, which rises
    to 32 MB) while a people stage is open; see :mod:`.native_memory` (5-minute run: peak 623 → 567 MB)."""

    def __post_init__(self) -> None:
        if not 0.0 < self.clerk_own_box_iou:
            raise ValueError(f"clerk_own_box_iou must be > 0 (got {self.clerk_own_box_iou})")
        if self.grey_others not in GREY_OTHERS:
            raise ValueError(f"grey_others must be one of {', '.join(GREY_OTHERS)} (got {self.grey_others!r})")
        if self.hip_height_samples < 1:
            raise ValueError(f"hip_height_samples must be >= 1 (got {self.hip_height_samples})")
        if self.lost_detector_long_side_px < 0 or not 0.0 <= self.lost_search_margin <= 2.0 \
                or not 0.0 < self.lost_search_iou <= 1.0 or not 0.0 < self.lost_hidden_inside <= 1.0:
            raise ValueError("lost_detector_long_side_px must be >= 0, lost_search_margin within 0-2, "
                             f"lost_search_iou and lost_hidden_inside within 0-1 (got "
                             f"{self.lost_detector_long_side_px}, {self.lost_search_margin}, {self.lost_search_iou}, "
                             f"{self.lost_hidden_inside})")
        if self.detector_box_offset_s < 0 or self.detector_box_offset_max_change < 0:
            raise ValueError(f"detector_box_offset_s and detector_box_offset_max_change must be >= 0 (got "
                             f"{self.detector_box_offset_s}, {self.detector_box_offset_max_change})")
        if self.reopen_after_misses_s < 0:
            raise ValueError(f"reopen_after_misses_s must be >= 0 (got {self.reopen_after_misses_s})")
        if self.clerk_box_height_factor <= 0:
            raise ValueError(f"clerk_box_height_factor must be > 0 (got {self.clerk_box_height_factor})")
        if not 0.0 < self.jump_box_iou <= 1.0 or self.jump_box_margin < 0:
            raise ValueError(f"jump_box_iou must be within 0-1 and jump_box_margin >= 0 (got {self.jump_box_iou}, "
                             f"{self.jump_box_margin})")
        if self.malloc_arenas < 0:
            raise ValueError(f"malloc_arenas must be >= 0 (got {self.malloc_arenas})")
        if not 0 <= self.malloc_mmap_threshold_kb <= 32 * 1024:
            raise ValueError(f"malloc_mmap_threshold_kb must be within 0-32768 (got {self.malloc_mmap_threshold_kb})")
