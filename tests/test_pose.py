"""Pose stage: per-region landmarkers on a clip made from a real photo, mapped back to full-frame pixels."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from etiquette_cv.pose import PoseConfig, PoseEstimator, deduplicate
from etiquette_cv.types import Frame, Landmark, PersonPose, RegionOfInterest

skimage_data = pytest.importorskip("skimage.data", reason="scikit-image (test extra) ships the astronaut photo")

FRAME_W, FRAME_H = 1280, 720


def two_person_frames(n: int = 12, step_px: int = 6):
    """Frames with the astronaut photo twice: the left copy slides right by ``step_px`` per frame, the right copy
    is mirrored and still. Returns frames and the top-left offset of each copy per frame."""
    photo = cv2.cvtColor(skimage_data.astronaut(), cv2.COLOR_RGB2BGR)
    mirror = np.ascontiguousarray(photo[:, ::-1])
    frames, offsets = [], []
    for i in range(n):
        img = np.full((FRAME_H, FRAME_W, 3), 90, np.uint8)
        lx, ly = 40 + i * step_px, 100
        img[ly:ly + 512, lx:lx + 512] = photo
        img[150:662, 720:1232] = mirror
        frames.append(Frame(index=i, timestamp_s=i * 0.1, image=img))
        offsets.append(((lx, ly), (720, 150)))
    return frames, photo


@pytest.mark.slow
def test_each_region_finds_its_person_and_maps_back_to_full_frame():
    frames, photo = two_person_frames()
    regions = [RegionOfInterest("clerk", 0, 0, 700, 720, follow=True), RegionOfInterest("customer", 660, 0, 620, 720)]
    with PoseEstimator(regions, FRAME_W, FRAME_H, PoseConfig(model="full")) as est:
        results = [est.process(f) for f in frames]
        stats = est.stats
    assert stats["clerk"].found == len(frames) and stats["customer"].found == len(frames)
    assert stats["clerk"].tracks == 1 and stats["customer"].tracks == 1
    # The left copy moves 6 px per frame: its nose must follow exactly that in full-frame pixels.
    noses = np.array([r.by_region("clerk")[0].image_xy_px[Landmark.NOSE] for r in results])
    rel = noses - np.array([[40 + i * 6, 100] for i in range(len(frames))])
    assert np.all(np.abs(rel - np.median(rel, axis=0)) < 4.0), rel
    # The mirrored still copy: its nose is the mirror of the left copy's nose within the photo.
    right = np.array([r.by_region("customer")[0].image_xy_px[Landmark.NOSE] for r in results])
    mirrored_x = 720 + (511 - np.median(rel[:, 0]))
    assert abs(np.median(right[:, 0]) - mirrored_x) < 6 and abs(np.median(right[:, 1]) - (150 + np.median(rel[:, 1]))) < 6
    # Left and right are the person's own sides: facing the camera, their left shoulder is on the image's right.
    p = results[0].by_region("clerk")[0]
    assert p.image_xy_px[Landmark.LEFT_SHOULDER, 0] > p.image_xy_px[Landmark.RIGHT_SHOULDER, 0]
    # World landmarks are metric and hip-centred.
    hips = p.world_xyz_m[[Landmark.LEFT_HIP, Landmark.RIGHT_HIP]].mean(axis=0)
    assert np.linalg.norm(hips) < 0.05
    shoulder_width = np.linalg.norm(p.world_xyz_m[Landmark.LEFT_SHOULDER] - p.world_xyz_m[Landmark.RIGHT_SHOULDER])
    assert 0.2 < shoulder_width < 0.6


@pytest.mark.slow
def test_empty_scene_finds_nobody_and_repeated_timestamps_do_not_break_video_mode():
    img = np.full((FRAME_H, FRAME_W, 3), 120, np.uint8)
    frames = [Frame(i, 0.5, img) for i in range(3)]  # the same timestamp three times
    with PoseEstimator([RegionOfInterest("clerk", 100, 100, 400, 400)], FRAME_W, FRAME_H) as est:
        assert all(est.process(f).persons == [] for f in frames)
        stats = est.stats["clerk"]
        # an empty region runs its landmarker on every 3rd frame only (PoseConfig.idle_every_n_frames)
        assert stats.frames == 1 and stats.idle_skipped == 2 and stats.found == 0


@pytest.mark.slow
def test_an_empty_region_runs_every_third_frame_and_finds_a_person_who_appears():
    frames, _ = two_person_frames(n=9, step_px=0)
    blank = np.full((FRAME_H, FRAME_W, 3), 90, np.uint8)
    seq = [Frame(i, i * 0.1, blank) for i in range(6)] + [Frame(6 + i, 0.6 + i * 0.1, f.image)
                                                           for i, f in enumerate(frames)]
    with PoseEstimator([RegionOfInterest("customer", 660, 0, 620, 720)], FRAME_W, FRAME_H) as est:
        found = [bool(est.process(f).persons) for f in seq]
        stats = est.stats["customer"]
    assert not any(found[:6])
    first = found.index(True)
    assert 6 <= first <= 8  # found within the idle stride of appearing
    assert all(found[first:])
    assert stats.frames + stats.idle_skipped == len(seq) and stats.idle_skipped >= 4


def test_region_outside_the_frame_is_rejected():
    with pytest.raises(ValueError, match="region 'x'.*outside the 1280x720 frame"):
        RegionOfInterest("x", 2000, 100, 100, 100).clip_to(1280, 720)
    assert RegionOfInterest("x", -50, -50, 200, 200).clip_to(1280, 720) == RegionOfInterest("x", 0, 0, 150, 150)


def test_region_names_must_be_unique():
    with pytest.raises(ValueError, match="unique"):
        PoseEstimator([RegionOfInterest("a", 0, 0, 10, 10), RegionOfInterest("a", 5, 5, 10, 10)], 100, 100)


def _person(region: str, centre: tuple[float, float], size: float = 100.0) -> PersonPose:
    xy = np.zeros((33, 2), np.float32)
    cx, cy = centre
    xy[[11, 12, 23, 24]] = [(cx - size / 4, cy - size / 2), (cx + size / 4, cy - size / 2),
                            (cx - size / 5, cy + size / 2), (cx + size / 5, cy + size / 2)]
    ones = np.ones(33, np.float32)
    return PersonPose(1, region, xy, np.zeros(33, np.float32), np.zeros((33, 3), np.float32), ones, ones)


def test_deduplicate_keeps_the_region_nearest_the_person():
    regions = {"clerk": RegionOfInterest("clerk", 0, 0, 400, 400), "customer": RegionOfInterest("customer", 300, 0, 400, 400)}
    a, b = _person("clerk", (380, 200)), _person("customer", (385, 205))
    kept = deduplicate([a, b], regions)
    assert [p.region for p in kept] == ["customer"]  # the customer region's centre (500, 200) is nearer
    far = _person("clerk", (100, 200))
    assert len(deduplicate([far, b], regions)) == 2
