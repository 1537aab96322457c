"""The change mask of a region against its clean reference (:func:`etiquette_cv.scene.change.change_mask`)."""

from __future__ import annotations

import numpy as np

from etiquette_cv.scene.change import ChangeSettings, change_mask

SETTINGS = ChangeSettings(ratio_threshold=0.3, chroma_threshold=0.07, edge_threshold=0.8, max_shift_px=12.0,
                          person_margin=0.2, open_px=3)
PAPER = (slice(40, 48), slice(60, 73))   # 8 x 13 px, as the scene set's paper scrap on the floor (s306)


def pale_floor(seed: int = 0) -> np.ndarray:
    """A pale green floor (BGR about 150, 180, 150: grey 165) with a little texture, 120 x 160 px."""
    rng = np.random.default_rng(seed)
    base = np.array([150.0, 180.0, 150.0])
    return np.clip(base + rng.normal(0, 3, (120, 160, 1)), 0, 255).astype(np.uint8)


def test_a_white_paper_that_clips_on_a_pale_floor_is_a_change():
    """Scene tuning s306: a white paper scrap on a pale floor is rendered at 255 (clipped); clipped pixels were left
    out of the intensity comparison, and the scrap (13 x 8 px) went unseen. Clipped in the frame only, the grey level
    is a lower bound of the true one: where even that is brighter than the floor by the threshold, it is a change."""
    ref = pale_floor()
    cur = pale_floor(1)
    cur[PAPER] = 255
    valid = np.full(ref.shape[:2], 255, np.uint8)
    m = change_mask(ref, cur, valid, SETTINGS)
    assert np.count_nonzero(m[PAPER]) >= 0.8 * m[PAPER].size
    assert np.count_nonzero(m) <= 1.3 * m[PAPER].size     # the paper, not the floor around it


def test_light_that_clips_the_brightest_floor_is_not_a_change():
    """A lamp 15 % brighter clips the brightest part of a floor: those pixels are no brighter than the light
    explains, so nothing changed (a lower bound is evidence only where it exceeds what is expected)."""
    rng = np.random.default_rng(2)
    ref = np.clip(np.linspace(150, 235, 160)[None, :, None] + rng.normal(0, 2, (120, 160, 3)), 0, 255).astype(np.uint8)
    cur = np.clip(ref.astype(float) * 1.15, 0, 255).astype(np.uint8)
    assert np.count_nonzero(cur >= 250) > 1000          # a good part of it clipped
    valid = np.full(ref.shape[:2], 255, np.uint8)
    assert np.count_nonzero(change_mask(ref, cur, valid, SETTINGS)) == 0


def test_a_paper_with_a_blurred_outline_is_measured_by_the_share_of_each_pixel_it_covers():
    """A dark scrap 10.5 x 6.5 px (68.25 px²) placed off the pixel grid: its outline pixels are only partly covered
    (the renderer's antialiasing, the codec's blur), so thresholding keeps some of them and not others. Counting
    each pixel by the share of the scrap's own change it shows gives the area back."""
    from etiquette_cv.scene.change import blobs, covered_area_px, detect_changes

    ref = pale_floor()
    cur = ref.astype(float)
    y, x = np.mgrid[0:120, 0:160]
    cover = (np.clip(np.minimum(x + 1 - 60.25, 70.75 - x), 0, 1) * np.clip(np.minimum(y + 1 - 40.25, 46.75 - y), 0, 1))
    cur = np.clip(cur * (1 - 0.6 * cover[..., None]), 0, 255).astype(np.uint8)    # 60 % darker where covered
    valid = np.full(ref.shape[:2], 255, np.uint8)
    changes = detect_changes(ref, cur, valid, SETTINGS)
    (blob,) = blobs(changes.mask, 5)
    filled = np.zeros(ref.shape[:2], np.uint8)
    filled[changes.mask > 0] = 255
    true_px = float(cover.sum())
    assert true_px == 68.25
    assert abs(covered_area_px(changes.intensity, filled) - true_px) <= 0.1 * true_px
    assert abs(blob.area_px - true_px) > 0.1 * true_px          # the thresholded pixel count is off


def test_a_blob_no_brighter_than_its_surroundings_has_no_covered_area():
    """A change found by colour or edges, its intensity hardly above the floor's own noise: its extent cannot be read
    from its intensity (None: the blob's own size stands)."""
    from etiquette_cv.scene.change import covered_area_px

    rng = np.random.default_rng(3)
    intensity = np.abs(rng.normal(0.0, 0.05, (60, 60))).astype(np.float32)
    blob = np.zeros((60, 60), np.uint8)
    blob[20:30, 20:30] = 255
    intensity[20:30, 20:30] += 0.05
    assert covered_area_px(intensity, blob) is None
    intensity[20:30, 20:30] += 0.5
    assert covered_area_px(intensity, blob) is not None
