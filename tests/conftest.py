"""Shared fixtures: tiny videos the tests write themselves."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "sample_videos"


def write_scenario_calibration(scenario_path: Path, path: Path):
    """The calibration file of a sim scenario's camera written to ``path``; returns (scenario, camera)."""
    import yaml

    from etiquette_cv.sim.calibrate import calibration_dict
    from etiquette_cv.sim.camera import VirtualCamera
    from etiquette_cv.sim.scenario import load_scenario

    sc = load_scenario(scenario_path)
    cam = VirtualCamera.from_spec(sc.camera)
    path.write_text(yaml.safe_dump(calibration_dict(sc, cam), allow_unicode=True), encoding="utf-8")
    return sc, cam


def write_cfr_video(path: Path, n_frames: int = 50, fps: float = 25.0, size=(160, 120), fourcc: str = "mp4v") -> Path:
    """A constant-rate video whose frame i shows the number i and has grey level 4*i."""
    w, h = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (w, h))
    assert writer.isOpened(), f"cannot write {path} with {fourcc}"
    for i in range(n_frames):
        img = np.full((h, w, 3), (i * 4) % 256, np.uint8)
        cv2.putText(img, str(i), (10, h // 2), cv2.FONT_HERSHEY_SIMPLEX, 1, (255, 255, 255), 2)
        writer.write(img)
    writer.release()
    return path


def write_vfr_video(path: Path, pts_ms: list[int], size=(160, 120)) -> Path:
    """A variable-frame-rate video whose frames have exactly the given presentation times (ms), via PyAV."""
    av = pytest.importorskip("av", reason="PyAV (test extra) writes variable-rate videos")
    w, h = size
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=25)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.time_base = Fraction(1, 1000)
        stream.codec_context.time_base = Fraction(1, 1000)
        for i, pts in enumerate(pts_ms):
            frame = av.VideoFrame.from_ndarray(np.full((h, w, 3), (i * 20) % 256, np.uint8), format="rgb24")
            frame.pts, frame.time_base = pts, Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


@pytest.fixture
def cfr_mp4(tmp_path) -> Path:
    return write_cfr_video(tmp_path / "cfr.mp4")


@pytest.fixture
def cfr_avi(tmp_path) -> Path:
    return write_cfr_video(tmp_path / "cfr.avi", fourcc="MJPG")


@pytest.fixture(scope="module")
def bare_people_stage():
    """A people stage for 1280 × 720 frames without a calibration, on one thread (one per test module; its tests
    empty its tracks or script its detector with monkeypatch)."""
    from etiquette_cv.people.config import PeopleConfig
    from etiquette_cv.people.stage import PeopleStage

    with PeopleStage(1280, 720, 10.0, floor=None, config=PeopleConfig(threads=1)) as s:
        yield s
