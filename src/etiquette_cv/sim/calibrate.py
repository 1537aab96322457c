"""A calibration for a scenario's virtual camera, made the way a user would: floor marks seen in the image."""

from __future__ import annotations

import cv2
import numpy as np

from .camera import VirtualCamera
from .landmarks import FRONT_PANEL_DEPTH_M
from .scenario import CounterSpec, Scenario


def calibration_dict(scenario: Scenario, camera: VirtualCamera | None = None, click_noise_px: float = 0.0,
                     seed: int = 0) -> dict:
    """A calibration mapping (the YAML schema of ``calibration/README.md``) for the scenario's camera: floor marks on
    a 0.5 m grid that fall inside the image (pixels with optional click noise), the counter edge, the clerk's
    station and floor zones."""
    cam = camera or VirtualCamera.from_spec(scenario.camera)
    rng = np.random.default_rng(seed)
    counter = scenario.scene.counter
    x0, x1 = (counter.x0_m, counter.x1_m) if counter is not None else (-1.0, 1.0)
    marks = []
    for x in np.arange(-3.0, 3.01, 0.5):
        for y in np.arange(-2.0, 6.01, 0.5):
            px = cam.project(np.array([x, y, 0.0]))
            if np.all(np.isfinite(px)) and 20 <= px[0] < cam.width - 20 and 20 <= px[1] < cam.height - 20:
                px = px + rng.normal(0.0, click_noise_px, 2)
                marks.append({"pixel": [float(px[0]), float(px[1])], "floor_m": [float(x), float(y)]})
    marks = marks[:: max(1, len(marks) // 16)]  # a user tapes a dozen or so marks, not a hundred
    clerk = next((p for p in scenario.persons if p.role == "clerk"), None)
    station = clerk.sample(0.0).pos_m if clerk is not None else np.array([0.0, -0.75])
    sx, sy = float(station[0]), float(station[1])
    seen = np.array([m["floor_m"] for m in marks if m["floor_m"][1] > 0.0] or [[-1.0, 1.0], [1.0, 3.0]])
    cx0, cx1, cy1 = float(seen[:, 0].min()), float(seen[:, 0].max()), float(max(seen[:, 1].max(), 1.0))
    zones = {
        "clerk": {"floor_m": [[sx - 0.8, sy - 0.7], [sx + 0.8, sy - 0.7], [sx + 0.8, -0.05], [sx - 0.8, -0.05]]},
        "customer_approach": {"floor_m": [[cx0, 0.05], [cx1, 0.05], [cx1, cy1], [cx0, cy1]]},
    }
    top = counter_top_px(cam, counter) if counter is not None else None
    if top is not None:
        zones["counter_top"] = {"image_px": top}
    return {
        "version": 1,
        "name": scenario.name,
        "image_size": [cam.width, cam.height],
        "intrinsics": {"fx": float(cam.K[0, 0]), "fy": float(cam.K[1, 1]), "cx": float(cam.K[0, 2]),
                       "cy": float(cam.K[1, 2])},
        "floor_points": marks,
        "counter": {"edge_m": [[x0, 0.0], [x1, 0.0]], "height_m": float(counter.height_m if counter else 1.1),
                    "customer_side": [0.0, 1.0]},
        "clerk_stations": [{"name": "clerk", "floor_m": [sx, sy]}],
        "zones": zones,
    }


def counter_top_px(cam: VirtualCamera, counter: CounterSpec) -> list[list[float]] | None:
    """The counter top's image polygon (pixels, clipped to the image) as a user draws the ``counter_top`` zone: the
    desk's top when the counter is one level (its whole depth), else the raised top's front strip; None when it is
    not in view."""
    back = -counter.depth_m if counter.desk_height_m >= counter.height_m - 0.02 else -FRONT_PANEL_DEPTH_M
    corners = np.array([[counter.x0_m, 0.0], [counter.x1_m, 0.0], [counter.x1_m, back], [counter.x0_m, back]])
    px = cam.project(np.column_stack([corners, np.full(4, counter.height_m)]))
    if not np.all(np.isfinite(px)):
        return None
    frame = np.array([[0, 0], [cam.width - 1, 0], [cam.width - 1, cam.height - 1], [0, cam.height - 1]], np.float32)
    area, clipped = cv2.intersectConvexConvex(px.astype(np.float32), frame)
    if clipped is None or area < 1.0:
        return None
    return [[float(u), float(v)] for u, v in clipped.reshape(-1, 2)]
