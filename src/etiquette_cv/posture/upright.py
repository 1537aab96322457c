"""What "upright" reads for one person, per stance, from evidence that they are upright.

The trunk fit measures flexion from the true vertical, but MediaPipe's shoulders and hips are not joint centres:
an upright person reads a few degrees off, by an amount that depends on the model, the body and the view. The
reading of upright is therefore learnt per person and stance, and only from frames that show the person upright:

* **quiet** — the flexion barely moves over ``quiet_window_s`` (a person held still, not rising, sitting down or
  passing through a bow), and not within ``transition_guard_s`` of a sit/stand transition;
* **standing: the low end of the quiet spells** — a standing clerk bends forward (bows, reaches, leaning on the
  counter) but does not lean back, so of the quiet standing spells the upright ones are those near the lowest
  quiet level (within ``upright_band_deg``). The median of all standing frames, which mostly belong to bows and
  rises in a counter clip, read upright 3–6° too far forward and made 15° bows read 7–9°;
* **local in time** — what upright reads changes within a video when the arms change (MediaPipe's shoulder
  landmarks move with them: hands folded in front read up to 5° further forward than arms at the sides), so each
  standing spell (a run of standing between two transitions) is referenced to its own upright frames, interpolated
  in time between them (within ``spell_tolerance_deg`` of the reference of all standing spells: a spell whose
  only quiet frames are a bow's hold has no upright of its own); a spell without any takes that reference;
* **seated: the median of the quiet spells** — a seated clerk leans both ways (toward the desk, back in the
  chair), so no end can be assumed; the quiet seated median is the upright reading.

The reference is bounded (``max_deg`` per stance): a person who stoops all the time must not be calibrated as
upright. With too little evidence the reference is 0 (no correction) and says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..timeseries import label_runs
from .filters import rolling_std


@dataclass(frozen=True)
class UprightSettings:
    """How upright spells are recognised (rulebook ``measurement.posture``)."""

    quiet_window_s: float = 1.0
    quiet_std_deg: float = 1.5
    """A frame is quiet when the raw flexion's standard deviation over ``quiet_window_s`` is below this."""
    transition_guard_s: float = 1.0
    """Frames this close to a sit/stand transition are never upright evidence."""
    upright_band_deg: float = 4.0
    """Standing: quiet frames within this of the lowest quiet level nearby are upright …"""
    upright_window_s: float = 6.0
    """… the lowest level within this many seconds either side."""
    spell_tolerance_deg: float = 6.0
    """A standing spell's own upright may differ from the person's overall standing upright by at most this (the
    arms move MediaPipe's upright reading by up to 5°); quiet frames further forward are a held bend, not upright."""
    min_frames: int = 5


@dataclass(frozen=True)
class UprightReference:
    """The flexion (degrees) a person reads when upright in one stance, and the evidence for it."""

    value_deg: float
    frames: int
    """How many frames the reference rests on (0: none, the reference is 0°)."""
    spread_deg: float
    """Standard deviation of the flexion over those frames (NaN without evidence)."""
    clipped: bool = False
    """The evidence pointed further than the stance's bound; the bound was used."""




def quiet_frames(t_s: np.ndarray, flex_raw: np.ndarray, stance: np.ndarray, visible: np.ndarray,
                 change_times_s: list[float], s: UprightSettings) -> np.ndarray:
    """bool per sample: visible, measured, held still and away from every sit/stand transition."""
    spread = rolling_std(t_s, flex_raw, s.quiet_window_s)
    quiet = visible & np.isfinite(flex_raw) & (spread < s.quiet_std_deg)
    for tc in change_times_s:
        quiet &= np.abs(t_s - tc) > s.transition_guard_s
    return quiet & (stance != "")


def upright_reference(t_s: np.ndarray, flex_raw: np.ndarray, quiet: np.ndarray, stance: np.ndarray, stance_name: str,
                      max_deg: float, s: UprightSettings) -> UprightReference:
    """The upright reading of ``stance_name`` ('stand' or 'sit') from the quiet frames (see the module docstring)."""
    q = quiet & (stance == stance_name)
    vals = flex_raw[q]
    if len(vals) < s.min_frames:
        return UprightReference(0.0, 0, float("nan"))
    if stance_name == "stand":
        vals = flex_raw[_upright_mask(t_s, flex_raw, q, s)]
    if len(vals) < s.min_frames:
        return UprightReference(0.0, 0, float("nan"))
    ref = float(np.median(vals))
    clipped = abs(ref) > max_deg
    return UprightReference(float(np.clip(ref, -max_deg, max_deg)), int(len(vals)), float(np.std(vals)), clipped)


def _upright_mask(t_s: np.ndarray, flex_raw: np.ndarray, quiet: np.ndarray, s: UprightSettings) -> np.ndarray:
    """The quiet frames within ``upright_band_deg`` of the lowest quiet level within ``upright_window_s`` either
    side: local, because the upright reading moves with the arms. (Quiet frames are held still, so the lowest of
    them is not a single-frame outlier.) Longer than any bow or the stoop rule's duration, the window keeps a
    held bend from calibrating itself as upright."""
    out = np.zeros(len(t_s), bool)
    idx = np.flatnonzero(quiet)
    if not len(idx):
        return out
    tq, vq = t_s[idx], flex_raw[idx]
    lo = np.searchsorted(tq, tq - s.upright_window_s)
    hi = np.searchsorted(tq, tq + s.upright_window_s, side="right")
    for k, i in enumerate(idx):
        out[i] = vq[k] <= float(np.min(vq[lo[k]:hi[k]])) + s.upright_band_deg
    return out


def standing_reference_series(t_s: np.ndarray, flex_raw: np.ndarray, quiet: np.ndarray, stance: np.ndarray,
                              whole: UprightReference, max_deg: float, s: UprightSettings) -> np.ndarray:
    """Per-sample upright reference (degrees) while standing: each standing spell interpolated in time between its
    own upright frames (clipped to ``max_deg``); spells without enough of them take ``whole``. NaN elsewhere."""
    out = np.full(len(t_s), np.nan)
    for a, b in label_runs(stance):
        if stance[a] != "stand":
            continue
        sl = slice(a, b)
        up = _upright_mask(t_s[sl], flex_raw[sl], quiet[sl] & (stance[sl] == "stand"), s)
        if whole.frames:
            up &= np.abs(flex_raw[sl] - whole.value_deg) <= s.spell_tolerance_deg
        if up.sum() < s.min_frames:
            out[sl] = whole.value_deg
            continue
        out[sl] = np.clip(np.interp(t_s[sl], t_s[sl][up], flex_raw[sl][up]), -max_deg, max_deg)
    return out
