"""score.html: the steps with their verdicts, measured values and coaching, escaped; rendered in headless
Chromium (CI installs it: the test never skips there)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from etiquette_cv.report.score_page import write_score_html
from etiquette_cv.training.scoring import score_attempt
from etiquette_cv.training.stream import TraineeEvents

from .test_scoring import RECEPTION, bow, indicate, stand

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
BANDS = [("致意式鞠躬", 9.0, 22.0), ("致谢式鞠躬", 23.0, 37.0), ("致歉式鞠躬", 38.0, 100.0)]


@pytest.fixture
def scored(tmp_path):
    t = np.arange(0, 20, 0.1)
    flex = 28.0 * np.exp(-((t - 10.5) / 0.8) ** 2)
    ev = TraineeEvents([stand(9.0), bow(10.0, 28.0), indicate(13.0)], 20.0, cues={"customer_near": 3.8}, t_s=t,
                       flexion_deg=flex, standing=t > 9)
    res = score_attempt(RECEPTION, ev, "trainee <script>alert(1)</script>.mp4")
    res.notes.append("the trainee is person #1")
    res.notes_zh.append("学员为#1")
    (tmp_path / "keyframes").mkdir()
    img = np.full((200, 160, 3), 90, np.uint8)
    cv2.circle(img, (80, 60), 30, (60, 200, 60), -1)
    cv2.imwrite(str(tmp_path / "keyframes" / "step_greeting_bow.jpg"), img)
    return res, ev


def test_score_page_lists_steps_with_measured_values_and_coaching(tmp_path, scored):
    res, ev = scored
    html = write_score_html(res, ev, tmp_path / "score.html", "en", BANDS).read_text(encoding="utf-8")
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert html.count('<article class="step') == 3
    assert 'data-verdict="late"' in html and 'data-verdict="wrong_class"' in html
    assert "bow 28°, expected 15°: band 9–22°" in html
    assert "鞠躬28°，应15°：范围9–22°" in html                       # the other language beside it
    assert "Once standing, face the customer" in html                 # coaching for a step not done right
    assert html.count('<img class="keyframe" src="data:image/jpeg;base64,') == 1
    assert '<svg id="trunk-plot-trainee"' in html


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def test_chromium_renders_the_score_sheet(tmp_path, scored):
    exe = _chromium()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("headless Chromium is required in CI (install the Debian package `chromium`)")
        pytest.skip("chromium not installed (apt-get install chromium); this test never skips in CI")
    res, ev = scored
    page = write_score_html(res, ev, tmp_path / "score.html", "zh", BANDS)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "score_screenshot.png"
    shot.unlink(missing_ok=True)
    base = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
            "--disable-dev-shm-usage", "--hide-scrollbars", "--force-device-scale-factor=1",
            f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0"]
    dom = subprocess.run(base + ["--dump-dom", page.resolve().as_uri()], capture_output=True, text=True, timeout=60)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert dom.stdout.count('<article class="step') == 3 and '<svg id="trunk-plot-trainee"' in dom.stdout
    assert not re.search(r"\bCONSOLE[:(]\d+|Uncaught|net::ERR_", dom.stderr), dom.stderr[-2000:]
    assert not re.search(r"""\s(src|href)=["'](?!data:|#)""", dom.stdout), "the page references a file or URL"
    png = subprocess.run(base + [f"--screenshot={shot}", "--window-size=1280,1800", page.resolve().as_uri()],
                         capture_output=True, text=True, timeout=60)
    assert png.returncode == 0, png.stderr[-2000:]
    img = cv2.imread(str(shot))
    assert img is not None and img.shape[:2] == (1800, 1280)
    assert float(img.std()) > 10, "the screenshot is blank"
    # the score box (top left, below the header) is drawn red for a poor score: 55/100 here
    box = img[170:300, 80:300].reshape(-1, 3).astype(int)
    assert np.any((box[:, 2] > 180) & (box[:, 1] < 90) & (box[:, 0] < 90)), "no red score digits"
