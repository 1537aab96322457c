"""Text on frames in any language: Pillow with the CJK font that ships in ``models/`` (a subset of WenQuanYi Micro
Hei, Apache-2.0; ``tools/build_font.py``), and labels placed off the bodies.

OpenCV's ``putText`` knows no Chinese ("??") and, drawn twice for an outline, ghosts with the fonts of recent
OpenCV builds; here every piece of text is drawn once, on its own translucent panel. Sizes are pixels; images are
BGR uint8, drawn on in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .. import models

FONT_FILE = Path(models.__file__).resolve().parent / "wqy_microhei_subset.ttf"
PAD_PX = 4
"""Panel padding around a text, pixels."""


@dataclass(frozen=True)
class TextItem:
    """One piece of text: its top-left corner (pixels), height, colours (BGR) and panel opacity."""

    text: str
    xy_px: tuple[int, int]
    size_px: int = 18
    colour: tuple[int, int, int] = (255, 255, 255)
    panel: tuple[int, int, int] | None = (0, 0, 0)
    panel_alpha: float = 0.6


@lru_cache(maxsize=16)
def font(size_px: int) -> ImageFont.FreeTypeFont:
    """The shipped label font at ``size_px`` pixels."""
    return ImageFont.truetype(str(FONT_FILE), size_px)


def text_size_px(text: str, size_px: int) -> tuple[int, int]:
    """Width and height (pixels) of ``text`` with its panel padding."""
    x0, y0, x1, y1 = font(size_px).getbbox(text or " ")
    return int(x1 - min(0, x0)) + 2 * PAD_PX, int(max(y1, size_px)) + 2 * PAD_PX


def draw_texts(image: np.ndarray, items: list[TextItem]) -> None:
    """Draw every item, each once, on its translucent panel (one Pillow pass per image)."""
    if not items:
        return
    h, w = image.shape[:2]
    for it in items:  # panels first, blended in numpy
        if it.panel is None:
            continue
        tw, th = text_size_px(it.text, it.size_px)
        x0, y0 = max(0, it.xy_px[0]), max(0, it.xy_px[1])
        x1, y1 = min(w, it.xy_px[0] + tw), min(h, it.xy_px[1] + th)
        if x1 > x0 and y1 > y0:
            roi = image[y0:y1, x0:x1].astype(np.float32)
            roi = roi * (1 - it.panel_alpha) + np.array(it.panel, np.float32) * it.panel_alpha
            image[y0:y1, x0:x1] = roi.astype(np.uint8)
    pil = Image.fromarray(image[:, :, ::-1])
    draw = ImageDraw.Draw(pil)
    for it in items:
        b, g, r = it.colour
        draw.text((it.xy_px[0] + PAD_PX, it.xy_px[1] + PAD_PX), it.text, font=font(it.size_px), fill=(r, g, b))
    image[:] = np.asarray(pil)[:, :, ::-1]


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(w, 0.0) * max(h, 0.0)


def place_labels(bodies: list[tuple[float, float, float, float]], sizes: list[tuple[int, int]], width: int,
                 height: int, keep_clear: list[tuple[float, float, float, float]] = ()) -> list[tuple[int, int]]:
    """Top-left corners (pixels) for one label per body box: above it, else beside its head (right, left), else
    below it — the first place inside the image that covers no body, no other label and nothing in
    ``keep_clear`` (e.g. the caption panel); failing that, the place that covers least."""
    placed: list[tuple[float, float, float, float]] = []
    out = []
    for (x0, y0, x1, y1), (tw, th) in zip(bodies, sizes):
        cx = (x0 + x1) / 2
        candidates = [(cx - tw / 2, y0 - th - 6), (x1 + 8, y0), (x0 - tw - 8, y0), (cx - tw / 2, y1 + 6)]
        best, best_cost = None, None
        for lx, ly in candidates:
            lx = float(np.clip(lx, 0, max(0, width - tw)))
            ly = float(np.clip(ly, 0, max(0, height - th)))
            box = (lx, ly, lx + tw, ly + th)
            cost = sum(_overlap(box, b) for b in list(bodies) + placed + list(keep_clear))
            if best_cost is None or cost < best_cost - 1e-6:
                best, best_cost = box, cost
            if cost == 0:
                break
        placed.append(best)
        out.append((int(best[0]), int(best[1])))
    return out
