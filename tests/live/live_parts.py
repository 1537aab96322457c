"""The live tests' parts: a real MJPEG-over-HTTP camera on loopback (a subprocess serving a sample video), free
ports, camera files."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
SERVER = Path(__file__).with_name("mjpeg_server.py")
RECEPTION = REPO / "sample_videos" / "reception.mp4"
RECEPTION_CAL = REPO / "calibration" / "reception.yaml"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Camera:
    """An MJPEG camera process on loopback that can be killed (-9) and started again on the same port."""

    def __init__(self, video: Path, port: int, fps: float = 10.0, stall_after_s: float | None = None) -> None:
        self.video, self.port, self.fps, self.stall_after_s = video, port, fps, stall_after_s
        self.proc: subprocess.Popen | None = None
        self.url = f"http://127.0.0.1:{port}/camera.mjpg"

    def start(self) -> float:
        """Start serving; returns the wall-clock time (epoch s) from which it accepts connections."""
        args = [sys.executable, str(SERVER), str(self.video), str(self.port), str(self.fps)]
        if self.stall_after_s is not None:
            args.append(str(self.stall_after_s))
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("ready"), f"camera server did not start: {line!r}"
        return time.time()

    def kill(self) -> float:
        """kill -9 the server; returns when (epoch s)."""
        t = time.time()
        self.proc.kill()
        self.proc.wait()
        return t


@pytest.fixture
def camera():
    """A factory of loopback cameras, all killed at the end of the test."""
    made: list[Camera] = []

    def make(video: Path = RECEPTION, **kw) -> Camera:
        cam = Camera(video, free_port(), **kw)
        made.append(cam)
        return cam

    yield make
    for cam in made:
        if cam.proc is not None and cam.proc.poll() is None:
            cam.kill()


def write_camera_file(path: Path, source: str, *, branch: str = "test-branch", camera: str = "reception",
                      calibration: Path = RECEPTION_CAL, extra: str = "") -> Path:
    """A camera file for ``source``."""
    path.write_text(f"version: 1\nbranch: {branch}\ncamera: {camera}\nsource: {source}\n"
                    f"calibration: {calibration}\n{extra}", encoding="utf-8")
    return path


def write_video(path: Path, n_frames: int, fps: float, size=(160, 120)) -> Path:
    """A small constant-rate video whose frames differ."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    for i in range(n_frames):
        writer.write(np.full((size[1], size[0], 3), (i * 9) % 256, np.uint8))
    writer.release()
    return path
