"""Scenario scripts and synthetic pose data for tests (see docs/scenario.md).

``etiquette_cv.sim.scenario`` needs only numpy (+ pyyaml for .yaml files) so that the Blender renderer can import
it; the other submodules (body, camera, landmarks, truth) are imported lazily on first attribute access.
"""

from __future__ import annotations

import importlib
from typing import Any

from .scenario import (
    Annotation,
    BodySpec,
    CameraSpec,
    CounterSpec,
    Keyframe,
    PersonSpec,
    PoseParams,
    Scenario,
    ScenarioError,
    SceneSpec,
    load_scenario,
)

_LAZY = {
    "Body": "body",
    "joint_positions_m": "body",
    "VirtualCamera": "camera",
    "synthesize": "landmarks",
    "GroundTruth": "truth",
    "TruthEvent": "truth",
    "ground_truth": "truth",
    "ground_truth_at": "truth",
    "truth_events": "truth",
}

__all__ = [
    "Annotation", "BodySpec", "CameraSpec", "CounterSpec", "Keyframe", "PersonSpec", "PoseParams", "Scenario",
    "ScenarioError", "SceneSpec", "load_scenario", *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
