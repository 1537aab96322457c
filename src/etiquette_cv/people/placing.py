"""Where the people stage's observations stand: floor points, places (role and station) and the plausibility
checks that keep a floor point from moving a person somewhere they could not be.

A floor point comes from :func:`.floor.estimate_floor`; this module decides which side of the counter to assume
(the person's track, or the one track a new detection overlaps), drops points that contradict what is known of the
person (a clerk's head read in front of the counter, a point out of walking reach) and rejects landmarker results that
jumped to somebody else or collapsed onto a part of their person.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .boxes import iou
from .config import PeopleConfig
from .floor import FloorModel, estimate_floor, role_from_floor
from .landmarker import TrackLandmarker
from .observation import Observation


@dataclass
class TrackState:
    """What the people stage knows of one tracked person between frames (pixels, metres, seconds)."""

    id: int
    role: str = "unknown"
    station: str | None = None
    pending: tuple[str, str | None, float] | None = None
    box: np.ndarray | None = None
    crop_box: np.ndarray | None = None
    """Where the landmarker looks next: the box of the landmarks it saw (visible ones), else ``box``."""
    detector_box: np.ndarray | None = None
    detector_box_s: float = -np.inf
    detector_offset_px: np.ndarray | None = None
    """(4,) pixels: the person's detector box less their landmarks' outline box, at ``detector_offset_s``."""
    detector_offset_s: float = -np.inf
    detector_outline_px: np.ndarray | None = None
    """(4,) pixels: the landmarks' outline box at ``detector_offset_s``."""
    landmarker: TrackLandmarker | None = None
    misses: int = 0
    no_landmarker_until_s: float = -np.inf
    last_seen_s: float = -np.inf
    distance_m: float = np.inf
    floor_xy_m: np.ndarray | None = None
    floor_s: float = -np.inf
    hip_height_m: float | None = None
    """The median of ``hip_heights_m``: the person's hip height over the floor, for placing them by the hips."""
    hip_heights_m: list[float] = field(default_factory=list)
    """The last hip heights measured with the feet seen (metres)."""
    first_seen_s: float | None = None
    body_box: np.ndarray | None = None
    """The person's box without their arms (pixels): what other landmarkers' crops grey out."""

    def note_hip_height(self, z_m: float, keep: int) -> None:
        """Add one hip height measured with the feet seen (metres); ``hip_height_m`` becomes the median of the last
        ``keep``: one frame's invented feet (a person half hidden by another) set a hip height that put their later
        floor points 0.5-0.9 m off (tuning t108)."""
        self.hip_heights_m = (self.hip_heights_m + [float(z_m)])[-keep:]
        self.hip_height_m = float(np.median(self.hip_heights_m))

    def forget_hip_height(self) -> None:
        """Forget the hip height (it may have been somebody else's)."""
        self.hip_height_m, self.hip_heights_m = None, []


class FloorPlacer:
    """Places observations on the floor using what is known of the tracked people (``tracks``, by track id)."""

    def __init__(self, floor: FloorModel | None, config: PeopleConfig, tracks: dict[int, TrackState]) -> None:
        self.floor = floor
        self.config = config
        self._tracks = tracks

    def _behind_hint(self, o: Observation) -> bool | None:
        """Whether a landmarker's person is a clerk (stands behind the counter), None when not known."""
        return self._side_of(self._tracks.get(o.owner)) if o.owner is not None else None

    @staticmethod
    def _side_of(t: TrackState | None) -> bool | None:
        """Whether a tracked person stands behind the counter (a clerk), None when not known."""
        if t is None or t.role == "unknown":
            return None
        return t.role == "clerk" or (t.role == "other" and t.distance_m < 0)

    def _overlapped_track(self, o: Observation, t_s: float) -> TrackState | None:
        """The one person seen within ``start_gap_s`` whose box a detection without a landmarker overlaps by
        ``merge_iou`` or more (nobody else's by ``seen_iou``), None when there is no such person."""
        cfg = self.config
        overlaps = sorted(((iou(o.box, t.box), t) for t in self._tracks.values()
                           if t.box is not None and t_s - t.last_seen_s <= cfg.start_gap_s),
                          key=lambda x: -x[0])
        if not overlaps or overlaps[0][0] < cfg.merge_iou or (len(overlaps) > 1 and overlaps[1][0] >= cfg.seen_iou):
            return None
        track = overlaps[0][1]
        return None if self._too_tall_for_station(o, track) else track

    def _too_tall_for_station(self, o: Observation, track: TrackState) -> bool:
        """Whether a detection's box is taller (pixels) than ``clerk_box_height_factor`` times an adult standing
        at ``track``'s station: then it shows somebody nearer the camera than that clerk."""
        if track.role != "clerk" or track.station is None or self.floor is None:
            return False
        station = self.floor.station_floor_m(track.station)
        if station is None:
            return False
        limit = self.config.clerk_box_height_factor * self.floor.person_height_px(station)
        return float(o.box[3] - o.box[1]) > limit

    def _contradicts(self, o: Observation, behind: bool | None) -> bool:
        """Whether a detection's floor point contradicts the side of the counter of the person its box overlaps:
        located in front of the counter from the head or shoulders alone while that person is a clerk (tuning t116:
        seen from behind with her feet cut by the frame, a clerk's head put her on the counter line, and a second
        track took her for a customer). Only a point from the feet may move somebody across the counter."""
        return bool(behind) and o.floor.source != "feet" and not o.floor.behind

    def _clerk_jump(self, o: Observation, track: TrackState, t_s: float) -> bool:
        """A clerk's box whose floor point leaves their station for a place they could not have walked to."""
        if track.role != "clerk" or track.floor_xy_m is None:
            return False
        return o.place[0] != "clerk" and self._out_of_reach(o, track, t_s)

    def _known_hip_height(self, o: Observation) -> float | None:
        t = self._tracks.get(o.owner) if o.owner is not None else None
        return t.hip_height_m if t is not None else None

    def _clerk_by_hip_range(self, o: Observation, hint: bool | None, min_score: float | None) -> None:
        """Re-place a clerk's landmarker result that the hip height measured earlier put away from every station:
        clerks sit and stand, and a standing clerk placed by the hip height measured while seated lands a metre
        behind her station (tuning t123: outside it, every result of her landmarker was taken for a jump to
        somebody else for 6 s and her bow went unmeasured). Placed by the hips' possible heights instead (which
        keeps a clerk at the nearest station), the new point is kept when it lies at a station."""
        track = self._tracks.get(o.owner) if o.owner is not None else None
        if track is None or track.role != "clerk" or track.hip_height_m is None or o.floor is None \
                or o.floor.source != "hips" or o.place[0] == "clerk":
            return
        est = estimate_floor(self.floor, o.xy, o.point_score, o.box if o.detected else None, None, behind_hint=hint,
                             min_score=min_score)
        place = role_from_floor(self.floor, est) if est is not None else None
        if place is not None and place[0] == "clerk":
            o.floor, o.place = est, place

    def drift_m(self, o: Observation) -> float:
        """How far (metres) a landmarker's result lies from where its track stood last (0 when unknown)."""
        track = self._tracks.get(o.owner) if o.owner is not None else None
        if track is None or track.floor_xy_m is None or o.floor is None:
            return 0.0
        return float(np.linalg.norm(o.floor.xy_m - track.floor_xy_m))

    def _jumped(self, o: Observation, t_s: float) -> bool:
        """A landmarker's result far from where its person stood a moment ago, or on the other side of the counter
        from a clerk: it jumped to somebody else (a customer in front of the clerk, inside the clerk's crop)."""
        track = self._tracks.get(o.owner) if o.owner is not None else None
        if track is None or track.floor_xy_m is None or o.floor is None:
            return False
        role = o.place[0]
        if track.role == "clerk" and role != "clerk":
            return True
        # a person crosses the counter line walking round it, on their feet: a hips/shoulders estimate on the other
        # side of the counter is a landmarker that lost the legs or the person
        if o.floor.source != "feet" and (role == "clerk") != (track.role == "clerk") and track.role != "unknown":
            return True
        return self._out_of_reach(o, track, t_s) or self._took_another_box(o, track, t_s)

    def _took_another_box(self, o: Observation, track: TrackState, t_s: float) -> bool:
        """Whether a landmarker's result lies, in the image, on another person seen within ``continuity_s``: its box
        overlaps theirs at least ``jump_box_iou`` and by ``jump_box_margin`` more (IoU) than its own person's."""
        if track.box is None or track.role != "clerk":
            return False
        cfg = self.config
        own = iou(o.box, track.box)
        return any(iou(o.box, other.box) >= max(cfg.jump_box_iou, own + cfg.jump_box_margin)
                   for tid, other in self._tracks.items()
                   if tid != track.id and other.box is not None
                   and t_s - other.last_seen_s <= cfg.tracking.continuity_s)

    def clerk_bent_across(self, o: Observation, t_s: float) -> bool:
        """Whether a clerk's landmarker result, dropped by :meth:`locate` because it was placed across the counter
        from the hips, shoulders or head, lies on the clerk's own last box (``clerk_own_box_iou``) and nobody
        else's: those parts are placed at their upright heights, and a clerk bowing seen from behind puts the head a
        metre forward (tuning t125: every result of a bowing clerk's landmarker was dropped and the bow went
        unmeasured). Only the feet may move a clerk across the counter, so the result still does not move the
        track; its landmarks may describe the clerk."""
        track = self._tracks.get(o.owner) if o.owner is not None else None
        if track is None or track.role != "clerk" or track.station is None or track.box is None \
                or o.floor is None or o.floor.source == "feet" or o.place[0] == "clerk":
            return False
        return iou(o.box, track.box) >= self.config.clerk_own_box_iou and not self._took_another_box(o, track, t_s)

    def _out_of_reach(self, o: Observation, track: TrackState, t_s: float) -> bool:
        """Whether an observation's floor point lies farther from where the track's person stood last than they
        could have walked since (``jump_m`` + ``max_speed_m_s`` × the time; twice ``jump_m`` when the point is
        not from the feet: floor points from the hips or shoulders wander more)."""
        slack = 0.0 if o.floor.source == "feet" else self.config.jump_m
        reach = self.config.jump_m + slack + self.config.max_speed_m_s * max(0.0, t_s - track.floor_s)
        return float(np.linalg.norm(o.floor.xy_m - track.floor_xy_m)) > reach

    def _collapsed(self, o: Observation) -> bool:
        """A landmarker's result whose landmarks cover a small part of a person standing there (``collapsed_fraction``
        of their height in the image)."""
        if o.landmarks is None or o.floor is None:
            return False
        extent = max(float(o.box[2] - o.box[0]), float(o.box[3] - o.box[1]))
        return extent < self.config.collapsed_fraction * self.floor.person_height_px(o.floor.xy_m)

    def locate(self, obs: list[Observation], t_s: float, behind_hint: bool | None = None
               ) -> tuple[list[Observation], list[Observation]]:
        """Floor points (metres) and places of the observations. Returns the observations kept and the landmarker
        results rejected because they jumped to another person or collapsed (their landmarkers should restart).
        ``behind_hint``: the side of the counter people without a track stand on, when known (a station's search
        looks for its clerk)."""
        if self.floor is None:
            return obs, []
        floor, cfg = self.floor, self.config
        kept: list[Observation] = []
        rejected: list[Observation] = []
        for o in obs:
            # only a detector's box tells where the visible body ends (a landmark box ends where MediaPipe lost
            # the legs)
            hint = self._behind_hint(o) if o.owner is not None else behind_hint
            same = self._overlapped_track(o, t_s) if hint is None and o.owner is None else None
            if same is not None:
                hint = self._side_of(same)
            min_score = None if o.landmarks is not None else floor.settings.detector_keypoint_score
            o.floor = estimate_floor(floor, o.xy, o.point_score, o.box if o.detected else None,
                                     self._known_hip_height(o), behind_hint=hint, min_score=min_score)
            o.place = role_from_floor(floor, o.floor) if o.floor is not None else None
            self._clerk_by_hip_range(o, hint, min_score)
            if same is not None and o.floor is not None and (self._contradicts(o, hint)
                                                             or self._clerk_jump(o, same, t_s)):
                # the overlap is the better evidence: no floor point, and a clerk stays at their station
                o.floor = None
                o.place = (same.role, same.station) if same.role == "clerk" and same.station else None
                if o.place is not None:
                    same.floor_s = t_s   # still at the station as far as can be told: a later jump is judged from now
            if self._jumped(o, t_s) or self._collapsed(o):
                rejected.append(o)
                continue
            kept.append(o)
            if o.owner is None and o.floor is not None and o.score < cfg.tracking.activation_score \
                    and o.score >= self._start_score_at(o) and not self._near_a_track(o, t_s):
                o.score = cfg.tracking.activation_score
        return kept, rejected

    def _near_a_track(self, o: Observation, t_s: float) -> bool:
        """Whether somebody tracked stood within ``same_place_m`` of the observation's floor point in the last
        ``start_gap_s``: a weak detection there continues their track rather than starting one (raised to the start
        score, a waiting customer's detection was matched as a new person: tuning t109)."""
        if o.place[0] == "clerk":   # a station has one clerk: the tracker associates them at the station
            return False
        return any(t_s - tr.floor_s <= self.config.start_gap_s
                   and float(np.linalg.norm(o.floor.xy_m - tr.floor_xy_m)) < self.config.same_place_m
                   for tr in self._tracks.values() if tr.floor_xy_m is not None)

    def _start_score_at(self, o: Observation) -> float:
        """The detector score from which a detection standing where ``o`` stands starts a track (0-1)."""
        cfg = self.config
        role = o.place[0]
        if role == "customer" and 0.0 <= o.floor.signed_distance_m <= cfg.counter_min_score_within_m:
            return cfg.counter_min_score
        start = {"clerk": cfg.station_min_score, "waiting": cfg.waiting_min_score}
        return start.get(role, cfg.tracking.activation_score)

    def association_station(self, o: Observation) -> str | None:
        """The clerk station an observation is associated at, None when it is not a clerk's: its place's station,
        except that a clerk's own landmarker keeps them at their track's station (tuning t110, side view: the
        invented feet of a clerk standing up drifted 1.8 m in four frames onto the next station, and that station's
        clerk took her landmarker). A clerk who really moves changes station through the role's hysteresis."""
        if o.place is None or o.place[0] != "clerk":
            return None
        track = self._tracks.get(o.owner) if o.owner is not None else None
        if track is not None and track.role == "clerk" and track.station is not None:
            return track.station
        return o.place[1]

    def association(self, o: Observation) -> tuple[np.ndarray, str | None]:
        """Where the tracker places an observation on the floor (metres), and the clerk station it stands at (None
        for anybody else): a clerk is associated at the station itself (:meth:`association_station`; their floor
        point, seen over a counter, wanders between the hips' and the shoulders' estimates by tens of centimetres,
        and one station has one clerk); everyone else at their floor point."""
        station = self.association_station(o)
        if station is not None:
            return self.floor.station_floor_m(station), station
        return (o.floor.xy_m if o.floor is not None else np.array([np.nan, np.nan])), None
