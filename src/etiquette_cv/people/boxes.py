"""Image boxes (x0, y0, x1, y1 in pixels): overlap of people's boxes."""

from __future__ import annotations

import numpy as np


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union (0-1) of every box in ``a`` (N, 4) with every box in ``b`` (M, 4) -> (N, M)."""
    a = np.asarray(a, float).reshape(-1, 4)
    b = np.asarray(b, float).reshape(-1, 4)
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    ix = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    iy = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = ix * iy
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union (0-1) of two boxes."""
    return float(iou_matrix(a, b)[0, 0])


def _intersection_area(a: np.ndarray, b: np.ndarray) -> float:
    """Area (square pixels) of the overlap of two boxes given as 4-element float arrays."""
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def contained_fraction(a: np.ndarray, b: np.ndarray) -> float:
    """Share (0-1) of the smaller of two boxes that lies inside the other."""
    a, b = np.asarray(a, float).ravel()[:4], np.asarray(b, float).ravel()[:4]
    inter = _intersection_area(a, b)
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return float(inter / smaller) if smaller > 0 else 0.0


def inside_fraction(a: np.ndarray, b: np.ndarray) -> float:
    """Share (0-1) of box ``a`` that lies inside box ``b`` (0 for an empty ``a``)."""
    a, b = np.asarray(a, float).ravel()[:4], np.asarray(b, float).ravel()[:4]
    inter = _intersection_area(a, b)
    area = (a[2] - a[0]) * (a[3] - a[1])
    return float(inter / area) if area > 0 else 0.0
