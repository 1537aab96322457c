"""Shared helpers and fixtures for the etiquette_cv.sim tests (a plain module, not a conftest, so that it never
shadows tests/conftest.py when test modules do ``from conftest import ...``)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
try:  # run from a checkout without `pip install -e .`
    import etiquette_cv  # noqa: F401
except ImportError:  # pragma: no cover
    sys.path.insert(0, str(ROOT / "src"))

SCENARIOS = ROOT / "tests" / "data" / "scenarios"


def minimal_dict(**overrides) -> dict:
    """A small valid scenario mapping: a clerk at the desk and one customer walking in."""
    d = {
        "version": 1,
        "name": "mini",
        "duration_s": 10.0,
        "fps": 10,
        "camera": {"position_m": [1.2, 5.5, 2.5], "look_at_m": [0.0, 0.0, 0.9], "hfov_deg": 70,
                   "width": 1280, "height": 720},
        "scene": {"counter": {"x0_m": -1.0, "x1_m": 1.0, "height_m": 1.1, "depth_m": 0.6, "desk_height_m": 0.75},
                  "chair": {"pos_m": [0.0, -0.75]}},
        "persons": [
            {"id": "clerk", "role": "clerk", "body": {"height_m": 1.68, "sex": "female"},
             "keyframes": [
                 {"t": 0.0, "pos_m": [0.0, -0.75], "heading_deg": 90, "stance": "sit", "trunk_flexion_deg": 0,
                  "arms": "desk"},
                 {"t": 4.0, "stance": "stand", "arms": "front_folded"},
                 {"t": 4.5, "trunk_flexion_deg": 0},
                 {"t": 5.5, "trunk_flexion_deg": 30},
                 {"t": 6.5, "trunk_flexion_deg": 30},
                 {"t": 7.5, "trunk_flexion_deg": 0},
             ]},
            {"id": "customer1", "role": "customer", "body": {"height_m": 1.75, "sex": "male"},
             "keyframes": [
                 {"t": 0.0, "pos_m": [0.2, 5.0]},
                 {"t": 1.0, "pos_m": [0.2, 5.0]},
                 {"t": 5.0, "pos_m": [0.2, 0.6]},
             ]},
        ],
        "annotations": [{"person": "clerk", "kind": "bow", "start_s": 4.5, "end_s": 7.5, "bow_class": "thanks"}],
    }
    d.update(overrides)
    return d


@pytest.fixture
def mini_dict() -> dict:
    return minimal_dict()
