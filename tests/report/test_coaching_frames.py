"""Annotated frames read cleanly: text in Chinese and English from the shipped font, one label per person placed
off the bodies, and landmarks the product treats as hidden not drawn."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
from fontTools.ttLib import TTFont

from etiquette_cv.annotators.review import draw_review_frame
from etiquette_cv.annotators.text import FONT_FILE, TextItem, draw_texts, place_labels
from etiquette_cv.core import FramePoses, PersonPose
from etiquette_cv.report.evidence import seen_only

PKG = Path(__file__).resolve().parents[2] / "src" / "etiquette_cv"
CJK = re.compile(r"[\u3400-\u9fff]")


def test_the_shipped_font_covers_every_chinese_character_of_the_package_and_is_recorded():
    cmap = TTFont(str(FONT_FILE)).getBestCmap()
    missing = set()
    for p in PKG.rglob("*"):
        if p.suffix in (".py", ".yaml", ".j2"):
            missing.update(c for c in CJK.findall(p.read_text(encoding="utf-8")) if ord(c) not in cmap)
    assert not missing, f"rebuild the font (tools/build_font.py): missing {''.join(sorted(missing))}"
    entry = json.loads((PKG / "models" / "manifest.json").read_text(encoding="utf-8"))["fonts"][0]
    import hashlib
    assert entry["sha256"] == hashlib.sha256(FONT_FILE.read_bytes()).hexdigest()
    assert entry["origin"]["package"] == "fonts-wqy-microhei" and entry["licence"].startswith("Apache-2.0")
    assert "WenQuanYi Micro Hei" in (PKG / "models" / "NOTICE").read_text(encoding="utf-8")


def _render(text: str) -> np.ndarray:
    img = np.zeros((40, 200, 3), np.uint8)
    draw_texts(img, [TextItem(text, (0, 0), 20, panel=None)])
    return img


def test_chinese_is_drawn_as_chinese_not_question_marks():
    zh, qq = _render("站送 鞠躬"), _render("?? ??")
    assert zh.max() > 200 and not np.array_equal(zh, qq)
    assert (_render("站") > 0).sum() > 2 * (_render("?") > 0).sum()   # a hanzi has far more ink than a "?"


def test_labels_avoid_the_bodies_and_each_other():
    bodies = [(100, 100, 200, 400), (210, 90, 300, 400)]
    spots = place_labels(bodies, [(120, 26), (120, 26)], 1280, 720)
    boxes = [(x, y, x + 120, y + 26) for x, y in spots]
    for b in boxes:
        for body in bodies:
            assert b[2] <= body[0] or b[0] >= body[2] or b[3] <= body[1] or b[1] >= body[3]
    a, b = boxes
    assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


def _clerk() -> PersonPose:
    xy = np.zeros((33, 2))
    xy[11], xy[12], xy[23], xy[24] = (300, 200), (360, 200), (310, 320), (350, 320)
    xy[0], xy[7], xy[8] = (330, 150), (315, 155), (345, 155)
    xy[25], xy[26], xy[27], xy[28] = (310, 420), (350, 420), (310, 520), (350, 520)   # legs, invented
    vis = np.zeros(33)                     # landmarks not placed here are not seen
    vis[[0, 7, 8, 11, 12, 23, 24]] = 1.0
    vis[[25, 26, 27, 28]] = 0.2
    return PersonPose(1, "clerk", xy, np.zeros(33), np.zeros((33, 3)), vis, np.ones(33))


def test_hidden_landmarks_are_not_drawn_and_the_label_is_drawn_once():
    clerk = _clerk()
    frame = FramePoses(0, 0.0, 640, 600, [seen_only(clerk, None), seen_only(clerk, None)])  # twice: one label
    img = draw_review_frame(np.zeros((600, 640, 3), np.uint8), frame, None, None, None, {1: "柜员 clerk"},
                            ["站送: 达标"], blur=False)
    green = (img[:, :, 1] > 150) & (img[:, :, 0] < 120) & (img[:, :, 2] < 120)
    assert green[190:330, 290:370].any()          # the trunk is drawn
    assert not green[380:540, 280:380].any()      # the low-visibility legs are not
    rows = np.flatnonzero(green.any(axis=1))
    label_rows = rows[rows < 145]                 # the label sits above the head, once
    assert len(label_rows) > 0 and label_rows.max() - label_rows.min() < 30
    # a counter skyline hides what is below it for a person behind the counter, whatever the visibility says
    shown = seen_only(_clerk(), np.array([[0.0, 300.0], [640.0, 300.0]]))
    assert shown.presence[[23, 24, 25]].max() == 0 and shown.presence[11] == 1 and shown.presence[0] == 1


def test_a_face_is_blurred_even_when_its_landmarks_are_not_drawn():
    from etiquette_cv.report.evidence import _draw
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (600, 640, 3), dtype=np.uint8)
    customer = _clerk()
    customer = PersonPose(2, "customer", customer.image_xy_px, customer.image_z, customer.world_xyz_m,
                          np.where(np.arange(33) <= 10, 0.3, customer.visibility), np.ones(33))  # face barely seen
    customer.image_xy_px[1:11] = customer.image_xy_px[0] + rng.normal(0, 8, (10, 2))
    out = _draw(image, FramePoses(0, 0.0, 640, 600, [customer]), None, None, 2.0, {}, [], True)
    head = (slice(120, 170), slice(310, 350))
    assert out[head].astype(float).std() < 0.5 * image[head].astype(float).std()   # the head is blurred


def test_a_person_filled_into_a_gap_of_their_track_has_their_head_blurred_from_their_box():
    from dataclasses import replace
    from etiquette_cv.annotators.draw import blur_faces, head_box_px
    rng = np.random.default_rng(1)
    image = rng.integers(0, 255, (600, 640, 3), dtype=np.uint8)
    filled = replace(_clerk(), track_id=3, role="customer", landmarks_source="interpolated", station=None,
                     visibility=np.zeros(33), presence=np.zeros(33), box_xyxy_px=np.array([300, 100, 400, 500], float))
    assert head_box_px(filled, 640, 600) == (320, 100, 380, 180)
    out = image.copy()
    blur_faces(out, [filled])
    head = (slice(100, 180), slice(320, 380))
    assert out[head].astype(float).std() < 0.5 * image[head].astype(float).std()
    assert np.array_equal(out[300:, :], image[300:, :])             # nothing below the head


def test_the_marked_2_m_line_is_drawn_where_it_was_given():
    from etiquette_cv.annotators.draw import CUE_LINE_COLOUR, draw_cue_line
    from etiquette_cv.geometry.image_line import ImageLine
    img = np.zeros((360, 640, 3), np.uint8)
    draw_cue_line(img, ImageLine((40.0, 300.0), (600.0, 200.0)))
    drawn = np.all(img == CUE_LINE_COLOUR, axis=2)
    for x in (100, 320, 560):
        y = 300 + (200 - 300) * (x - 40) / 560
        assert drawn[int(round(y)) - 2:int(round(y)) + 3, x].any()
    assert not drawn[20:120, :].any() and not drawn[330:, 200:].any()     # nowhere else


def test_the_marked_line_is_labelled_with_the_rulebooks_near_distance():
    from etiquette_cv.annotators.draw import draw_cue_line
    from etiquette_cv.geometry.image_line import ImageLine
    line = ImageLine((40.0, 300.0), (600.0, 200.0))
    a, b = np.zeros((360, 640, 3), np.uint8), np.zeros((360, 640, 3), np.uint8)
    draw_cue_line(a, line)
    draw_cue_line(b, line, "1.5 m")
    label = (slice(260, 300), slice(30, 110))      # above the line's first end
    assert (a[label] != b[label]).any()
    assert (a[:, 200:] == b[:, 200:]).all()         # the same line elsewhere
