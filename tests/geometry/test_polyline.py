"""The floor polylines' sampling, and that this module needs numpy only."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from etiquette_cv.geometry.polyline import densify_polyline, densify_segment, distance_to_polygon, polygon_area

SRC = Path(__file__).resolve().parents[2] / "src"


def test_densify_keeps_the_vertices_and_the_spacing():
    line = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 0.55]])
    pts = densify_polyline(line, 0.1)
    steps = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    assert np.all(steps <= 0.1 + 1e-12)
    for v in line:
        assert np.min(np.linalg.norm(pts - v, axis=1)) == 0.0
    closed = densify_polyline(line, 0.1, closed=True)
    np.testing.assert_array_equal(closed[-1], line[0])
    assert len(densify_segment(np.zeros(3), np.ones(3), count=50)) == 50


def test_polygon_area_is_signed():
    square = np.array([[0.0, 0.0], [2.0, 0.0], [2.0, 1.0], [0.0, 1.0]])
    assert polygon_area(square) == 2.0 and polygon_area(square[::-1]) == -2.0


def test_polylines_and_scenarios_import_without_opencv_or_yaml():
    code = ("import sys; sys.modules['cv2'] = None; sys.modules['yaml'] = None; "
            "import etiquette_cv.geometry.polyline, etiquette_cv.sim.scenario, etiquette_cv.timeseries")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={"PYTHONPATH": str(SRC)},
                          timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_distance_to_polygon_is_zero_inside_else_to_the_nearest_edge_or_corner():
    square = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    assert distance_to_polygon([0.5, 0.5], square) == 0.0
    assert distance_to_polygon([2.0, 0.5], square) == pytest.approx(1.0)
    assert distance_to_polygon([0.5, -0.25], square) == pytest.approx(0.25)
    assert distance_to_polygon([2.0, 2.0], square) == pytest.approx(np.sqrt(2.0))
