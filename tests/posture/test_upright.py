"""The upright reference: learnt from quiet upright spells, local in time, bounded, and silent without evidence."""

from __future__ import annotations

import numpy as np

from etiquette_cv.posture.stance import StanceChange
from etiquette_cv.posture.upright import (UprightSettings, quiet_frames, settled_frames,
                                          standing_reference_series, upright_reference)

DT = 0.1


def _bow(t, start, down, hold, depth):
    """Flexion (deg) of one bow: ramps of ``down`` s, a hold, back to 0."""
    x = np.clip((t - start) / down, 0, 1) - np.clip((t - start - down - hold) / down, 0, 1)
    return depth * x


def _standing(n):
    return np.array(["stand"] * n, dtype=object)


def _quiet(t, flex, stance, moves, s):
    """Quiet frames of a fully visible person, with sit/stand moves given as (onset, completion)."""
    return quiet_frames(t, flex, settled_frames(t, flex, stance, np.ones(len(t), bool), moves, s), s)


def test_the_standing_reference_is_the_quiet_low_level_not_the_median_of_bows_and_rises():
    # upright reads -5° (MediaPipe's offset); most standing frames are bows held at +10° and +25° raw
    t = np.round(np.arange(0.0, 15.0, DT), 6)
    flex = -5.0 + _bow(t, 1.5, 0.8, 3.0, 15.0) + _bow(t, 8.0, 0.8, 4.0, 30.0) + 0.1 * np.sin(7 * t)
    stance = _standing(len(t))
    s = UprightSettings()
    quiet = _quiet(t, flex, stance, [], s)
    ref = upright_reference(t, flex, quiet, stance, "stand", 8.0, s)
    assert abs(ref.value_deg - (-5.0)) < 0.3 and ref.frames >= 20 and not ref.clipped
    assert np.median(flex) > 4.0  # what the median of all frames would have said


def test_the_reference_follows_an_arm_change_within_a_standing_spell():
    # hands folded in front read -0.5°, arms at the sides -5° (the arms move MediaPipe's shoulder landmarks)
    t = np.round(np.arange(0.0, 24.0, DT), 6)
    flex = np.where(t < 12.0, -0.5, -5.0) + _bow(t, 4.0, 0.8, 2.0, 15.0) + _bow(t, 16.0, 0.8, 2.0, 45.0)
    stance = _standing(len(t))
    s = UprightSettings()
    quiet = _quiet(t, flex, stance, [], s)
    whole = upright_reference(t, flex, quiet, stance, "stand", 8.0, s)
    ref = standing_reference_series(t, flex, quiet, stance, whole, 8.0, s)
    bow1 = np.argmin(np.abs(t - 5.5))
    bow2 = np.argmin(np.abs(t - 17.5))
    assert abs((flex - ref)[bow1] - 15.0) < 1.0
    assert abs((flex - ref)[bow2] - 45.0) < 1.0


def test_a_spell_whose_only_quiet_frames_are_a_bow_hold_takes_the_whole_reference():
    t = np.round(np.arange(0.0, 30.0, DT), 6)
    stance = np.where((t >= 2.0) & (t < 8.0), "stand", np.where(t >= 15.0, "stand", "sit")).astype(object)
    flex = np.where(stance == "stand", -6.0, 0.0) + _bow(t, 3.0, 0.6, 2.5, 17.0)
    changes = [(c - 0.5, c + 0.5) for c in (2.0, 8.0, 15.0)]
    s = UprightSettings()
    quiet = _quiet(t, flex, stance, changes, s)
    quiet[(t >= 2.0) & (t < 8.0) & (flex < 0)] = False  # the short spell shows no quiet upright frame
    whole = upright_reference(t, flex, quiet, stance, "stand", 8.0, s)
    ref = standing_reference_series(t, flex, quiet, stance, whole, 8.0, s)
    k = np.argmin(np.abs(t - 4.5))
    assert abs(whole.value_deg + 6.0) < 0.2
    assert abs((flex - ref)[k] - 17.0) < 0.5


def test_a_long_stoop_is_not_calibrated_as_upright_and_no_evidence_means_no_correction():
    t = np.round(np.arange(0.0, 30.0, DT), 6)
    flex = np.full(len(t), 20.0)  # stooped all the time
    stance = _standing(len(t))
    s = UprightSettings()
    quiet = _quiet(t, flex, stance, [], s)
    ref = upright_reference(t, flex, quiet, stance, "stand", 8.0, s)
    assert ref.value_deg == 8.0 and ref.clipped  # bounded: the stoop still reads 12°
    none = upright_reference(t, flex, np.zeros(len(t), bool), stance, "stand", 8.0, s)
    assert none.value_deg == 0.0 and none.frames == 0


def test_frames_near_a_transition_are_never_upright_evidence():
    t = np.round(np.arange(0.0, 10.0, DT), 6)
    flex = np.zeros(len(t))
    s = UprightSettings()
    # a move seen from its onset (4.6 s) to its completion (5.3 s): guarded from each end
    quiet = _quiet(t, flex, _standing(len(t)), [(4.6, 5.3)], s)
    inside = (t >= 4.6 - s.transition_guard_s) & (t <= 5.3 + s.transition_guard_s)
    assert not quiet[inside].any()
    assert quiet[(t < 4.6 - s.transition_guard_s - 1e-9) | (t > 5.3 + s.transition_guard_s + 1e-9)].all()
    # a move whose onset and completion were not seen spans its midpoint ± the stance change's unseen half
    unseen = StanceChange(5.0, "stand", float("nan"), unseen_half_s=0.5)
    quiet = _quiet(t, flex, _standing(len(t)), [(unseen.at("onset"), unseen.at("complete"))], s)
    assert not quiet[np.abs(t - 5.0) <= 0.5 + s.transition_guard_s].any()
    assert quiet[np.abs(t - 5.0) > 0.5 + s.transition_guard_s + 1e-9].all()


def _stand_bow_sit(t, t_up, t_down, bow_start, depth, upright):
    """A clerk who stands up at ``t_up``, bows ``depth`` degrees (0.8 s down, 1.3 s hold, 0.8 s up) and sits down
    at ``t_down``; upright reads ``upright`` while standing. Rises and sit-downs read 15-20° for 0.5 s (MediaPipe)."""
    stance = np.where((t >= t_up) & (t < t_down), "stand", "sit").astype(object)
    flex = np.where(stance == "stand", upright, 0.0) + _bow(t, bow_start, 0.8, 1.3, depth)
    for tc in (t_up, t_down):
        flex[np.abs(t - tc) <= 0.25] = 18.0
    return stance, flex, [(tc - 0.25, tc + 0.25) for tc in (t_up, t_down)]


def test_a_bow_hold_in_a_brief_standing_spell_is_not_its_upright():
    # the reception sample: stand up, bow 15° (the hold is the only quiet stretch of the spell), sit down; upright
    # shows for 0.6 s either side of the bow only. The bow's hold must not calibrate itself (or the whole
    # standing reference) as upright: the spell's settled frames at its low level do.
    t = np.round(np.arange(0.0, 20.0, DT), 6)
    stance, flex, moves = _stand_bow_sit(t, 3.0, 7.9, 3.9, 15.0, -5.0)
    flex += 0.15 * np.sin(11 * t)  # landmark jitter
    s = UprightSettings()
    quiet = _quiet(t, flex, stance, moves, s)
    settled = settled_frames(t, flex, stance, np.ones(len(t), bool), moves, s)
    assert quiet[(stance == "stand") & (flex < 0)].sum() < s.min_frames  # too brief to be quiet upright
    whole = upright_reference(t, flex, quiet, stance, "stand", 8.0, s, settled)
    assert whole.frames == 0 or abs(whole.value_deg + 5.0) < 0.5  # never the hold's +10°
    ref = standing_reference_series(t, flex, quiet, stance, whole, 8.0, s, settled)
    k = np.argmin(np.abs(t - 5.5))
    assert abs((flex - ref)[k] - 15.0) < 0.6


def test_a_single_frame_glitch_does_not_set_the_lowest_level():
    # one frame reading 20° back (a mirror solution) must not make every quiet frame "too far forward"
    t = np.round(np.arange(0.0, 15.0, DT), 6)
    flex = -3.0 + _bow(t, 5.0, 0.8, 2.0, 30.0)
    flex[np.argmin(np.abs(t - 2.0))] = -23.0
    stance = _standing(len(t))
    s = UprightSettings()
    quiet = _quiet(t, flex, stance, [], s)
    settled = settled_frames(t, flex, stance, np.ones(len(t), bool), [], s)
    ref = upright_reference(t, flex, quiet, stance, "stand", 8.0, s, settled)
    assert abs(ref.value_deg + 3.0) < 0.3 and ref.frames >= 20
