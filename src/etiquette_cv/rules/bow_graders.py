"""The bow graders: the bow a visit expects (greeting on arrival, thanks at the send-off) and every bow classified
into the rulebook's bands, each quoting its peak with its ± (degrees). A bow whose ± is at least half the band it is
graded against cannot be graded from this view and is reported not assessable."""

from __future__ import annotations

import numpy as np

from ..events import band_resolvable
from ..posture.clerk import ClerkSeries
from .context import ClerkContext, rule_finding
from .findings import Finding, Verdict, Visit
from .rulebook import Rule, Rulebook


def _unc(b) -> float | None:
    return round(b.peak_uncertainty_deg, 1) if np.isfinite(b.peak_uncertainty_deg) else None


def _uncertainty_text(rb: Rulebook, b) -> str:
    """`` ± 1.8°`` and, when the peak's ± interval crosses a band edge, which edge: the class is then uncertain."""
    u = b.peak_uncertainty_deg
    if not np.isfinite(u):
        return ""
    lo, hi = b.peak_deg - u, b.peak_deg + u
    edges = sorted({e for c in rb.bow_classes for e in (c.min_deg, c.max_deg) if lo < e < hi})
    straddle = (f" (the ± interval straddles the band edge{'s' if len(edges) > 1 else ''} "
                f"{', '.join(f'{e:g}°' for e in edges)}: the class is uncertain)") if edges else ""
    return f" ± {u:.1f}°{straddle}"


def _unresolved(c) -> str:
    """Why a bow's class cannot be graded from this view (its ± at least half the band of class ``c``)."""
    return (f"from this view the angle's ± is at least half the {c.name} band ({c.min_deg:g}–{c.max_deg:g}°): "
            "whether the bow is in it cannot be told")


def _band_text(rb: Rulebook) -> str:
    return ", ".join(f"{c.name_zh} {c.min_deg:g}–{c.max_deg:g}°" for c in rb.bow_classes)


def bow_expected(rule: Rule, ctx: ClerkContext, visit: Visit) -> Finding:
    """The bow a visit expects (its arrival or send-off, the rule's window around it): the deepest bow there graded
    in the expected class's band by its peak (degrees) — met, missed (another class, or no bow while standing), or
    not assessable (unseen, unmeasurable from the view, or a ± too wide for the band)."""
    rb, clerk, bends = ctx.rb, ctx.clerk, ctx.obs.bends
    occasion = rule.value("occasion")
    t_occ = visit.arrive_s if occasion == "arrive" else visit.leave_s
    expected = next(c for c in rb.bow_classes if c.name == rule.value("expected_class"))
    base = dict(visit_id=visit.visit_id, measured_unit="deg", threshold_value=expected.nominal_deg,
                threshold_text=f"{expected.name_zh} {expected.nominal_deg:g}° (band {expected.min_deg:g}–"
                               f"{expected.max_deg:g}°)", threshold_source=rule.source("expected_class"))
    if t_occ is None:
        t = visit.at_counter_s or 0.0
        return rule_finding(rule, Verdict.NOT_ASSESSABLE, t, t, clerk.person,
                            note=f"the customer's {occasion} across {rb.near_m:g} m was "
                                 "not observed", **base)
    t0, t1 = t_occ - float(rule.value("before_s")), t_occ + float(rule.value("after_s"))
    bows = [b for b in bends if b.kind == "bow" and t0 <= b.peak_t_s <= t1]
    if bows:
        b = max(bows, key=lambda x: x.peak_deg)
        cls = rb.classify_bow(b.peak_deg)
        hidden = " (the deepest part was hidden: at least this deep)" if b.peak_hidden else ""
        unc = _uncertainty_text(rb, b)
        peak = round(b.peak_deg, 1)   # the note quotes the value reported, not one a hair off it
        if not b.peak_hidden and not band_resolvable(b.peak_deg, b.peak_uncertainty_deg, expected.min_deg,
                                                     expected.max_deg):
            return rule_finding(rule, Verdict.NOT_ASSESSABLE, b.start_s, b.end_s, clerk.person, measured_value=peak,
                                measured_uncertainty=_unc(b), note=f"bowed {peak:.0f}°{unc}: {_unresolved(expected)}",
                                evidence_t_s=b.peak_t_s, evidence_frame_index=clerk.frame_at(b.peak_t_s), **base)
        if cls is not None and cls.name == expected.name:
            return rule_finding(rule, Verdict.MET, b.start_s, b.end_s, clerk.person, measured_value=peak,
                                measured_uncertainty=_unc(b), note=f"bow peak {peak:.0f}°{unc}{hidden}",
                                evidence_t_s=b.peak_t_s, evidence_frame_index=clerk.frame_at(b.peak_t_s), **base)
        what = f"{cls.name_zh} ({cls.name})" if cls else "not a recognised bow"
        return rule_finding(rule, Verdict.MISSED, b.start_s, b.end_s, clerk.person, measured_value=peak,
                            measured_uncertainty=_unc(b),
                            note=f"bowed {peak:.0f}°{unc}{hidden}: {what}, where a {expected.name} bow is expected",
                            evidence_t_s=b.peak_t_s, evidence_frame_index=clerk.frame_at(b.peak_t_s), **base)
    cut = [b for b in bends if b.kind == "unfinished" and t0 <= b.peak_t_s <= t1]
    if cut:
        b = max(cut, key=lambda x: x.peak_deg)
        return rule_finding(rule, Verdict.NOT_ASSESSABLE, b.start_s, b.end_s, clerk.person,
                            note=f"the trunk was bending at {b.end_s:.1f} s ({b.peak_deg:.0f}° by then) when the "
                                 "measurements ended: how deep it went, and whether it was a bow, is unknown",
                            evidence_t_s=b.peak_t_s, evidence_frame_index=clerk.frame_at(b.peak_t_s), **base)
    w = clerk.window(t0, t1) & clerk.c.visible
    if not w.any():
        return rule_finding(rule, Verdict.NOT_ASSESSABLE, t0, t1, clerk.person,
                            note="the clerk was not visible around the "
                                 + ("arrival" if occasion == "arrive" else "send-off"), **base)
    standing = w & (clerk.c.stance == "stand")
    if not standing.any():
        return rule_finding(rule, Verdict.MISSED, t0, t1, clerk.person, note="no bow: the clerk did not stand",
                            evidence_t_s=t_occ, evidence_frame_index=clerk.frame_at(t_occ), **base)
    measurable = standing & np.isfinite(clerk.c.flexion_deg) & clerk.c.flexion_assessable
    if measurable.sum() < 0.5 * standing.sum():
        return rule_finding(rule, Verdict.NOT_ASSESSABLE, t0, t1, clerk.person,
                            note=_why_unmeasurable(clerk.c, standing),
                            evidence_t_s=t_occ, evidence_frame_index=clerk.frame_at(t_occ), **base)
    return _no_bow(rule, ctx, t0, t1, measurable, t_occ, base)


def _why_unmeasurable(c: ClerkSeries, standing: np.ndarray) -> str:
    """Why the trunk's bend could not be measured while the clerk stood: no pose landmarks (the person detector's
    keypoints only), or a view in which a bend barely moves the landmarks (with the measured pixels per degree)."""
    posed = np.isfinite(c.flexion_raw_deg) & standing
    if posed.sum() < 0.5 * standing.sum():
        return ("the clerk's trunk was not measured while standing: the pose model did not find the clerk (only "
                "the person detector's keypoints, too coarse for an angle)")
    unc = c.flexion_uncertainty_deg[posed] if c.flexion_uncertainty_deg is not None else np.array([])
    worst = f" (± {np.nanmedian(unc):.0f}° from this view)" if len(unc) and np.isfinite(unc).any() else ""
    return ("a bow of this size cannot be measured from this camera: the trunk's forward bend barely moves the "
            f"clerk's landmarks in the image{worst}")


_BEND_NAMES = {"glitch": "pose glitch (faster than a body bends, or one frame alone)",
               "long": "stoop (held longer than a bow)", "lean": "lean on the counter"}
"""How a missed bow's note names the bends in its window that were not bows (:attr:`~..events.Bend.kind`)."""


def _no_bow(rule: Rule, ctx: ClerkContext, t0: float, t1: float, measurable: np.ndarray, t_occ: float,
            base: dict) -> Finding:
    """A missed bow, quoting the deepest standing flexion of the graded window itself — never one read while the
    clerk was rising or sitting down (between a transition's onset and completion, with a margin), nor inside a pose
    glitch — and what the bends in the window were instead (a reach, a lean on the counter, a stoop, a glitch)."""
    clerk = ctx.clerk
    c = clerk.c
    steady = measurable.copy()
    margin = ctx.grading.transition_margin_s
    for ch in ctx.obs.stance_changes:
        steady &= ~((c.t_s >= ch.at("onset") - margin) & (c.t_s <= ch.at("complete") + margin))
    for b in ctx.obs.bends:
        if b.kind == "glitch":
            steady &= ~((c.t_s >= b.start_s) & (c.t_s <= b.end_s))
    others = [b for b in ctx.obs.bends if b.kind != "bow" and t0 <= b.peak_t_s <= t1]
    what = "".join(f"; the bend at {b.peak_t_s:.1f} s ({b.peak_deg:.0f}°) was a {_BEND_NAMES.get(b.kind, b.kind)}, "
                   "not a bow" for b in others)
    if not steady.any():
        return rule_finding(rule, Verdict.MISSED, t0, t1, clerk.person, evidence_t_s=t_occ,
                            evidence_frame_index=clerk.frame_at(t_occ),
                            note=f"no bow in {t0:.1f}–{t1:.1f} s: the clerk was standing only while rising or "
                                 f"sitting down{what}", **base)
    k = int(np.nanargmax(np.where(steady, c.flexion_deg, -np.inf)))
    peak, t_peak = float(c.flexion_deg[k]), float(c.t_s[k])
    return rule_finding(rule, Verdict.MISSED, t0, t1, clerk.person, measured_value=round(peak, 1),
                        note=f"no bow in {t0:.1f}–{t1:.1f} s: deepest standing trunk flexion {peak:.0f}° at "
                             f"{t_peak:.1f} s (a bow starts at {ctx.rb.bow('start_deg'):g}°){what}",
                        evidence_t_s=t_peak, evidence_frame_index=clerk.frame_at(t_peak), **base)


def grade_bow_graded(rule: Rule, ctx: ClerkContext) -> list[Finding]:
    """Every bow, classified into the rulebook's bow classes (information, no verdict)."""
    out = []
    for b in ctx.obs.bends:
        if b.kind != "bow":
            continue
        cls = ctx.rb.classify_bow(b.peak_deg)
        label = f"{cls.name_zh} ({cls.name})" if cls else "not a recognised bow (between bands)"
        if cls is not None and not b.peak_hidden and not band_resolvable(b.peak_deg, b.peak_uncertainty_deg,
                                                                          cls.min_deg, cls.max_deg):
            label += f"?, not assessable: {_unresolved(cls)}"
        hidden = "; the deepest part was hidden: at least this deep" if b.peak_hidden else ""
        hidden += "" if b.arms_seen else "; the arms were hidden: a reach cannot be ruled out"
        peak = round(b.peak_deg, 1)   # the note quotes the value reported, not one a hair off it
        out.append(rule_finding(rule, Verdict.INFO, b.start_s, b.end_s, ctx.clerk.person,
                                measured_value=peak, measured_unit="deg",
                                measured_uncertainty=_unc(b),
                                threshold_text=_band_text(ctx.rb), threshold_source="default",
                                evidence_t_s=b.peak_t_s, evidence_frame_index=ctx.clerk.frame_at(b.peak_t_s),
                                note=f"{peak:.0f}°{_uncertainty_text(ctx.rb, b)}: {label}, held {b.hold_s:.1f} s"
                                     f"{hidden}"))
    return out
