"""Identity over time: ByteTrack (roboflow ``trackers``) associating people on the calibrated floor.

With a calibration, each observation enters the tracker as a square of ``floor_box_m`` around its floor point (in
centimetres), so association is by where people stand, not by how their image boxes overlap: a customer walking
behind another overlaps them in the image but stands a metre further away. Without a calibration the image boxes
are used. ByteTrack's Kalman filter carries a track through short gaps (an occlusion, a missed detection) for
``lost_s`` seconds; its ids are renumbered here from 1 in order of appearance.

ByteTrack's Kalman filter keeps walking a hidden person at their last speed, so somebody who stops behind another
person comes out of the occlusion away from their prediction and gets a new track. Such a new track takes over the
id of a person lost a moment ago close by (``relink_s``, ``relink_m`` plus ``max_speed_m_s`` per second of the
gap), and a new track at a clerk station the id of that station's clerk (``station_relink_s``): one station has
one clerk, who is often hidden for minutes by the customer in front of them.

Floor points of people standing close together are a few decimetres apart and as uncertain, so the floor
association alone hands ids back and forth between them; their image boxes, a tenth of a second apart, say who is
who. Before new tracks get ids, each observation is checked against the image boxes of the people seen a moment
ago (``continuity_margin``) and against the running colours of a person it met who is not seen now (hidden by it:
``hidden_margin``), and afterwards against the running colours of people who met (``swap_margin``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .boxes import iou


@dataclass(frozen=True)
class TrackerSettings:
    """Settings of the identity tracker (seconds, metres, detector scores 0-1)."""

    lost_s: float = 1.0
    """A track with no observation for this long ends."""
    floor_box_m: float = 0.8
    """Side of the floor square that stands for a person in the floor-space association."""
    min_iou: float = 0.1
    """Minimum overlap of a track's predicted box and an observation for them to be associated."""
    activation_score: float = 0.25
    """Observations below this score never start a track (they can still continue one)."""
    min_hits: int = 2
    """Observations a new track needs before it gets an id …"""
    instant_score: float = 0.25
    """… unless its first observation scores at least this much: a person seen walking in is reported from their
    first frame (ByteTrack holds every new track back one frame). 0.5 → 0.25 with the same round's station search
    and hip height: people set tuning recall 94.5 → 95.2 % (people coming into view, two people walking in
    together), ID switches 76 → 63; held-out recall 91.1 → 92.2 %, ID switches 71 → 76 …"""
    instant_score_at_station: float = 0.5
    """… but this much at a clerk station (from the second frame: on the first, nobody is tracked yet whom a
    second detection could take over), and without a floor calibration on the first frame and wherever the
    observation's image box overlaps somebody seen within ``continuity_s``: a customer's detection placed behind
    the counter by a guessed floor point (shoulders only) started a clerk's track at once (tuning t116); without a
    calibration a second, shorter detection of the clerk took the trainee over (role-play tuning t306), while a
    walker coming in clear of everybody waited a frame for nothing (real ``vtest``: 0.37 at the frame's edge).
    The first frame keeps this score without a calibration because t306's clerk, given an id there, got her
    landmarker on a crop MediaPipe could not pose for 10 frames (a crop 1 px aside could), so she was not posed
    for 10 s and the trainee was chosen wrong; framing such a crop anew after a miss (three ways tried) cost the
    people set's tuning split ID switches (the mildest: 95 → 101 and a visit lost; the others stopped after their
    first 4–11 clips, 7–15 more already)."""
    relink_s: float = 4.0
    relink_m: float = 1.2
    max_speed_m_s: float = 1.5
    """A new track takes over the id of a person lost at most ``relink_s`` ago whose last floor point lies within
    ``relink_m`` plus this speed times the gap …"""
    relink_iou: float = 0.3
    """… (without a calibration: whose last image box overlaps the new one at least this much)."""
    station_relink_s: float = 600.0
    """A new track at a clerk station takes over the id of that station's clerk lost at most this long ago."""
    max_appearance_distance: float = 0.45
    """A new track takes over a lost person's id only if their clothes' colours differ by at most this much
    (Bhattacharyya distance 0-1 of hue-saturation histograms, when both are known)."""
    appearance_memory: float = 0.2
    """Weight of each new appearance in a person's running colour histogram."""
    swap_margin: float = 0.15
    """Two people the floor association could not tell apart (floor points closer than ``floor_box_m``) exchange
    ids when their clothes fit the other's running colour histogram better by at least this much (sum of the two
    Bhattacharyya distances): people walking side by side 0.2-0.5 m apart swapped ids frame after frame."""
    continuity_margin: float = 0.3
    """Image continuity: an observation gets the id of the person seen a moment ago whose image box it continues
    when it overlaps their last box better than the floor association's choice does by at least this much (IoU;
    summed over the two people when two exchange ids). A landmarker that slid onto the person beside them moves its
    floor point a few decimetres only, and the floor association followed it (tuning t109: a passer-by and a
    customer crossing exchanged ids every frame; t121: two seated clerks one behind the other in a side view).
    Never between a clerk at a station and anybody else. 0 turns the check off."""
    hidden_margin: float = 0.15
    """An observation takes the id of a person it met lately (``encounter_s``) who is not seen now when its clothes
    fit that person's running colours better than its own person's by at least this much (Bhattacharyya distance):
    one hid the other (:meth:`IdentityTracker._give_back_to_hidden`). 0 turns the check off."""
    continuity_s: float = 0.5
    """… among people seen at most this long ago (their last box still says where they are)."""
    encounter_m: float = 1.0
    encounter_s: float = 3.0
    """Two people whose floor points came within ``encounter_m`` (one of them possibly unseen, at where they were
    last seen: one hides the other) met: for ``encounter_s`` afterwards their ids may still be exchanged by their
    clothes, and a look that does not fit a person's running colours (farther than ``max_appearance_distance``) is
    not blended into them. Two customers crossing at the counter were seen as one person for a few frames, that
    person's colours took in the other's, and when they parted the ids were exchanged for good."""


@dataclass
class _LastSeen:
    t_s: float
    box_xyxy_px: np.ndarray
    floor_xy_m: np.ndarray | None
    station: str | None
    appearance: np.ndarray | None = None


def _appearance_distance(a: np.ndarray | None, b: np.ndarray | None) -> float:
    """Bhattacharyya distance (0 same colours, 1 disjoint) of two normalised histograms; 0 when one is unknown."""
    if a is None or b is None:
        return 0.0
    bc = float(np.sum(np.sqrt(np.clip(a, 0, None) * np.clip(b, 0, None))))
    return float(np.sqrt(max(0.0, 1.0 - min(bc, 1.0))))


def _floor_boxes_cm(xy_m: np.ndarray, side_m: float) -> np.ndarray:
    half = side_m / 2
    return np.column_stack([xy_m[:, 0] - half, xy_m[:, 1] - half, xy_m[:, 0] + half, xy_m[:, 1] + half]) * 100.0


class IdentityTracker:
    """Gives each observation of a frame a stable person id (or 0 while its track is not yet confirmed)."""

    def __init__(self, settings: TrackerSettings, frame_rate_hz: float, use_floor: bool) -> None:
        from trackers.core.bytetrack.tracker import ByteTrackTracker

        self.settings = settings
        self.use_floor = use_floor
        # trackers counts its patience in frames at 30 fps: lost_track_buffer * frame_rate / 30 frames
        self._bt = ByteTrackTracker(
            lost_track_buffer=max(1, int(round(settings.lost_s * 30.0))),
            frame_rate=float(frame_rate_hz),
            track_activation_threshold=settings.activation_score,
            minimum_consecutive_frames=settings.min_hits,
            minimum_iou_threshold=settings.min_iou,
            high_conf_det_threshold=settings.activation_score,
        )
        self._ids: dict[int, int] = {}
        self._last: dict[int, _LastSeen] = {}
        self._next_id = 0
        self._met: dict[tuple[int, int], float] = {}
        """(person id, person id) → when they last met (s)."""
        self._frame_s = 1.0 / float(frame_rate_hz)
        self._t_s = 0.0
        self._updates = 0

    def update(self, boxes_xyxy_px: np.ndarray, floor_xy_m: np.ndarray | None, scores: np.ndarray,
               stations: list[str | None] | None = None, appearance: list[np.ndarray | None] | None = None
               ) -> np.ndarray:
        """Person ids (N,) for the N observations of one frame (0 = not yet confirmed). ``floor_xy_m`` (N, 2) is
        required when the tracker works on the floor; rows of NaN fall back to nothing (they get 0). ``stations``
        names, per observation, the clerk station it stands at (None elsewhere); ``appearance`` gives, per
        observation, a normalised colour histogram of the person (None where they are overlapped by others)."""
        import supervision as sv

        self._t_s += self._frame_s
        self._updates += 1
        horizon = max(self.settings.relink_s, self.settings.station_relink_s)
        self._last = {pid: last for pid, last in self._last.items() if self._t_s - last.t_s <= horizon}
        n = len(scores)
        ids = np.zeros(n, dtype=int)
        if self.use_floor:
            assert floor_xy_m is not None
            ok = np.all(np.isfinite(floor_xy_m), axis=1)
            boxes = _floor_boxes_cm(floor_xy_m[ok], self.settings.floor_box_m) if ok.any() else np.zeros((0, 4))
        else:
            ok = np.ones(n, dtype=bool)
            boxes = np.asarray(boxes_xyxy_px, dtype=float).reshape(-1, 4)
        index = np.flatnonzero(ok)
        dets = sv.Detections(xyxy=boxes.astype(np.float32).reshape(-1, 4),
                             confidence=np.asarray(scores, dtype=np.float32)[ok],
                             data={"obs": index.astype(int)})
        before = {id(t) for t in self._bt.tracks}
        out = self._bt.update(dets)
        # ByteTrack never brings an ended track back: its id is dropped, so the map stays as small as the people in
        # view over a camera day
        alive = {t.tracker_id for t in self._bt.tracks}
        self._ids = {e: pid for e, pid in self._ids.items() if e in alive}
        if len(out) == 0:
            return ids
        self._activate_sure_newcomers(out, before, stations, np.asarray(boxes_xyxy_px, float).reshape(-1, 4))
        pairs = [(int(o), int(e)) for o, e in zip(np.asarray(out.data["obs"]), np.asarray(out.tracker_id)) if e >= 0]
        self._keep_image_continuity(pairs, boxes_xyxy_px, stations)
        if self.use_floor and appearance is not None:
            # before new tracks take ids over: the id this frees is there for the new track of the one it followed
            self._give_back_to_hidden(pairs, appearance, stations)
        taken = {self._ids[e] for _, e in pairs if e in self._ids}
        for obs, ext in pairs:
            looks = None if appearance is None else appearance[obs]
            if ext not in self._ids:
                here = _LastSeen(self._t_s, boxes_xyxy_px[obs], None if floor_xy_m is None else floor_xy_m[obs],
                                 None if stations is None else stations[obs], looks)
                old = self._relink(here, taken)
                if old is None:
                    self._next_id += 1
                self._ids[ext] = old if old is not None else self._next_id
                if old is not None:
                    self._forget_other_tracks(old, ext)
                taken.add(self._ids[ext])
        if self.use_floor:
            self._note_encounters(pairs, floor_xy_m, stations)
            if appearance is not None:
                self._unswap(pairs, floor_xy_m, appearance, stations)
        for obs, ext in pairs:
            looks = None if appearance is None else appearance[obs]
            ids[obs] = self._ids[ext]
            before = self._last.get(ids[obs])
            old = None if before is None else before.appearance
            if looks is not None and old is not None and self._met_lately(ids[obs]) \
                    and _appearance_distance(old, looks) > self.settings.max_appearance_distance:
                looks = None  # somebody else's colours (one observation of two people who met): not theirs
            self._last[ids[obs]] = _LastSeen(self._t_s, np.asarray(boxes_xyxy_px[obs], float),
                                             None if floor_xy_m is None else np.asarray(floor_xy_m[obs], float),
                                             None if stations is None else stations[obs], self._blend(old, looks))
        return ids

    def _keep_image_continuity(self, pairs: list[tuple[int, int]], boxes_xyxy_px: np.ndarray,
                               stations: list[str | None] | None) -> None:
        """Give each observation the id of the person seen a moment ago (``continuity_s``) whose image box it
        continues, before new tracks are given ids: two people exchange ids when each one's observation overlaps the
        other's last box better than their own by ``continuity_margin`` (sum of the two IoUs; a person not seen
        now, or seen too long ago, counts 0); a person's id moves to a new track's observation that overlaps their
        last box that much better than their own observation does (which then gets an id as a new track). Ids
        never move between a clerk at a station and anybody else."""
        margin = self.settings.continuity_margin
        if margin <= 0:
            return
        recent = {pid for pid, last in self._last.items()
                  if self._t_s - last.t_s <= self.settings.continuity_s + 1e-9}
        obs_of = {e: o for o, e in pairs if e in self._ids}

        def fit(pid: int, obs: int) -> float:
            """How well observation ``obs`` continues person ``pid``'s last box (0 when that is too old to say)."""
            return iou(self._last[pid].box_xyxy_px, boxes_xyxy_px[obs]) if pid in recent else 0.0

        def at_station(pid: int | None, obs: int) -> bool:
            """Whether person ``pid`` was last seen at a clerk station (for a new track, ``pid`` None: whether its
            observation ``obs`` stands at one)."""
            if pid is not None:
                return self._last[pid].station is not None
            return stations is not None and stations[obs] is not None

        for obs, ext in pairs:
            own = self._ids.get(ext)
            if own not in self._last:
                continue
            for other in sorted(recent - {own}):
                if at_station(own, obs) != at_station(other, obs):
                    continue  # never across the counter: a customer in front of a clerk covers the clerk's box
                other_ext = next((e for e, pid in self._ids.items() if pid == other), None)
                if other_ext in obs_of:
                    keep = fit(own, obs) + fit(other, obs_of[other_ext])
                    swap = fit(own, obs_of[other_ext]) + fit(other, obs)
                else:
                    keep, swap = fit(own, obs), fit(other, obs)
                if swap >= keep + margin:
                    self._ids[ext] = other
                    if other_ext is not None:
                        self._ids[other_ext] = own
                    break
            else:
                for new_obs, new_ext in pairs:
                    if new_ext in self._ids or at_station(own, obs) != at_station(None, new_obs):
                        continue
                    if fit(own, new_obs) >= fit(own, obs) + margin:
                        self._ids[new_ext] = own
                        del self._ids[ext]
                        break

    def _note_encounters(self, pairs: list[tuple[int, int]], floor_xy_m: np.ndarray,
                         stations: list[str | None] | None) -> None:
        """Record every two people (not clerks at a station) whose floor points lie within ``encounter_m``: both
        seen now, or one seen now and the other lost this last ``lost_s`` where they were seen last."""
        s = self.settings
        now = {self._ids[e]: np.asarray(floor_xy_m[o], float) for o, e in pairs
               if e in self._ids and (stations is None or stations[o] is None)}
        recent = {pid: last.floor_xy_m for pid, last in self._last.items()
                  if pid not in now and last.station is None and last.floor_xy_m is not None
                  and self._t_s - last.t_s <= s.lost_s}
        seen, unseen = list(now.items()), list(recent.items())
        for k, (a, xa) in enumerate(seen):
            for b, xb in seen[k + 1:] + unseen:
                if float(np.linalg.norm(xa - xb)) < s.encounter_m:
                    self._met[(min(a, b), max(a, b))] = self._t_s
        self._met = {ab: t for ab, t in self._met.items() if self._t_s - t <= s.encounter_s}

    def _met_lately(self, a: int, b: int | None = None) -> bool:
        """Whether person ``a`` met person ``b`` (anybody, when None) within the last ``encounter_s``."""
        if b is not None:
            return (min(a, b), max(a, b)) in self._met
        return any(a in ab for ab in self._met)

    def _unswap(self, pairs: list[tuple[int, int]], floor_xy_m: np.ndarray, appearance: list,
                stations: list[str | None] | None) -> None:
        """Exchange the ids of two tracks whose observations stand closer than ``floor_box_m`` (the floor association
        could not tell them apart), or who met lately (``encounter_s``), when this frame's looks fit the other's
        running colour histogram better by ``swap_margin`` (both looks, or the one seen: one person often hides part
        of the other), the better fit within ``max_appearance_distance``; clerks at a station are left alone."""
        s = self.settings
        known = [(o, e) for o, e in pairs if e in self._ids and (stations is None or stations[o] is None)
                 and self._last.get(self._ids[e]) is not None and self._last[self._ids[e]].appearance is not None]
        for a in range(len(known)):
            for b in range(a + 1, len(known)):
                (oa, ea), (ob, eb) = known[a], known[b]
                if not (np.linalg.norm(np.asarray(floor_xy_m[oa]) - floor_xy_m[ob]) < s.floor_box_m
                        or self._met_lately(self._ids[ea], self._ids[eb])):
                    continue
                ha, hb = self._last[self._ids[ea]].appearance, self._last[self._ids[eb]].appearance
                # per look seen: (distance to its own track's colours, distance to the other track's)
                fits = [(_appearance_distance(own, look), _appearance_distance(other, look))
                        for own, other, look in ((ha, hb, appearance[oa]), (hb, ha, appearance[ob]))
                        if look is not None]
                if not fits:
                    continue
                keep, swap = sum(k for k, _ in fits), sum(w for _, w in fits)
                if swap + s.swap_margin <= keep and max(w for _, w in fits) <= s.max_appearance_distance:
                    self._ids[ea], self._ids[eb] = self._ids[eb], self._ids[ea]

    def _give_back_to_hidden(self, pairs: list[tuple[int, int]], appearance: list,
                             stations: list[str | None] | None) -> None:
        """Give a track's observation the id of a person not seen now who met its person lately (``encounter_s``)
        when its look fits that person's running colours better than its own person's by ``hidden_margin`` (the fit
        within ``max_appearance_distance``): one person hid the other where they crossed, and the floor association
        carried the hidden one's track onto the one still seen, whose own track then ended (scene set, tuning
        s306: a customer leaving behind the next one coming in). The person the track followed so far is then lost
        and taken up again by the next new track near where they were. Clerks at a station are left alone."""
        s = self.settings
        if s.hidden_margin <= 0:
            return
        seen = {self._ids[e] for _, e in pairs if e in self._ids}
        for obs, ext in pairs:
            own = self._ids.get(ext)
            look = appearance[obs]
            mine = self._last.get(own)
            if look is None or mine is None or mine.appearance is None or mine.station is not None \
                    or (stations is not None and stations[obs] is not None):
                continue
            d_own = _appearance_distance(mine.appearance, look)
            best, best_d = None, d_own - s.hidden_margin
            for pid, last in self._last.items():
                if pid in seen or last.station is not None or last.appearance is None \
                        or not self._met_lately(own, pid):
                    continue
                d = _appearance_distance(last.appearance, look)
                if d <= best_d and d <= s.max_appearance_distance:
                    best, best_d = pid, d
            if best is not None:
                self._ids[ext] = best
                self._forget_other_tracks(best, ext)
                seen.discard(own)
                seen.add(best)

    def _blend(self, old: np.ndarray | None, new: np.ndarray | None) -> np.ndarray | None:
        """A person's running colour histogram after one more look (unchanged when the new look is unknown)."""
        if new is None or old is None:
            return old if new is None else new
        w = self.settings.appearance_memory
        return (1.0 - w) * old + w * new

    def _activate_sure_newcomers(self, out, before: set[int], stations: list[str | None] | None,
                                 boxes_xyxy_px: np.ndarray) -> None:
        """Give the tracks ByteTrack started this frame from an observation scoring ``instant_score`` or more
        (``instant_score_at_station`` where it could be a second detection of somebody: see that setting) their id
        at once (in ``out`` and in ByteTrack's own state). ``boxes_xyxy_px``: the observations' image boxes."""
        from trackers.core.bytetrack.kalman_box_tracker import ByteTrackKalmanBoxTracker

        s = self.settings
        tid = np.asarray(out.tracker_id).astype(int)
        obs = np.asarray(out.data["obs"]).astype(int)
        recent = [] if self.use_floor else [last.box_xyxy_px for last in self._last.values()
                                             if self._t_s - last.t_s <= s.continuity_s + 1e-9]

        def guarded(o: int) -> bool:
            """Whether observation ``o`` needs ``instant_score_at_station`` to be reported at once."""
            if self._updates == 1:
                return not self.use_floor
            if self.use_floor:
                return stations is not None and stations[o] is not None
            return any(iou(box, boxes_xyxy_px[o]) > 0.0 for box in recent)

        needed = np.array([s.instant_score_at_station if guarded(o) else s.instant_score for o in obs], float)
        for t in self._bt.tracks:
            if id(t) in before or t.tracker_id != -1:
                continue
            box = np.asarray(t.get_state_bbox(), float).ravel()[:4]
            for k in np.flatnonzero(tid < 0):
                if out.confidence[k] >= needed[k] and np.allclose(out.xyxy[k], box, atol=1e-3):
                    t.tracker_id = ByteTrackKalmanBoxTracker.get_next_tracker_id()
                    tid[k] = t.tracker_id
                    break
        out.tracker_id = tid

    def _relink(self, here: "_LastSeen", taken: set[int]) -> int | None:
        """The id of a person lost a moment ago whom this new track continues (module docstring), or None."""
        s = self.settings
        best, best_cost = None, np.inf
        for pid, last in self._last.items():
            gap = here.t_s - last.t_s
            if pid in taken or gap <= 0:
                continue
            if _appearance_distance(here.appearance, last.appearance) > s.max_appearance_distance:
                continue
            if here.station != last.station and (here.station is not None or last.station is not None):
                continue  # never across the counter (a customer at it stands a metre from the clerk), nor between
                # two stations' clerks
            if here.station is not None and gap <= s.station_relink_s:
                cost = 0.0
            elif gap > s.relink_s:
                continue
            elif here.floor_xy_m is not None and last.floor_xy_m is not None:
                d = float(np.linalg.norm(np.asarray(here.floor_xy_m) - last.floor_xy_m))
                if not d <= s.relink_m + s.max_speed_m_s * gap:
                    continue
                cost = d
            else:
                overlap = iou(here.box_xyxy_px, last.box_xyxy_px)
                if overlap < s.relink_iou:
                    continue
                cost = 1.0 - overlap
            if cost < best_cost:
                best, best_cost = pid, cost
        return best

    def _forget_other_tracks(self, pid: int, keep_ext: int) -> None:
        """Drop ByteTrack's other (coasting) tracks of person ``pid``: one person, one track."""
        self._end_tracks({e for e, p in self._ids.items() if p == pid and e != keep_ext})

    def _end_tracks(self, exts: set[int]) -> None:
        """Remove ByteTrack's tracks with these (ByteTrack) ids."""
        self._bt.tracks = [t for t in self._bt.tracks if t.tracker_id not in exts]

    def forget(self, pid: int) -> None:
        """End person ``pid``'s tracks at once and forget them (no later track takes their id over): the people
        stage found them to be a second track on somebody another track follows."""
        exts = {e for e, p in self._ids.items() if p == pid}
        self._end_tracks(exts)
        for e in exts:
            del self._ids[e]
        self._last.pop(pid, None)
        self._met = {ab: t for ab, t in self._met.items() if pid not in ab}

    def alive_ids(self) -> set[int]:
        """Ids of the confirmed tracks the tracker still carries (seen or coasting)."""
        return {self._ids[t.tracker_id] for t in self._bt.tracks if t.tracker_id in self._ids}
