"""The people stage: every person in view found, tracked, posed and given a role, frame by frame.

Per analysed frame:

1. each tracked person who has a landmarker (clerks always; customers near the counter; anyone without a
   calibration, up to ``max_landmarkers``) gets their landmarks on a crop around their last box;
2. the whole-frame person detector runs every ``detect_every_n_frames`` frames, and at once whenever a landmarker
   lost its person or a new track waits for confirmation; detections of people already posed are merged into
   their observation, the others are new observations with the detector's 17 keypoints; a clerk station where
   nobody is seen, and a person tracked a moment ago whom nothing matches now, are searched again on crops of
   their own;
3. every observation gets a floor point (:mod:`.placing`, :mod:`.floor`) and the identity tracker (:mod:`.tracker`)
   gives it an id;
4. roles come from the floor point with hysteresis (a clerk walking round the counter keeps their id);
5. a confirmed person who should be posed and has no landmarker gets one, run on this frame already.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np

from ..core import NUM_LANDMARKS, Frame, FramePoses, PersonPose
from ..models import resolve_pose_model
from .boxes import contained_fraction, inside_fraction, iou
from .config import PeopleConfig
from .floor import FloorModel
from .landmarker import LandmarkResult, TrackLandmarker
from .motion import MotionGate
from .native_memory import limit_malloc_arenas, posing_ended, posing_started
from .observation import (Observation, appearance_histogram, body_box, from_detections, merge_detections, others_greyed,
                          posed_observation, seen_again, union_box, upper_body_distance)
from .placing import FloorPlacer, TrackState
from .stats import PeopleStats
from .tracker import IdentityTracker

if TYPE_CHECKING:
    from .detector import PersonDetections


class PeopleStage:
    """Finds, tracks, poses and labels every person in each frame (module docstring). Use as a context manager."""

    def __init__(self, image_width: int, image_height: int, frame_rate_hz: float,
                 floor: FloorModel | None = None, config: PeopleConfig | None = None) -> None:
        self.config = config or PeopleConfig()
        limit_malloc_arenas(self.config.malloc_arenas)  # before the native libraries start their threads
        posing_started(self.config.malloc_mmap_threshold_kb)
        self._open = True
        self.image_width, self.image_height = image_width, image_height
        self.floor = floor
        self.model_path = resolve_pose_model(self.config.model)
        from .detector import PersonDetector  # onnxruntime loads only when people are detected (not to re-grade)

        self.detector = PersonDetector(self.config.detector, self.config.detector_long_side_px,
                                       min(self.config.detector_min_score, self.config.station_min_score,
                                           self.config.waiting_min_score, self.config.counter_min_score))
        self.identity = IdentityTracker(self.config.tracking, frame_rate_hz, use_floor=floor is not None)
        self._station_rois = {} if floor is None else {
            st.name: self._station_roi(st) for st in floor.calibration.clerk_stations}
        self._tracks: dict[int, TrackState] = {}
        self._placer = FloorPlacer(floor, self.config, self._tracks)
        self._frame_no = 0
        self._last_detect_s = -np.inf
        """Time (s) of the whole-frame detector's last run."""
        self._pending_confirmation = False
        self._detector_only = False
        self._gate = MotionGate(image_width, image_height, self.config.detect_gate)
        self._pool = ThreadPoolExecutor(self.config.threads, thread_name_prefix="people") \
            if self.config.threads > 1 else None
        self.stats = PeopleStats()

    # -- per-frame steps ----------------------------------------------------------------------------------------

    def _map(self, fn, items):
        return list(self._pool.map(fn, items)) if self._pool is not None and len(items) > 1 else list(map(fn, items))

    def _run_landmarkers(self, frame: Frame) -> list[Observation]:
        posed = [t for t in self._tracks.values() if t.landmarker is not None and t.box is not None]
        t0 = [t.landmarker.landmarker_s for t in posed]
        results = self._map(lambda t: t.landmarker.detect(
            frame.image, frame.timestamp_s, t.crop_box if t.crop_box is not None else t.box,
            self._others_boxes(t, frame.timestamp_s)), posed)
        obs = []
        for track, res, before in zip(posed, results, t0):
            self.stats.landmarker_calls += 1
            self.stats.landmarker_s += track.landmarker.landmarker_s - before
            if res is None:
                track.misses += 1
                continue
            track.misses = 0
            score = float(np.mean(res.presence[[11, 12, 23, 24]]))
            obs.append(Observation(res.outline_box_xyxy_px(), max(score, self.config.tracking.activation_score),
                                    res.image_xy_px, np.minimum(res.visibility, res.presence), track.id, res))
        return obs

    @property
    def _greys_others(self) -> bool:
        """Whether landmarkers' crops grey out the other people (``PeopleConfig.grey_others``)."""
        mode = self.config.grey_others
        return mode == "always" or (mode == "uncalibrated" and self.floor is None)

    def _others_boxes(self, track: TrackState, t_s: float) -> list[np.ndarray]:
        """The boxes (pixels) of the other people seen a moment ago that a landmarker's crop for ``track`` should
        not show: people beside them, not people that overlap them so much they may be them."""
        cfg = self.config
        if not self._greys_others:
            return []
        own = track.box
        return [t.body_box for t in self._tracks.values()
                if t is not track and t.body_box is not None and t_s - t.last_seen_s <= cfg.grey_others_within_s
                and inside_fraction(t.body_box, own) <= cfg.grey_others_max_inside]

    def _drop_duplicates(self, obs: list[Observation], t_s: float) -> list[Observation]:
        """Two landmarkers that ended on the same person (their upper bodies coincide): the one whose result lies
        where its own person stood keeps the person (then the older track), the other's landmarker is closed."""
        kept: list[Observation] = []
        for o in sorted(obs, key=lambda o: (self._placer.drift_m(o), o.owner)):
            twin = next((k for k in kept if upper_body_distance(o, k) <= self.config.merge_keypoint_distance), None)
            if twin is None:
                kept.append(o)
            else:
                self._close_landmarker(self._tracks[o.owner], t_s)
        return kept

    def _detect(self, frame: Frame, roi_xywh: tuple | None = None, long_side_px: int | None = None
                ) -> PersonDetections:
        t0 = time.perf_counter()
        dets = self.detector.detect(frame.image, roi_xywh, long_side_px)
        self.stats.detector_s += time.perf_counter() - t0
        self.stats.detector_runs += 1
        return dets

    def _station_roi(self, station) -> tuple[float, float, float, float] | None:
        """(x, y, width, height) pixels of where a clerk at ``station`` can appear, None when out of view."""
        box = self.floor.column_box_px(station.floor_m, self.config.station_search_height_m,
                                       self.config.station_search_half_width_m)
        return self._roi_in_frame(box) if np.all(np.isfinite(box)) else None

    def _search_stations(self, frame: Frame, obs: list[Observation], detected: bool
                         ) -> tuple[list[Observation], list[Observation]]:
        """Observations of the clerks the whole-frame pass missed: each station nobody is seen at (on the frames
        the detector ran, and on every frame while that station's clerk is lost) is searched on its own enlarged
        crop; the best detection that stands at that station is its clerk. Returns ``obs`` without the weak
        detections those clerks replace, and the clerks found."""
        if self.floor is None:
            return obs, []
        seen = {o.place[1] for o in obs if o.place is not None and o.place[0] == "clerk"}
        has_clerk = {t.station for t in self._tracks.values() if t.role == "clerk"}
        found: list[Observation] = []
        replaced: set[int] = set()
        for station in self.floor.calibration.clerk_stations:
            roi = self._station_rois.get(station.name)
            if station.name in seen or roi is None or not (detected or station.name in has_clerk):
                continue
            dets = self._detect(frame, roi, self.config.station_detector_long_side_px)
            # the station's clerk moved little since last seen: of several people there (a customer leaning in
            # front of the counter), the one overlapping the clerk's last box is the clerk (tuning t101), else
            # the best scored
            last_box = self._station_clerk_box(station.name)
            # the crop cuts the legs off a customer standing in front of the station, whose floor point then
            # seems to lie behind the counter: people already seen are not searched for
            candidates, twins = [], {}
            for c in from_detections(dets):
                same = [k for k, o in enumerate(obs)
                        if seen_again(c, o, self.config.merge_keypoint_distance, self.config.seen_iou)]
                # a weak whole-frame detection nobody is tracked by may be this clerk, placed without knowing
                # which side of the counter they stand on: the search's observation replaces it
                if all(obs[k].owner is None and obs[k].score < self.config.tracking.activation_score for k in same):
                    c.detected = True
                    candidates.append(c)
                    twins[id(c)] = same
            here = [o for o in self._locate(candidates, frame.timestamp_s, behind_hint=True)
                    if o.place == ("clerk", station.name)]
            if here:
                best = max(here, key=lambda o: (iou(o.box, last_box) if last_box is not None else 0.0, o.score))
                found.append(best)
                replaced.update(twins[id(best)])
        return [o for k, o in enumerate(obs) if k not in replaced], found

    def _search_lost(self, frame: Frame, obs: list[Observation]) -> list[Observation]:
        """Observations of tracked people the whole-frame pass lost this frame: each person seen within the
        tracker's ``lost_s`` and matched by no observation on a frame the detector ran is searched on a crop around
        their last box, enlarged so its long side has ``lost_detector_long_side_px`` pixels; the best detection
        that overlaps that box by ``lost_search_iou`` and is nobody already seen is their observation. The
        whole-frame detector misses some people it found a moment before (tuning t125: a customer at the counter,
        her legs hidden by it, scored nothing at 512 px for 2.5 s and 0.47 on a crop of her place). The search
        runs on every frame the detector does: a person it alone follows is reported only on frames that observe
        them (searched on the detector's schedule only, every third frame, tuning t125/t127 kept a fifth of the
        gain)."""
        size = self.config.lost_detector_long_side_px
        if size <= 0:
            return []
        t = frame.timestamp_s
        found: list[Observation] = []
        for track in list(self._tracks.values()):
            if track.box is None or t - track.last_seen_s > self.config.tracking.lost_s:
                continue
            last = np.asarray(track.box, float)
            if any(o.owner == track.id or iou(o.box, last) >= self.config.seen_iou
                   or inside_fraction(last, o.box) >= self.config.lost_hidden_inside for o in obs + found):
                continue  # seen, or hidden behind somebody seen now (a search would find the one in front)
            roi = self._roi_in_frame(last, self.config.lost_search_margin)
            if roi is None:
                continue
            self.stats.lost_searches += 1
            candidates = [c for c in from_detections(self._detect(frame, roi, size))
                          if iou(c.box, last) >= self.config.lost_search_iou
                          and not any(seen_again(c, o, self.config.merge_keypoint_distance, self.config.seen_iou)
                                      for o in obs + found)]
            if candidates:
                best = max(candidates, key=lambda c: (iou(c.box, last), c.score))
                best.detected = True
                found.extend(self._locate([best], t))
                self.stats.lost_found += 1
        return found

    def _roi_in_frame(self, box: np.ndarray, margin: float = 0.0) -> tuple[float, float, float, float] | None:
        """(x, y, width, height) pixels of box (x0, y0, x1, y1) grown by ``margin`` of its width and height on every
        side, clipped to the frame; None when less than 16 px of it is left."""
        bw, bh = float(box[2]) - float(box[0]), float(box[3]) - float(box[1])
        x0, y0 = max(0.0, float(box[0]) - margin * bw), max(0.0, float(box[1]) - margin * bh)
        x1 = min(float(self.image_width), float(box[2]) + margin * bw)
        y1 = min(float(self.image_height), float(box[3]) + margin * bh)
        return (x0, y0, x1 - x0, y1 - y0) if x1 - x0 >= 16 and y1 - y0 >= 16 else None

    def _station_clerk_box(self, station: str) -> np.ndarray | None:
        """The last box (pixels) of the clerk last seen at ``station``, None when there is none."""
        clerks = [t for t in self._tracks.values() if t.role == "clerk" and t.station == station and t.box is not None]
        return None if not clerks else np.asarray(max(clerks, key=lambda t: t.last_seen_s).box, float)

    def _crop_box(self, track: TrackState, o: Observation, t_s: float) -> np.ndarray:
        """Where the track's landmarker looks next (pixels): around the landmarks it saw as visible (not the
        limbs it invents behind a counter), grown to the person's box from the detector's last run, or of the
        last second when that run missed them (MediaPipe's landmarks of a small, partly hidden person can
        collapse onto a part of them, and a crop that follows them shrinks away; a result collapsed below
        ``collapsed_fraction`` is dropped before it moves the crop). Crops are not grown to where a person could
        be: on the reception sample a crop holding a 1.9 m column at the clerk's floor point cut their MediaPipe
        pose from 97.6 % to 71.6 % of frames (the clerk is small in a bigger crop)."""
        box = o.landmarks.visible_box_xyxy_px() if o.landmarks is not None else np.asarray(o.box, np.float32)
        # the box of the detector's last run holds until it runs again: while the adaptive rate is quiet it runs
        # 1.2 s apart and more when the motion gate skips runs (an expired box shrank the crop and the next run
        # grew it back, restarting the landmarker: 76 restarts in the synthetic idle hour)
        if track.detector_box is not None and (t_s - track.detector_box_s <= self.config.detector_box_memory_s
                                               or track.detector_box_s >= self._last_detect_s):
            box = union_box(box, track.detector_box)
        return box

    def _locate(self, obs: list[Observation], t_s: float, behind_hint: bool | None = None) -> list[Observation]:
        """Floor points of the observations (:class:`.placing.FloorPlacer`); a landmarker whose result jumped to
        another person or collapsed is restarted and its result dropped."""
        return self._locate_dropped(obs, t_s, behind_hint)[0]

    def _locate_dropped(self, obs: list[Observation], t_s: float, behind_hint: bool | None = None
                        ) -> tuple[list[Observation], list[Observation]]:
        """:meth:`_locate`, returning the dropped results as well."""
        kept, rejected = self._placer.locate(obs, t_s, behind_hint)
        for o in rejected:
            track = self._tracks[o.owner]
            track.landmarker.restart()
            track.misses += 1
        return kept, rejected

    def _posed_people(self, frame: Frame) -> tuple[list[Observation], dict[int, LandmarkResult]]:
        """The landmarkers' people, located (:meth:`_locate`), and, by track id, the landmarks of the clerks' results
        dropped for their floor point alone (:meth:`.placing.FloorPlacer.clerk_bent_across`): they may still
        describe a clerk whom the detector follows on this frame (:meth:`_lent_landmarks`)."""
        kept, dropped = self._locate_dropped(self._run_landmarkers(frame), frame.timestamp_s)
        bent = {o.owner: o.landmarks for o in dropped if self._placer.clerk_bent_across(o, frame.timestamp_s)}
        return kept, bent

    def _lent_landmarks(self, o: Observation, res: LandmarkResult | None) -> LandmarkResult | None:
        """``res`` (a clerk's dropped landmarks, see :meth:`_posed_people`) when ``o`` is a detection of the clerk
        without landmarks and the result's upper body lies on its keypoints (``merge_keypoint_distance``): the
        landmarks the clerk is reported with. Only the output gets them: box, floor point, crop and id stay the
        detector's, so tracking is as without them (kept as the landmarker's observation, such results of a seated
        clerk seen from behind shrank her box below the truth's: tuning t116)."""
        if res is None or o.landmarks is not None or not o.detected or self._disagrees(posed_observation(o, res), o):
            return None
        self.stats.lent_landmarks += 1
        return res

    def _assign_ids(self, obs: list[Observation], image: np.ndarray) -> np.ndarray:
        t0 = time.perf_counter()
        boxes = np.array([o.box for o in obs], np.float32).reshape(-1, 4)
        scores = np.array([o.score for o in obs], np.float32)
        floor_xy, stations = None, [None] * len(obs)
        if self.floor is not None:
            placed = [self._placer.association(o) for o in obs]
            floor_xy = np.array([xy for xy, _ in placed], float).reshape(-1, 2)
            stations = [station for _, station in placed]
        looks = [appearance_histogram(image, o, obs, self.config.appearance_overlap_iou,
                                      self.config.roles.detector_keypoint_score, self.config.appearance_min_clear)
                 for o in obs]
        ids = self.identity.update(boxes, floor_xy, scores, stations, looks)
        self.stats.tracker_s += time.perf_counter() - t0
        return ids

    def _update_role(self, track: TrackState, o: Observation, t_s: float) -> None:
        if self.floor is None or o.floor is None:
            return
        role, station = o.place
        track.distance_m = o.floor.signed_distance_m
        if o.floor.source == "feet" and o.landmarks is not None:
            hips = o.landmarks.visibility[[23, 24]]
            if np.all(hips >= self.config.roles.visibility):
                z = self.floor.camera.height_on_vertical_line(o.xy[[23, 24]].mean(axis=0), o.floor.xy_m)
                if np.isfinite(z) and 0.3 < z < 1.3:
                    track.note_hip_height(z, self.config.hip_height_samples)
        if track.first_seen_s is None:
            track.first_seen_s = t_s
        # a young track's role follows its place (a person walking in is first seen far away, or outside the
        # approach zone); hysteresis protects the roles of people seen for longer
        if track.role == "unknown" or t_s - track.first_seen_s < self.config.roles.role_switch_s:
            track.role, track.station, track.pending = role, station, None
            return
        if (role, station) == (track.role, track.station):
            track.pending = None
            return
        if track.pending is None or track.pending[:2] != (role, station):
            track.pending = (role, station, t_s)
        elif t_s - track.pending[2] >= self.config.roles.role_switch_s:
            track.role, track.station, track.pending = role, station, None

    def _wants_landmarker(self, track: TrackState, t_s: float) -> bool:
        if track.landmarker is not None or t_s < track.no_landmarker_until_s:
            return False
        if self.floor is None:
            return True
        return track.role == "clerk" or (track.role == "customer"
                                         and track.distance_m <= self.config.pose_customers_within_m)

    def _open_landmarkers(self, frame: Frame, obs: list[Observation], ids: np.ndarray) -> None:
        budget = self.config.max_landmarkers - sum(t.landmarker is not None for t in self._tracks.values())
        candidates = [(o, self._tracks[i]) for o, i in zip(obs, ids)
                      if i > 0 and o.landmarks is None and self._wants_landmarker(self._tracks[i], frame.timestamp_s)]
        # clerks first, then the people nearest the counter (or the largest, without a calibration)
        candidates.sort(key=lambda c: (c[1].role != "clerk", c[1].distance_m, -(c[0].box[3] - c[0].box[1])))
        for o, track in candidates[:max(0, budget)]:
            track.landmarker = TrackLandmarker(self.model_path, self.config.landmarks, self.image_width,
                                               self.image_height)
            self.stats.landmarkers_opened += 1
            res = self._landmarker_call(track, frame.image, frame.timestamp_s, o.box)
            if res is None:
                continue
            posed = posed_observation(o, res)
            if self._disagrees(posed, o):
                # the first result fell on somebody else in the crop (tuning role-play t305: a customer shaking the
                # clerk's hand filled half the clerk's square crop): once more, with the others greyed out, so the
                # person is the only one it can find; tracking then follows them on the unmasked frames
                track.landmarker.restart()
                res = self._landmarker_call(track, others_greyed(frame.image, o, obs), frame.timestamp_s + 1e-3,
                                            o.box)
                posed = None if res is None else posed_observation(o, res)
            if posed is None or self._disagrees(posed, o):
                # a fresh landmarker's first result that disagrees with the detector's keypoints of the same
                # person is somebody else in the crop or a collapsed pose (seen: a standing clerk read as leaning
                # back 80° with the shoulders 0.4 m low): keep the detector's points and try again later
                self.stats.landmarker_rejected += 1
                self._close_landmarker(track, frame.timestamp_s)
                continue
            o.landmarks, o.owner = res, track.id
            o.xy, o.point_score = posed.xy, posed.point_score

    def _landmarker_call(self, track: TrackState, image: np.ndarray, t_s: float, box: np.ndarray
                         ) -> LandmarkResult | None:
        """One call of the track's landmarker, counted in the stats; its result (None: nobody found)."""
        before = track.landmarker.landmarker_s
        res = track.landmarker.detect(image, t_s, box)
        self.stats.landmarker_calls += 1
        self.stats.landmarker_s += track.landmarker.landmarker_s - before
        return res

    def _disagrees(self, posed: Observation, o: Observation) -> bool:
        """A landmarker's result whose upper body lies away from the detector's keypoints of the same person."""
        return o.detected and upper_body_distance(posed, o) > self.config.merge_keypoint_distance

    def _one_per_person(self, obs: list[Observation], ids: np.ndarray, t_s: float
                        ) -> tuple[list[Observation], np.ndarray]:
        """Two tracks on one person (their image boxes overlap and they stand at the same place on the floor, or
        they are the clerk of the same station, or — where either has no floor point — their upper bodies coincide:
        without a calibration a second, shorter detection of a clerk started a track that took the clerk over, tuning
        role-play t305): the older track keeps the person, the newer one's observation is dropped, its landmarker
        closed and its track ended, so it does not take turns with the older one."""
        order = sorted(range(len(obs)), key=lambda k: (ids[k] <= 0, ids[k]))
        kept: list[int] = []
        for k in order:
            if ids[k] <= 0:
                kept.append(k)
                continue
            tk = self._tracks[int(ids[k])]
            dup = False
            for j in kept:
                if ids[j] <= 0:
                    continue
                tj = self._tracks[int(ids[j])]
                same_station = tk.role == tj.role == "clerk" and tk.station == tj.station
                located = obs[k].floor is not None and obs[j].floor is not None
                near = located and np.linalg.norm(obs[k].floor.xy_m - obs[j].floor.xy_m) < self.config.same_place_m
                if not located:
                    near = near or upper_body_distance(obs[k], obs[j]) <= self.config.merge_keypoint_distance
                overlap = iou(obs[k].box, obs[j].box) >= self.config.merge_iou \
                    or contained_fraction(obs[k].box, obs[j].box) >= self.config.same_person_contained
                if overlap and (same_station or near):
                    dup = True
                    break
            if dup:
                self._close_landmarker(tk, t_s)
                self.identity.forget(tk.id)   # else it lives on and takes the person whenever the other misses
            else:
                kept.append(k)
        kept.sort()
        return [obs[k] for k in kept], ids[kept]

    def _close_landmarker(self, track: TrackState, t_s: float, cooldown_s: float = 2.0) -> None:
        if track.landmarker is not None:
            self.stats.restarts += track.landmarker.restarts
            track.landmarker.close()
            track.landmarker = None
            track.no_landmarker_until_s = t_s + cooldown_s
            # the misses were this landmarker's: a new one starts afresh (kept, every landmarker opened after one
            # closed for its misses was closed again on its first frame: the person was never posed again)
            track.misses = 0

    def _retire(self, t_s: float) -> None:
        alive = self.identity.alive_ids()
        for tid in list(self._tracks):
            track = self._tracks[tid]
            if tid not in alive or t_s - track.last_seen_s > self.config.tracking.lost_s:
                self._close_landmarker(track, t_s)
                del self._tracks[tid]
            elif track.landmarker is not None and track.misses >= self.config.landmarker_patience:
                self._close_landmarker(track, t_s, self.config.reopen_after_misses_s)
            elif track.landmarker is not None and track.role not in ("clerk", "customer", "unknown"):
                self._close_landmarker(track, t_s)

    def _detector_visibility(self, score: np.ndarray) -> np.ndarray:
        """The detector's keypoint scores on MediaPipe's visibility scale, where later stages use 0.5 as "seen":
        a keypoint at the people stage's own threshold (``roles.detector_keypoint_score``) maps to 0.5, a sure one
        to 1, and weaker ones proportionally below."""
        thr = self.config.roles.detector_keypoint_score
        score = np.asarray(score, np.float32)
        return np.where(score >= thr, 0.5 + 0.5 * (score - thr) / (1.0 - thr), 0.5 * score / thr).astype(np.float32)

    def _reported_box(self, o: Observation, track: TrackState, t_s: float) -> np.ndarray:
        """The box (pixels) the tracks file records for the observation: a landmarker's own result between the
        detector's runs moved as far as its outline lay off the person's detector box at the last run (see
        ``PeopleConfig.detector_box_offset_s``); the stage itself tracks by the outline."""
        box = np.asarray(o.box, np.float32)
        if o.detected or o.landmarks is None or o.owner != track.id or track.detector_offset_px is None \
                or t_s - track.detector_offset_s > self.config.detector_box_offset_s:
            return box
        grown = (box[2:] - box[:2]) / np.maximum(track.detector_outline_px[2:] - track.detector_outline_px[:2], 1.0)
        out = box + track.detector_offset_px
        if np.any(np.abs(np.log(np.maximum(grown, 1e-3))) > np.log1p(self.config.detector_box_offset_max_change)) \
                or out[2] - out[0] < 2.0 or out[3] - out[1] < 2.0:
            return box
        return np.clip(out, -0.5, [self.image_width - 0.5, self.image_height - 0.5] * 2).astype(np.float32)

    def _note_detector_offsets(self, obs: list[Observation], ids, t_s: float) -> None:
        """After a detector run: how far (pixels, per edge) each landmarker's own person's outline lies off their
        detector box — the detection merged into them, else one nobody took that holds their outline
        (``same_person_contained``) and overlaps it by ``jump_box_iou`` (tuning t120's clerk was never merged)."""
        spare = [o for o, i in zip(obs, ids) if i == 0 and o.detected and o.owner is None]
        for o, tid in zip(obs, ids):
            track = self._tracks.get(int(tid))
            if track is None or o.owner != tid or o.landmarks is None:
                continue
            outline = o.landmarks.outline_box_xyxy_px()
            fits = [] if o.detected else [(iou(outline, d.box), d.box) for d in spare
                                          if inside_fraction(outline, d.box) >= self.config.same_person_contained]
            fits = [f for f in fits if f[0] >= self.config.jump_box_iou]
            box = o.box if o.detected else (max(fits, key=lambda f: f[0])[1] if fits else None)
            if box is not None:
                track.detector_offset_px = np.asarray(box, np.float32) - outline
                track.detector_offset_s, track.detector_outline_px = t_s, outline

    def _visible_box(self, box: np.ndarray, o: Observation) -> np.ndarray:
        """``box`` (pixels, the observation's) without what the counter hides of a person behind it (the detector
        and the landmarker extend a clerk's box over legs they cannot see)."""
        if self.floor is None or o.floor is None or o.floor.behind is not True:
            return np.asarray(box, np.float32)
        return self.floor.visible_box_px(box, o.floor.xy_m)

    def _person(self, o: Observation, track: TrackState, t_s: float, lent: LandmarkResult | None = None
                ) -> PersonPose:
        """The observation at time ``t_s`` (s) as the tracks file records it; ``lent``: landmarks reported in place
        of the detector's keypoints (:meth:`_lent_landmarks`)."""
        lm, xy = (o.landmarks, o.xy) if lent is None else (lent, lent.image_xy_px)
        if lm is not None:
            vis, pres, world, z, src = lm.visibility, lm.presence, lm.world_xyz_m, lm.image_z, "mediapipe"
        else:
            vis = pres = self._detector_visibility(o.point_score)
            world, z, src = np.zeros((NUM_LANDMARKS, 3), np.float32), np.zeros(NUM_LANDMARKS, np.float32), "detector"
        return PersonPose(
            track_id=track.id, role=track.role if self.floor is not None else "unknown",
            image_xy_px=xy.astype(np.float32), image_z=z, world_xyz_m=world, visibility=vis, presence=pres,
            station=track.station if track.role == "clerk" else None,
            floor_xy_m=None if o.floor is None else np.asarray(o.floor.xy_m if o.floor.reported_xy_m is None
                                                               else o.floor.reported_xy_m, np.float32),
            floor_source="" if o.floor is None else o.floor.source,
            box_xyxy_px=self._visible_box(self._reported_box(o, track, t_s), o), landmarks_source=src)

    def process(self, frame: Frame, quiet: bool = False) -> FramePoses:
        """Every person found in ``frame``, with their track id, role, floor point and landmarks. ``quiet``: the
        adaptive rate chose the frame at its quiet rate (nothing happening), so the detector's motion gate may skip
        more periodic runs (:attr:`.motion.MotionGateSettings.quiet_max_skip_frames`)."""
        t = frame.timestamp_s
        periodic = self._frame_no % max(1, self.config.detect_every_n_frames) == 0 or self._detector_only
        if periodic and self._gate.enabled and not self._detector_only and not self._pending_confirmation \
                and self._gate.may_skip(frame.image, [t_.crop_box for t_ in self._tracks.values()
                                                      if t_.landmarker is not None and t_.crop_box is not None],
                                        quiet):
            periodic = False
        self._frame_no += 1
        self.stats.frames += 1
        future = self._pool.submit(self._detect, frame) if periodic and self._pool is not None else None
        # the landmarkers' people first: located, results that jumped to somebody else dropped, twins merged
        posed_now, bent = self._posed_people(frame)
        obs = self._drop_duplicates(posed_now, t)
        missing = any(t_.landmarker is not None and t_.misses > 0 for t_ in self._tracks.values())
        dets = None
        if future is not None:
            dets = future.result()
        elif periodic or missing or self._pending_confirmation:
            dets = self._detect(frame)
        if dets is not None:
            self._gate.ran(frame.image)
            self._last_detect_s = t
            posed = list(obs)
            obs = merge_detections(obs, from_detections(dets), self.config.merge_iou,
                                   self.config.merge_keypoint_distance)
            obs = posed + self._locate(obs[len(posed):], t)
        obs, found = self._search_stations(frame, obs, dets is not None)
        obs += found
        if dets is not None:
            obs += self._search_lost(frame, obs)
        ids = self._assign_ids(obs, frame.image)
        # a detection that could start a track but has no id yet: look again next frame to confirm it
        self._pending_confirmation = any(i == 0 and o.score >= self.config.tracking.activation_score
                                         for o, i in zip(obs, ids))
        if dets is not None:
            self._note_detector_offsets(obs, ids, t)
        for o, tid in zip(obs, ids):
            if tid == 0:
                continue
            track = self._tracks.get(int(tid))
            if track is None:
                track = self._tracks[int(tid)] = TrackState(int(tid))
                self.stats.tracks += 1
            if o.owner is not None and o.owner != tid:
                # the tracker says this landmarker's person is another track: hand the landmarker over
                owner = self._tracks.get(o.owner)
                if owner is not None and owner.landmarker is not None and track.landmarker is None:
                    track.landmarker, owner.landmarker = owner.landmarker, None
                    self.stats.handovers += 1
                    # the hip height the landmarker measured may be either person's: a floor point from a wrong one
                    # lands up to a metre off over the shoulder, and the two tracks took the landmarker back and
                    # forth every frame (tuning t114)
                    owner.forget_hip_height()
                    track.forget_hip_height()
            track.box, track.last_seen_s = o.box, t
            if o.floor is not None:
                track.floor_xy_m, track.floor_s = np.asarray(o.floor.xy_m, float), t
            if o.detected:
                track.detector_box, track.detector_box_s = o.box, t
            track.crop_box = self._crop_box(track, o, t)
            if self._greys_others:
                track.body_box = body_box(o, self.config.roles.detector_keypoint_score)
            self._update_role(track, o, t)
        self._open_landmarkers(frame, obs, ids)
        obs, ids = self._one_per_person(obs, ids, t)
        persons = [self._person(o, self._tracks[int(i)], t, self._lent_landmarks(o, bent.get(int(i))))
                   for o, i in zip(obs, ids) if i > 0]
        self._retire(t)
        self._detector_only = any(t_.landmarker is None for t_ in self._tracks.values())
        self.stats.person_frames += len(persons)
        return FramePoses(frame.index, t, self.image_width, self.image_height, persons)

    def close(self) -> None:
        """Release every landmarker, the detector and the worker threads."""
        for track in self._tracks.values():
            self._close_landmarker(track, 0.0)
        if self._pool is not None:
            self._pool.shutdown()
        if self._open:
            self._open = False
            posing_ended(self.config.malloc_mmap_threshold_kb)

    def __enter__(self) -> "PeopleStage":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
