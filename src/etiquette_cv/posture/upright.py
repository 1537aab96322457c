"""What "upright" reads for one person, per stance, from evidence that they are upright.

The trunk fit measures flexion from the true vertical, but MediaPipe's shoulders and hips are not joint centres:
an upright person reads a few degrees off, by an amount that depends on the model, the body and the view. The
reading of upright is therefore learnt per person and stance, and only from frames that show the person upright:

* **settled** — visible, measured and not within ``transition_guard_s`` of a sit/stand move (from its onset to
  its completion, as :meth:`~etiquette_cv.posture.stance.StanceChange.at` places them, seen or not);
* **quiet** — settled, and the flexion barely moves over ``quiet_window_s`` (a person held still, not rising,
  sitting down or passing through a bow);
* **standing: the low end of the quiet spells** — a standing clerk bends forward (bows, reaches, leaning on the
  counter) but does not lean back, so of the quiet standing spells the upright ones are those near the lowest
  level the person reads nearby (within ``upright_band_deg``). The median of all standing frames, which mostly
  belong to bows and rises in a counter clip, read upright 3–6° too far forward and made 15° bows read 7–9°. The
  lowest level is that of *every* settled standing frame (a rolling median over ``quiet_window_s``, so a single
  frame's glitch does not count), not only of the quiet ones: a clerk who stands up, bows and sits down again is
  upright for well under a second either side of the bow, too briefly to be quiet, and the bow's hold — the only
  quiet stretch of such a spell — was then taken as upright (on the reception sample the first 15° bow's hold,
  read +10°, made up a third of the standing reference's evidence and pulled it 3° forward);
* **local in time** — what upright reads changes within a video when the arms change (MediaPipe's shoulder
  landmarks move with them: hands folded in front read up to 5° further forward than arms at the sides), so each
  standing spell (a run of standing between two transitions) is referenced to its own upright frames, interpolated
  in time between them (within ``spell_tolerance_deg`` of the reference of all standing spells). A spell too brief
  for enough quiet upright frames (stand up, bow, sit down) takes the median of its settled frames at its own low
  level (the upright moments either side of the bow: on the reception sample its upright read 3° further back
  than the other spells'), and a spell without either takes the reference of all standing spells;
* **seated: the quiet spells near the usual seated reading** — a seated clerk leans both ways (toward the desk,
  back in the chair), so no end can be assumed; but a clerk sits upright most of the time, so of the quiet seated
  frames the upright ones are those within ``upright_band_deg`` of the median of every settled seated frame (the
  median of the quiet frames alone took a held lie on the desk for upright where the upright frames jittered too
  much to be quiet: synthetic, seated throughout, upright read 22° off); too few quiet ones there, the settled
  frames there.

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
    transition_guard_s: float = 0.3
    """Frames this close to a sit/stand move (its onset to its completion) are never upright evidence."""
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




def settled_frames(t_s: np.ndarray, flex_raw: np.ndarray, stance: np.ndarray, visible: np.ndarray,
                   moves_s: list[tuple[float, float]], s: UprightSettings) -> np.ndarray:
    """bool per sample: visible, measured, in a known stance and farther than ``transition_guard_s`` from every
    sit/stand move, each given as its (onset, completion) times in seconds."""
    ok = visible & np.isfinite(flex_raw) & (stance != "")
    for lo, hi in moves_s:
        ok &= (t_s < lo - s.transition_guard_s) | (t_s > hi + s.transition_guard_s)
    return ok


def quiet_frames(t_s: np.ndarray, flex_raw: np.ndarray, settled: np.ndarray, s: UprightSettings) -> np.ndarray:
    """bool per sample: settled (:func:`settled_frames`) and held still over ``quiet_window_s``."""
    return settled & (rolling_std(t_s, flex_raw, s.quiet_window_s) < s.quiet_std_deg)


def upright_reference(t_s: np.ndarray, flex_raw: np.ndarray, quiet: np.ndarray, stance: np.ndarray, stance_name: str,
                      max_deg: float, s: UprightSettings, settled: np.ndarray | None = None) -> UprightReference:
    """The upright reading of ``stance_name`` ('stand' or 'sit') from the quiet frames (see the module docstring);
    standing, the lowest level nearby is that of the ``settled`` frames (default: the quiet ones); seated, with
    ``settled``, the quiet frames near the median of the settled seated ones."""
    q = quiet & (stance == stance_name)
    vals = flex_raw[q]
    if len(vals) < s.min_frames:
        return UprightReference(0.0, 0, float("nan"))
    if stance_name == "stand":
        level = (quiet if settled is None else settled) & (stance == stance_name)
        vals = flex_raw[_upright_mask(t_s, flex_raw, q, level, s)]
    elif settled is not None:
        seated = settled & (stance == stance_name) & np.isfinite(flex_raw)
        near = seated & (np.abs(flex_raw - np.median(flex_raw[seated])) <= s.upright_band_deg)
        vals = flex_raw[q & near] if (q & near).sum() >= s.min_frames else flex_raw[near]
    if len(vals) < s.min_frames:
        return UprightReference(0.0, 0, float("nan"))
    ref = float(np.median(vals))
    clipped = abs(ref) > max_deg
    return UprightReference(float(np.clip(ref, -max_deg, max_deg)), int(len(vals)), float(np.std(vals)), clipped)


def _level(t_s: np.ndarray, flex_raw: np.ndarray, ok: np.ndarray, window_s: float) -> np.ndarray:
    """Rolling median (degrees) of the ``ok`` frames over ``window_s`` centred on each of them (NaN elsewhere, and
    where fewer than half the window's frames are ``ok``): the level the trunk holds there, a single frame's
    glitch left out."""
    out = np.full(len(t_s), np.nan)
    lo = np.searchsorted(t_s, t_s - window_s / 2)
    hi = np.searchsorted(t_s, t_s + window_s / 2, side="right")
    for i in np.flatnonzero(ok):
        seg = ok[lo[i]:hi[i]]
        if seg.sum() * 2 >= len(seg):
            out[i] = float(np.median(flex_raw[lo[i]:hi[i]][seg]))
    return out


def _upright_mask(t_s: np.ndarray, flex_raw: np.ndarray, quiet: np.ndarray, settled: np.ndarray,
                  s: UprightSettings) -> np.ndarray:
    """The quiet frames within ``upright_band_deg`` of the lowest level the ``settled`` frames hold within
    ``upright_window_s`` either side: local, because the upright reading moves with the arms. Longer than any
    bow or the stoop rule's duration, the window keeps a held bend from calibrating itself as upright — also
    when the upright frames around the bend are too brief to be quiet."""
    out = np.zeros(len(t_s), bool)
    idx = np.flatnonzero(quiet)
    if not len(idx):
        return out
    level = _level(t_s, flex_raw, settled | quiet, s.quiet_window_s)
    fin = np.flatnonzero(np.isfinite(level))
    tl, vl = t_s[fin], level[fin]
    lo = np.searchsorted(tl, t_s[idx] - s.upright_window_s)
    hi = np.searchsorted(tl, t_s[idx] + s.upright_window_s, side="right")
    for k, i in enumerate(idx):
        low = float(np.min(vl[lo[k]:hi[k]])) if hi[k] > lo[k] else flex_raw[i]
        out[i] = flex_raw[i] <= min(low, flex_raw[i]) + s.upright_band_deg
    return out


def _spell_upright(t_s: np.ndarray, flex_raw: np.ndarray, candidates: np.ndarray, settled: np.ndarray,
                   whole: UprightReference, s: UprightSettings) -> np.ndarray:
    """The candidate frames of one standing spell that show it upright: near the lowest level nearby and, when the
    person's overall standing upright is known, within ``spell_tolerance_deg`` of it."""
    up = _upright_mask(t_s, flex_raw, candidates, settled, s)
    if whole.frames:
        up &= np.abs(flex_raw - whole.value_deg) <= s.spell_tolerance_deg
    return up


def standing_reference_series(t_s: np.ndarray, flex_raw: np.ndarray, quiet: np.ndarray, stance: np.ndarray,
                              whole: UprightReference, max_deg: float, s: UprightSettings,
                              settled: np.ndarray | None = None) -> np.ndarray:
    """Per-sample upright reference (degrees) while standing: each standing spell interpolated in time between its
    own upright frames (clipped to ``max_deg``): its quiet ones or, in a spell too brief for enough of them (stand
    up, bow, sit down), its settled frames at the lowest level nearby; spells without either take ``whole``. NaN
    elsewhere."""
    out = np.full(len(t_s), np.nan)
    settled = quiet if settled is None else settled
    for a, b in label_runs(stance):
        if stance[a] != "stand":
            continue
        sl = slice(a, b)
        st = settled[sl] & (stance[sl] == "stand")
        up = _spell_upright(t_s[sl], flex_raw[sl], quiet[sl] & (stance[sl] == "stand"), st, whole, s)
        if up.sum() >= s.min_frames:
            out[sl] = np.clip(np.interp(t_s[sl], t_s[sl][up], flex_raw[sl][up]), -max_deg, max_deg)
            continue
        # too brief to be quiet: the median of the settled frames at the spell's low level (not interpolated:
        # unsettled frames are noisier, and one level per spell is all they can tell)
        up = _spell_upright(t_s[sl], flex_raw[sl], st, st, whole, s)
        ref = float(np.median(flex_raw[sl][up])) if up.sum() >= s.min_frames else whole.value_deg
        out[sl] = np.clip(ref, -max_deg, max_deg)
    return out
