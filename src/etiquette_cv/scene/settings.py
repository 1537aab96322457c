"""The scene checks' settings, read from the rulebook's rules of kinds ``counter_clutter``, ``floor_debris``,
``lighting`` and ``staff_in_waiting`` (every number there, with its source)."""

from __future__ import annotations

from dataclasses import dataclass

from ..rules.rulebook import Rule, Rulebook
from .change import ChangeSettings

DEFAULT_PERIOD_S = 1.0
"""Check period when the rulebook has no counter-clutter rule (which carries the period): lighting and debris then
run once a second."""


@dataclass(frozen=True)
class RegionSettings:
    """One region check (counter top or floor): change detection, minimum size and dwell."""

    rule: Rule
    change: ChangeSettings
    min_dwell_s: float
    min_area_cm2: float
    max_misses: int
    match_iou: float
    min_visible_fraction: float
    attached_px: float | None = None
    """A changed blob within this many pixels of a person's mask may be a part of them the mask missed (or their
    shadow): it is followed, but reported only once seen apart from everybody; None: every blob counts."""
    feet_box_fraction: float = 0.0
    """People drawn by their silhouette are masked with this bottom share of their box too (the floor: feet and the
    shadow at them); 0 on the counter top."""
    transaction_near_m: float = 0.0
    transaction_grace_s: float = 0.0
    """Counter top: an object that came and went within one customer's stay within ``transaction_near_m`` of the
    counter edge (give or take ``transaction_grace_s``) is the transaction's, not clutter (:mod:`.stays`); 0 m: off."""
    merged_cover: float = 0.0
    merged_max_growth: float = 0.0
    """An object no blob matches is still there when a blob covers ``merged_cover`` of its box and is at most
    ``merged_max_growth`` times its size (merged with a change beside it: :class:`.objects.ObjectTracker`); 0: off."""


@dataclass(frozen=True)
class SceneSettings:
    """Every scene check of a rulebook; a check whose rule is absent is None (not run)."""

    period_s: float
    reference_learn_s: float
    unchanged_grey_level: float
    """A check whose frame differs from the last full check's by no more than this (grey levels, 0-255, on a
    quarter-size image, people's boxes left out) repeats that check's result instead of comparing in full; 0 turns
    the shortcut off."""
    unchanged_spot_px: float
    """… also when what a person uncovered since differs from the scene as full checks last saw it where they found
    nothing (the clean reference where none saw it) in spots of at most this many quarter-size pixels each …"""
    repeat_for_at_most_s: float
    """… for at most this long after the last full check (a scrap a person left as small as those spots is then
    compared in full this much later)."""
    clutter: RegionSettings | None
    debris: RegionSettings | None
    lighting: Rule | None
    staff: Rule | None


def _region(rule: Rule, max_shift_px: float) -> RegionSettings:
    v = lambda name: float(rule.value(name))   # noqa: E731
    change = ChangeSettings(v("ratio_threshold"), v("chroma_threshold"), v("edge_threshold"), max_shift_px,
                            v("person_margin"), max(1, int(round(v("open_px")))))
    transaction = rule.kind == "counter_clutter"
    return RegionSettings(rule, change, v("min_dwell_s"), v("min_area_cm2"), max(1, int(round(v("max_misses")))),
                          v("match_iou"), v("min_visible_fraction"), v("attached_px"),
                          0.0 if transaction else v("feet_box_fraction"),
                          v("transaction_near_m") if transaction else 0.0,
                          v("transaction_grace_s") if transaction else 0.0, v("merged_cover"), v("merged_max_growth"))


def scene_settings(rb: Rulebook) -> SceneSettings:
    """The scene checks configured by ``rb``."""
    clutter = rb.of_kind("counter_clutter")
    debris = rb.of_kind("floor_debris")
    lighting = rb.of_kind("lighting")
    staff = rb.of_kind("staff_in_waiting")
    c = clutter[0] if clutter else None
    max_shift = float(c.value("max_shift_px")) if c else 12.0
    return SceneSettings(
        period_s=float(c.value("period_s")) if c else DEFAULT_PERIOD_S,
        reference_learn_s=float(c.value("reference_learn_s")) if c else 3.0,
        unchanged_grey_level=float(c.value("unchanged_grey_level")) if c else 0.0,
        unchanged_spot_px=float(c.value("unchanged_spot_px")) if c else 0.0,
        repeat_for_at_most_s=float(c.value("repeat_for_at_most_s")) if c else float("inf"),
        clutter=_region(c, max_shift) if c else None,
        debris=_region(debris[0], max_shift) if debris else None,
        lighting=lighting[0] if lighting else None,
        staff=staff[0] if staff else None,
    )
