"""The scene checks run periodically over a video: counter-top clutter, floor debris, lighting, staff in the
waiting area → findings with evidence images (faces pixelated).

:class:`SceneChecker` takes one frame at a time (the review's second pass now, a live camera later);
:func:`run_scene_checks` drives it over a video file with the tracks' people.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import cv2
import numpy as np

from ..core import FramePoses, PersonPose
from ..geometry.calibration import ALLOW_ZONE_PREFIX, Calibration
from ..geometry.camera import CameraModel
from ..io.privacy import cover_private
from ..io.video import VideoSource
from ..rules.findings import Finding, Verdict
from ..rules.rulebook import Rulebook
from .change import (Blob, Changes, align, blobs, covered_area_px, detect_changes, estimate_shift_px, people_mask,
                     person_box_px, plane_size, polygon_mask)
from .hall import LightSample, lighting_findings, region_luma, scene_finding, staff_findings
from .objects import ObjectTracker, SceneObject, unpack_image
from .reference import Reference, ReferenceLearner, load_reference
from .settings import RegionSettings, SceneSettings, scene_settings
from .stays import CounterStays

MIN_BLOB_PX = 6
"""Blobs smaller than this many pixels are noise whatever their size on the plane."""
POSE_MATCH_S = 0.3
"""A check frame takes the people of the tracks frame nearest in time, when within this."""


@dataclass
class SceneResult:
    """What the scene checks found: findings, which rules were assessed, and why others were not."""

    findings: list[Finding] = field(default_factory=list)
    assessed: list[str] = field(default_factory=list)
    not_assessable: dict[str, str] = field(default_factory=dict)
    """Rule id → why it could not be assessed."""
    objects: list[SceneObject] = field(default_factory=list)
    """The objects reported as clutter or debris."""
    handed_over: list[tuple[SceneObject, int]] = field(default_factory=list)
    """Counter-top objects that came and went within one customer's stay at the counter (:mod:`.stays`), with that
    customer's track id: the transaction's, not clutter."""
    reference_source: str | None = None
    checks: int = 0


@dataclass
class _Region:
    """State of one region check (counter top or floor)."""

    name: str
    settings: RegionSettings
    mask: np.ndarray
    plane_z_m: float
    tracker: ObjectTracker
    rect: tuple[int, int, int, int] = (0, 0, 0, 0)
    """Bounding box (x, y, w, h) of the region's mask, pixels."""
    small_mask: np.ndarray | None = None
    """Quarter-size pixels the region touches (bool)."""
    assessed_checks: int = 0
    first_s: float | None = None
    last_s: float | None = None
    last_update: tuple | None = None
    """The last full check's tracker update (found, visible mask), whether it assessed the region and which blobs
    could start an object: an unchanged frame repeats them."""


def pixelate_heads(image: np.ndarray, persons: list[PersonPose]) -> np.ndarray:
    """A copy of ``image`` with the top fifth of everybody's box (the head) pixelated: personal information."""
    out = image.copy()
    h, w = out.shape[:2]
    for p in persons:
        x0, y0, x1, y1 = person_box_px(p)
        if not np.all(np.isfinite([x0, y0, x1, y1])):
            continue
        a, b = int(max(0, x0)), int(max(0, y0))
        c, d = int(min(w, x1 + 1)), int(min(h, y0 + 0.2 * (y1 - y0) + 1))
        if c - a < 2 or d - b < 2:
            continue
        small = cv2.resize(out[b:d, a:c], (max(1, (c - a) // 10), max(1, (d - b) // 10)), interpolation=cv2.INTER_AREA)
        out[b:d, a:c] = cv2.resize(small, (c - a, d - b), interpolation=cv2.INTER_NEAREST)
    return out


class SceneChecker:
    """Counter-top clutter, floor debris and lighting from frames handed to :meth:`check` one at a time."""

    def __init__(self, cal: Calibration, camera: CameraModel, settings: SceneSettings,
                 reference: Reference | None = None) -> None:
        self.cal, self.camera, self.s = cal, camera, settings
        self.shape = (cal.image_height, cal.image_width)
        self._small_size = (max(1, cal.image_width // 4), max(1, cal.image_height // 4))
        """(width, height) of the quarter-size images the shortcut compares."""
        self.reference = reference
        self.learner = None if reference is not None else ReferenceLearner(settings.reference_learn_s)
        allow = [z.image_px for n, z in cal.zones.items() if n.startswith(ALLOW_ZONE_PREFIX)]
        # the privacy masks are never looked at: like the allow-list, out of every region
        masks = cal.privacy[0]
        private = cv2.bitwise_not(polygon_mask(self.shape, masks))
        self.allow = polygon_mask(self.shape, allow + masks)
        self.regions: list[_Region] = []
        for name, rs, z in (("counter_top", settings.clutter, cal.counter.height_m), ("floor_check", settings.debris, 0.0)):
            if rs is not None and name in cal.zones:
                mask = cv2.bitwise_and(polygon_mask(self.shape, [cal.zones[name].image_px]), cv2.bitwise_not(self.allow))
                tracker = ObjectTracker(name, rs.min_dwell_s, rs.max_misses, rs.match_iou, rs.merged_cover,
                                        rs.merged_max_growth)
                self.regions.append(_Region(name, rs, mask, z, tracker, cv2.boundingRect(mask),
                                            cv2.resize(mask, self._small_size, interpolation=cv2.INTER_AREA) > 0))
        self.light: list[LightSample] = []
        self.light_masks = {"frame": private}
        for name in ("counter_top", "floor_check"):
            if name in cal.zones:
                self.light_masks[name] = cv2.bitwise_and(polygon_mask(self.shape, [cal.zones[name].image_px]), private)
        self.checks = 0
        self.moved = 0
        self.repeated = 0
        """Checks that repeated the last full check's result: nothing but people changed since it."""
        self._last_full: tuple[np.ndarray, np.ndarray, list[LightSample], np.ndarray] | None = None
        """(quarter-size grey frame, quarter-size people mask, light samples, shown image) of the last full check."""
        self._last_full_s = 0.0
        self._seen_small: np.ndarray | None = None
        """Quarter-size grey scene as full checks last saw each pixel outside people where they found nothing (the
        clean reference where none did)."""
        self.t0: float | None = None
        self.evidence: dict[int, tuple[float, np.ndarray]] = {}
        """Frame index → (time, pixelated aligned image) of the few frames kept as evidence: the first check of
        each lighting window and the checks nearest to :attr:`wanted_s`."""
        self.wanted_s: list[float] = []
        """Times whose nearest check frame is kept as evidence (e.g. staff in the waiting area)."""
        self._nearest: dict[float, tuple[float, int]] = {}
        c = settings.clutter
        self.stays = None if c is None or c.transaction_near_m <= 0 else CounterStays(
            np.asarray(cal.counter.edge_m, float), cal.counter.customer_side, c.transaction_near_m,
            c.transaction_grace_s)

    def check(self, t_s: float, frame_index: int, image: np.ndarray, persons: list[PersonPose]) -> None:
        """One periodic check of a BGR frame of the calibration's size, with the people seen in it."""
        self.checks += 1
        self.t0 = t_s if self.t0 is None else self.t0
        if self.stays is not None:
            self.stays.add(t_s, persons)
        small = self._small_grey(image)
        if self._unchanged(t_s, small, persons):
            self._repeat_last(t_s, frame_index)
            return
        shift = (0.0, 0.0)
        if self.reference is not None:
            shift = estimate_shift_px(self.reference.image, image)
            if np.hypot(*shift) > (self.regions[0].settings.change.max_shift_px if self.regions else 12.0):
                self.moved += 1
                return
        aligned = align(image, shift)
        hidden_c = align(people_mask(self.shape, persons, self._margin("counter_top")), shift)
        if self.reference is None:
            self.reference = self.learner.add(t_s, aligned, hidden_c)
            if self.reference is not None:
                self.learner = None   # its frames are not needed any more
            return
        shown = pixelate_heads(aligned, persons)
        for region in self.regions:
            self._check_region(region, t_s, frame_index, aligned, shown, persons, shift)
        grey = cv2.cvtColor(aligned, cv2.COLOR_BGR2GRAY)
        ref_grey = cv2.cvtColor(self.reference.image, cv2.COLOR_BGR2GRAY)
        light = []
        for name, mask in self.light_masks.items():
            m = cv2.bitwise_and(cv2.bitwise_and(mask, cv2.bitwise_not(hidden_c)), self.reference.valid)
            luma = region_luma(grey, m)
            if luma is not None:
                light.append(LightSample(t_s, frame_index, name, luma, region_luma(ref_grey, m)))
        self.light += light
        self._keep_evidence(t_s, frame_index, shown)
        if np.hypot(*shift) < 1.0:   # a shaken frame is not a good base for repeating
            people_small = self._people_small(persons)
            self._last_full = (small, people_small, light, shown)
            self._last_full_s = t_s
            self._remember_seen(small, people_small)

    def _remember_seen(self, small: np.ndarray, people_small: np.ndarray) -> None:
        """Keep what a full check saw outside everybody as the scene a person may uncover later without a new full
        check — but where it found a change (a blob's box grown by a quarter-size pixel) or left a region
        unassessed."""
        keep = people_small == 0
        for region in self.regions:
            if region.last_update is None:
                continue
            if not region.last_update[2]:   # too much of it hidden to be compared: nothing was looked at there
                keep &= ~region.small_mask
            for blob, _ in region.last_update[0]:
                x0, y0, x1, y1 = (blob.box_xyxy_px / 4.0).astype(int)
                keep[max(0, y0 - 1):y1 + 2, max(0, x0 - 1):x1 + 2] = False
        seen = self._seen_scene()
        seen[keep] = small[keep]

    def _seen_scene(self) -> np.ndarray:
        """:attr:`_seen_small`, started from the clean reference the first time it is needed."""
        if self._seen_small is None:
            self._seen_small = self._small_grey(self.reference.image)
        return self._seen_small

    def _small_grey(self, image: np.ndarray) -> np.ndarray:
        return cv2.resize(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), self._small_size, interpolation=cv2.INTER_AREA)

    def _unchanged(self, t_s: float, small: np.ndarray, persons: list[PersonPose]) -> bool:
        """Whether nothing but people changed since the last full check: what anybody uncovered since looks as a
        full check last saw it where it found nothing (the clean reference where none saw it), and no pixel of the
        quarter-size grey frame outside everybody (a clerk's silhouette, as the counter-top check masks them, so the
        desk in front of a seated clerk stays watched) moved more than the setting."""
        level = self.s.unchanged_grey_level
        if level <= 0 or self._last_full is None or self.reference is None:
            return False
        last_small, last_people, _, _ = self._last_full
        people = self._people_small(persons)
        revealed = (last_people > 0) & (people == 0)
        if revealed.any():
            # what somebody hid at the last full check is in view now: unchanged only if it looks as a full check
            # last saw it (a seated clerk's rim the silhouette misses, seen again as she shifts), but for spots
            # small enough to be such a rim seen for the first time, for a short while
            differs = ((cv2.absdiff(small, self._seen_scene()) > level) & revealed).astype(np.uint8)
            if differs.any() and (_largest_spot_px(differs) > self.s.unchanged_spot_px
                                  or t_s - self._last_full_s >= self.s.repeat_for_at_most_s):
                return False
        diff = cv2.absdiff(small, last_small)
        return not np.any((diff > level) & (people == 0))

    def _people_small(self, persons: list[PersonPose]) -> np.ndarray:
        """Quarter-size mask of the people as the counter-top check hides them, grown by one small pixel."""
        mask = people_mask(self.shape, persons, self._margin("counter_top"), silhouettes=True)
        small = cv2.resize(mask, self._small_size, interpolation=cv2.INTER_AREA)
        return cv2.dilate((small > 0).astype(np.uint8) * 255, np.ones((3, 3), np.uint8))

    def _repeat_last(self, t_s: float, frame_index: int) -> None:
        """Count this check as the last full one again, at this time: same objects, same light."""
        self.repeated += 1
        _, _, light, shown = self._last_full
        self.light += [LightSample(t_s, frame_index, s.region, s.luma, s.reference_luma) for s in light]
        for region in self.regions:
            if region.last_update is None:
                continue
            found, visible, assessed, clear = region.last_update
            if assessed:
                region.assessed_checks += 1
                region.last_s = t_s
            region.tracker.update(t_s, frame_index, found, visible, shown, clear)
        self._keep_evidence(t_s, frame_index, shown)

    def _keep_evidence(self, t_s: float, frame_index: int, shown: np.ndarray) -> None:
        window = self.s.lighting.value("window_s") if self.s.lighting is not None else 3600.0
        keep = not any(int((t - self.t0) // window) == int((t_s - self.t0) // window) for t, _ in self.evidence.values())
        for w in self.wanted_s:
            best = self._nearest.get(w)
            if best is None or abs(t_s - w) < best[0]:
                if best is not None:
                    self.evidence.pop(best[1], None)
                self._nearest[w] = (abs(t_s - w), frame_index)
                keep = True
        if keep:
            self.evidence[frame_index] = (t_s, shown)

    def _margin(self, name: str) -> float:
        return next((r.settings.change.person_margin for r in self.regions if r.name == name), 0.12)

    def _check_region(self, region: _Region, t_s: float, frame_index: int, aligned: np.ndarray, shown: np.ndarray,
                      persons: list[PersonPose], shift: tuple[float, float]) -> None:
        rs = region.settings
        # the silhouettes of everybody with landmarks or keypoints (a seated clerk's box would hide the desk in front
        # of them; a customer's box, a cup beside them: tuning scenes s303, s308); on the floor with the bottom of
        # their box (feet, shadows)
        hidden = align(people_mask(self.shape, persons, rs.change.person_margin, True, rs.feet_box_fraction), shift)
        valid = cv2.bitwise_and(cv2.bitwise_and(region.mask, cv2.bitwise_not(hidden)), self.reference.valid)
        if cv2.countNonZero(valid) < rs.min_visible_fraction * max(1, cv2.countNonZero(region.mask)):
            region.tracker.update(t_s, frame_index, [], valid, shown)
            region.last_update = ([], valid, False, [])
            return
        region.assessed_checks += 1
        region.first_s = t_s if region.first_s is None else region.first_s
        region.last_s = t_s
        x, y, w, h = region.rect   # the comparison runs on the region's bounding box only
        crop = (slice(y, y + h), slice(x, x + w))
        changes = detect_changes(self.reference.image[crop], aligned[crop], valid[crop], rs.change)
        found = []
        for blob in blobs(changes.mask, MIN_BLOB_PX, (x, y)):
            size = plane_size(self.camera, blob.contour_px, region.plane_z_m, blob.area_px)
            if np.isfinite(size[0]) and size[0] >= rs.min_area_cm2:
                found.append((blob, self._reported_size(blob, size, changes, (x, y), region)))
        clear = [True] * len(found)
        if found and rs.attached_px is not None:   # a blob touching a person may be their hair, clothes or shadow
            k = 2 * int(round(rs.attached_px)) + 1
            near = cv2.dilate(self._attachable(region, persons, hidden, shift), np.ones((k, k), np.uint8))
            clear = [not _touches(near, blob) for blob, _ in found]
        region.tracker.update(t_s, frame_index, found, valid, shown, clear)
        region.last_update = (found, valid, True, clear)

    def _reported_size(self, blob: Blob, size: tuple[float, float, float], changes: Changes, origin: tuple[int, int],
                       region: _Region) -> tuple[float, float, float]:
        """The size (cm², cm, cm) a finding reports for a blob found with ``size``: its area from the share of its
        intensity change each outline pixel shows (:func:`.change.covered_area_px`) where its intensity changed
        enough, else ``size``. Whether a blob is big enough to count is decided on ``size``. On the scene set's
        tuning clips two paper scraps on the floor read 0.79 and 1.06 of their true area before, 1.00 and 1.05 so
        (a third, whose inside changed too little over the floor's texture, keeps 0.76)."""
        filled = np.zeros(changes.mask.shape, np.uint8)
        cv2.drawContours(filled, [np.round(blob.contour_px - origin).astype(np.int32)], -1, 255, -1)
        covered = covered_area_px(changes.intensity, filled)
        if covered is None:
            return size
        return plane_size(self.camera, blob.contour_px, region.plane_z_m, covered, area_is_covered=True)

    def _attachable(self, region: _Region, persons: list[PersonPose], hidden: np.ndarray,
                    shift: tuple[float, float]) -> np.ndarray:
        """The mask of the people a change may belong to, from ``hidden`` (the region's mask of everybody): on the
        counter top everybody but the clerks MediaPipe posed (what lies on a desk touches its seated clerk all day
        long: the bundled clutter sample's box; a clerk drawn from the detector's 17 keypoints has no hands, which
        then show beside the silhouette: tuning scene s302), on the floor everybody."""
        others = [p for p in persons if p.role != "clerk" or p.landmarks_source != "mediapipe"]
        if region.name != "counter_top" or len(others) == len(persons):
            return hidden
        return align(people_mask(self.shape, others, region.settings.change.person_margin, True), shift)

    def finish(self) -> SceneResult:
        """Findings of every check run so far (no evidence image written: see :func:`write_evidence`)."""
        res = SceneResult(checks=self.checks, reference_source=self.reference.source if self.reference else None)
        configured = {"counter_top": self.s.clutter, "floor_check": self.s.debris}
        for name, rs in configured.items():
            if rs is None:
                continue
            region = next((r for r in self.regions if r.name == name), None)
            why = self._why_not(name, region)
            if why:
                res.not_assessable[rs.rule.id] = why
                continue
            res.assessed.append(rs.rule.id)
            # a finding quotes the object's reported size (its largest sighting): one read below the threshold is
            # not reported, though its pixel count let it be followed (tuning scene s306: a 23-cm² sliver against
            # the 25-cm² threshold)
            objects = [o for o in region.tracker.finish() if not o.area_cm2 < rs.min_area_cm2]
            handed = self._handed_over(objects) if name == "counter_top" else []
            res.handed_over += handed
            objects = [o for o in objects if all(o is not h for h, _ in handed)]
            res.objects += objects
            res.findings += [self._object_finding(rs, o, region) for o in objects]
            if not objects:
                res.findings.append(scene_finding(
                    rs.rule, Verdict.MET, region.first_s, region.last_s, name,
                    threshold_text=self._threshold(rs), threshold_value=rs.min_area_cm2,
                    threshold_source=rs.rule.source("min_area_cm2"),
                    note=f"nothing foreign found in {region.assessed_checks} checks (reference: "
                         f"{res.reference_source})" + "".join(
                             f"; an object at {o.first_s:.1f}-{o.last_s:.1f} s came and went with customer#{tid} "
                             f"at the counter (handed over: not clutter)" for o, tid in handed)))
        if self.s.lighting is not None:
            if self.light:
                res.assessed.append(self.s.lighting.id)
                res.findings += lighting_findings(self.light, self.s.lighting, self.t0 or 0.0)
            else:
                res.not_assessable[self.s.lighting.id] = self._why_not("frame", None) or "no frame was checked"
        return res

    def _handed_over(self, objects: list[SceneObject]) -> list[tuple[SceneObject, int]]:
        """The objects seen gone (not merely hidden since) that came and went within one customer's stay at the
        counter, with that customer's track id (:mod:`.stays`)."""
        if self.stays is None:
            return []
        out = []
        for o in objects:
            stay = self.stays.stay_holding(o.first_s, o.last_s) if o.gone_s is not None else None
            if stay is not None:
                out.append((o, stay[0]))
        return out

    def _why_not(self, name: str, region: _Region | None) -> str:
        if name != "frame" and name not in self.cal.zones:
            return f"{self.cal.source}: no zones.{name}: the region to check is not calibrated"
        if self.checks == 0:
            return "no video frame was checked (re-grading a tracks file without the video)"
        if self.moved == self.checks:
            return "the camera moved away from its reference view in every check"
        if self.reference is None:
            return "no reference: the recording was too short to learn the empty scene"
        if region is not None and region.assessed_checks == 0:
            return f"{name} was hidden by people (or somebody stood on it) in every check"
        return ""

    @staticmethod
    def _threshold(rs: RegionSettings) -> str:
        return f"no foreign object ≥ {rs.min_area_cm2:g} cm² staying ≥ {rs.min_dwell_s:g} s"

    def _object_finding(self, rs: RegionSettings, o: SceneObject, region: _Region) -> Finding:
        x0, y0, x1, y1 = (int(round(v)) for v in o.box_xyxy_px)
        still = o.last_s >= (region.last_s or o.last_s)
        plane = "counter-top plane" if region.name == "counter_top" else "floor"
        return scene_finding(
            rs.rule, Verdict.VIOLATION, o.first_s, o.last_s, region.name,
            measured_value=round(o.area_cm2, 1), measured_unit="cm²", threshold_text=self._threshold(rs),
            threshold_value=rs.min_area_cm2, threshold_source=rs.rule.source("min_area_cm2"),
            evidence_t_s=o.evidence_t_s, evidence_frame_index=o.evidence_frame_index,
            note=f"object at image box ({x0}, {y0}, {x1}, {y1}) px, {o.length_cm:.0f} × {o.width_cm:.0f} cm "
                 f"on the {plane}; appeared at {o.first_s:.1f} s, stayed {o.duration_s:.1f} s"
                 + (" (still there at the last check)" if still else ""))


def _touches(mask: np.ndarray, blob: Blob) -> bool:
    """Whether any pixel of the blob's outline lies on ``mask``."""
    h, w = mask.shape
    pts = np.round(blob.contour_px).astype(int)
    return bool(np.any(mask[np.clip(pts[:, 1], 0, h - 1), np.clip(pts[:, 0], 0, w - 1)] > 0))


def write_evidence(result: SceneResult, checker: SceneChecker, out_dir: Path) -> list[Path]:
    """One JPEG per finding with an evidence frame: the region outlined, the object boxed, heads pixelated."""
    out_dir.mkdir(parents=True, exist_ok=True)
    objects = {(o.region, o.first_s): o for o in result.objects}
    written = []
    for n, f in enumerate(result.findings):
        if f.evidence_frame_index is None:
            continue
        obj = objects.get((f.person, f.start_s))
        img = unpack_image(obj.evidence_image) if obj is not None and obj.evidence_image is not None else \
            _nearest_evidence(checker, f.evidence_t_s)
        if img is None:
            continue
        img = img.copy()
        cover_private(img, *checker.cal.privacy)
        zone = checker.cal.zones.get(f.person.removeprefix("hall:"))
        if zone is not None and zone.image_px is not None:
            cv2.polylines(img, [np.round(zone.image_px).astype(np.int32)], True, (0, 220, 255), 1)
        if obj is not None:
            x0, y0, x1, y1 = (int(round(v)) for v in obj.box_xyxy_px)
            cv2.rectangle(img, (x0 - 2, y0 - 2), (x1 + 2, y1 + 2), (0, 0, 255), 2)
        label = f"{f.rule_id} t={f.evidence_t_s:.1f}s {f.measured_value if f.measured_value is not None else ''}" \
                f" {f.measured_unit}"
        cv2.putText(img, label, (8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(img, label, (8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
        path = out_dir / f"scene_{n + 1:03d}_{f.rule_id}.jpg"
        cv2.imwrite(str(path), img, [cv2.IMWRITE_JPEG_QUALITY, 85])
        f.evidence_image = str(path)
        written.append(path)
    return written


def _nearest_evidence(checker: SceneChecker, t_s: float | None) -> np.ndarray | None:
    if t_s is None or not checker.evidence:
        return None
    return min(checker.evidence.values(), key=lambda e: abs(e[0] - t_s))[1]


class _NearestPoses:
    """The people of the tracks frame nearest in time to each check (within :data:`POSE_MATCH_S`), from frames
    streamed in time order for checks asked in time order (only two frames are held)."""

    def __init__(self, frames: Iterable[FramePoses]) -> None:
        self._frames = iter(frames)
        self._before: FramePoses | None = None
        self._after: FramePoses | None = next(self._frames, None)

    def at(self, t_s: float) -> list[PersonPose]:
        """The people at ``t_s`` (s); empty when no frame is near enough."""
        while self._after is not None and self._after.timestamp_s <= t_s:
            self._before, self._after = self._after, next(self._frames, None)
        near = [f for f in (self._before, self._after) if f is not None]
        if not near:
            return []
        best = min(near, key=lambda f: abs(f.timestamp_s - t_s))   # a tie: the earlier frame
        return best.persons if abs(best.timestamp_s - t_s) <= POSE_MATCH_S else []


def _largest_spot_px(mask: np.ndarray) -> int:
    """Pixels of the largest 8-connected spot of a 0/1 mask (0 when empty)."""
    if not mask.any():
        return 0
    _, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    return int(stats[1:, cv2.CC_STAT_AREA].max())


def run_scene_checks(video: str | Path | None, frames: Iterable[FramePoses], cal: Calibration, camera: CameraModel,
                     rb: Rulebook, evidence_dir: Path | None = None, staff: list[Finding] | None = None
                     ) -> SceneResult:
    """Every scene check of ``rb`` over ``video`` (decoded again at the check period) with the people of
    ``frames`` (any time-ordered iterable, streamed); staff in the waiting area from the tracks alone (``staff``:
    those findings already made by a streamed review, else made here from ``frames``, then a list). Evidence JPEGs
    go to ``evidence_dir``."""
    s = scene_settings(rb)
    reference = load_reference(cal.reference_frames[0], cal.image_width, cal.image_height) \
        if cal.reference_frames else None
    checker = SceneChecker(cal, camera, s, reference)
    if staff is None:
        staff = staff_findings(frames, s.staff) if s.staff is not None and "waiting" in cal.zones else []
    checker.wanted_s = [f.evidence_t_s for f in staff if f.evidence_t_s is not None]
    if video is not None and (s.clutter or s.debris or s.lighting):
        people = _NearestPoses(frames)
        for frame in VideoSource(video, analysis_fps=1.0 / s.period_s):
            checker.check(frame.timestamp_s, frame.index, frame.image, people.at(frame.timestamp_s))
    result = checker.finish()
    if s.staff is not None:
        if "waiting" not in cal.zones:
            result.not_assessable[s.staff.id] = f"{cal.source}: no zones.waiting: the waiting area is not calibrated"
        else:
            result.assessed.append(s.staff.id)
            result.findings += staff
    if evidence_dir is not None:
        write_evidence(result, checker, evidence_dir)
    return result
