"""The detector's motion gate: a periodic run is skipped only while nothing moved outside the posed people, and
never more than the settings allow in a row."""

from __future__ import annotations

import numpy as np
import pytest

from etiquette_cv.people.motion import MotionGate, MotionGateSettings

W, H = 1280, 720
POSED = [np.array([500.0, 200.0, 700.0, 650.0])]


def _scene(person_x: float | None = None, clerk_arm: bool = False) -> np.ndarray:
    """A grey room with a textured floor; a dark person 80×300 px at ``person_x`` (none when None); the posed clerk's
    arm raised inside their box (``clerk_arm``)."""
    img = np.full((H, W, 3), 120, np.uint8)
    img[400:, :] = 160
    img[400::40, :] = 90
    if person_x is not None:
        img[300:600, int(person_x):int(person_x) + 80] = 30
    if clerk_arm:
        img[250:330, 560:640] = 240
    return img


def test_the_gate_is_off_by_default_and_before_the_detector_has_run():
    gate = MotionGate(W, H, MotionGateSettings())
    gate.ran(_scene())
    assert not gate.may_skip(_scene(), POSED)
    on = MotionGate(W, H, MotionGateSettings(max_skip_frames=3))
    assert not on.may_skip(_scene(), POSED)


def test_a_still_picture_skips_at_most_max_skip_frames_runs_in_a_row():
    gate = MotionGate(W, H, MotionGateSettings(max_skip_frames=3))
    gate.ran(_scene())
    assert [gate.may_skip(_scene(), POSED) for _ in range(5)] == [True, True, True, False, False]
    gate.ran(_scene())
    assert gate.may_skip(_scene(), POSED) and gate.skips == 4


def test_somebody_coming_into_view_makes_the_detector_run_the_posed_clerk_moving_does_not():
    gate = MotionGate(W, H, MotionGateSettings(max_skip_frames=5))
    gate.ran(_scene())
    assert gate.may_skip(_scene(clerk_arm=True), POSED)            # inside the posed clerk's box
    assert not gate.may_skip(_scene(person_x=100.0), POSED)        # a newcomer at the left
    assert not gate.may_skip(_scene(clerk_arm=True), [])           # nobody posed: the same change counts


def test_while_the_rate_is_quiet_the_gate_skips_up_to_quiet_max_skip_frames():
    """The default gate skips nothing at the full rate, and up to four runs in a row while the adaptive rate is
    quiet — unless somebody comes into view."""
    gate = MotionGate(W, H, MotionGateSettings())
    assert gate.settings.quiet_max_skip_frames == 4 and gate.settings.max_skip_frames == 0
    gate.ran(_scene())
    assert not gate.may_skip(_scene(), POSED)
    assert [gate.may_skip(_scene(), POSED, quiet=True) for _ in range(6)] == [True] * 4 + [False] * 2
    gate.ran(_scene())
    assert not gate.may_skip(_scene(person_x=100.0), POSED, quiet=True)
    off = MotionGate(W, H, MotionGateSettings(quiet_max_skip_frames=0))
    off.ran(_scene())
    assert not off.enabled and not off.may_skip(_scene(), POSED, quiet=True)


def test_settings_are_checked():
    with pytest.raises(ValueError, match="quiet_max_skip_frames"):
        MotionGateSettings(quiet_max_skip_frames=-1)
    with pytest.raises(ValueError, match="max_skip_frames"):
        MotionGateSettings(max_skip_frames=-1)
    with pytest.raises(ValueError, match="changed_fraction"):
        MotionGateSettings(changed_fraction=1.5)


def test_the_people_stage_skips_periodic_detector_runs_only_while_the_picture_is_still():
    """The stage's wiring (the real detector on an empty room): every third frame with the gate off; with at most two
    runs skipped in a row, every ninth while nothing moves, and at once when the picture changes; frames the
    adaptive rate chose while quiet, every fifteenth."""
    from etiquette_cv.core import Frame
    from etiquette_cv.people.config import PeopleConfig
    from etiquette_cv.people.stage import PeopleStage

    def runs(max_skip: int, change_at: int | None = None, quiet: bool = False) -> list[int]:
        stage = PeopleStage(W, H, 10.0, config=PeopleConfig(detect_gate=MotionGateSettings(max_skip_frames=max_skip)))
        out = []
        with stage:
            for i in range(30):
                before = stage.stats.detector_runs
                img = _scene(person_x=100.0) if change_at is not None and i >= change_at else _scene()
                stage.process(Frame(i, i / 10, img), quiet=quiet)
                if stage.stats.detector_runs > before:
                    out.append(i)
        return out

    assert runs(0) == list(range(0, 30, 3))
    assert runs(2) == [0, 9, 18, 27]
    assert runs(2, change_at=12)[:3] == [0, 9, 12]
    assert runs(0, quiet=True) == [0, 15]   # frames the adaptive rate chose while quiet: four skipped in a row


def test_review_s_people_settings_carry_the_gate():
    from etiquette_cv.pipeline.people_run import people_config
    assert people_config().detect_gate.max_skip_frames == 0
    assert people_config("full", 4, 2).detect_gate.max_skip_frames == 2
    assert people_config("full", 4, 2).rate.quiet_every_n == 4
    assert people_config().detect_gate.quiet_max_skip_frames == 4
    assert people_config("full", 4, 0, quiet_detect_gate=0).detect_gate.quiet_max_skip_frames == 0


def test_a_landmarker_crop_keeps_the_detectors_box_until_the_detector_runs_again():
    """While the detector rests (the quiet rate runs it 1.2 s apart, the gate longer), a person's crop keeps the
    box of its last run; once it has run again without them, their older box is kept only for a second."""
    from etiquette_cv.people.config import PeopleConfig
    from etiquette_cv.people.observation import Observation
    from etiquette_cv.people.placing import TrackState
    from etiquette_cv.people.stage import PeopleStage

    stage = PeopleStage(W, H, 10.0, config=PeopleConfig())
    with stage:
        track = TrackState(1)
        track.detector_box, track.detector_box_s = np.array([500.0, 200.0, 700.0, 650.0]), 10.0
        seen = Observation(box=np.array([540.0, 260.0, 660.0, 600.0]), score=0.9, xy=np.zeros((33, 2)),
                           point_score=np.zeros(33))
        stage._last_detect_s = 10.0
        assert stage._crop_box(track, seen, 16.0).tolist() == [500.0, 200.0, 700.0, 650.0]   # 6 s later, no run
        stage._last_detect_s = 15.0   # the detector ran at 15 s and missed them
        assert stage._crop_box(track, seen, 16.0).tolist() == [540.0, 260.0, 660.0, 600.0]
        track.detector_box_s = 14.5
        assert stage._crop_box(track, seen, 15.4).tolist() == [500.0, 200.0, 700.0, 650.0]   # within the second
