"""What the score sheet says about each step, in Chinese and English: the measured value against the threshold
("bow 22°, expected 15°: band 9–22°"), the verdict, and the scenario's coaching when the step was not done right."""

from __future__ import annotations

import math

from .results import StepResult
from .scenario import Step

VERDICT_TEXT = {
    "zh": {"done": "完成", "late": "迟了", "wrong_class": "鞠躬类别不对", "wrong_form": "动作不规范",
           "out_of_order": "顺序不对", "missing": "未做", "not_assessable": "无法评定"},
    "en": {"done": "done", "late": "late", "wrong_class": "wrong bow class", "wrong_form": "wrong form",
           "out_of_order": "out of order", "missing": "missing", "not_assessable": "not assessable"},
}
CUE_TEXT = {
    "zh": {"start": "录像开始", "previous": "上一步", "customer_near": "客户走到距柜台{near}米处",
           "customer_leave": "客户离开{near}米范围"},
    "en": {"start": "the start", "previous": "the previous step", "customer_near": "the customer crossing {near} m",
           "customer_leave": "the customer leaving past {near} m"},
}
KIND_TEXT = {
    "zh": {"stand_up": "起立", "sit_down": "坐下", "bow": "鞠躬", "indicate": "请的手势", "hand_over": "双手递接",
           "wave": "挥手", "handshake": "握手", "hold_posture": "站立保持"},
    "en": {"stand_up": "stand-up", "sit_down": "sit-down", "bow": "bow", "indicate": "indicating gesture",
           "hand_over": "two-handed hand-over", "wave": "wave", "handshake": "handshake",
           "hold_posture": "upright stance"},
}


def metres_text(near_m: float) -> str:
    """A distance in metres as the texts write it: ``2``, ``1.5`` (at most two decimals)."""
    return f"{near_m:.2f}".rstrip("0").rstrip(".")


def with_near(text: str, near_m: float) -> str:
    """``text`` with its ``{near}`` placeholders naming the near distance ``near_m`` (metres, the number alone)."""
    return text.replace("{near}", metres_text(near_m))


def cue_text(after: str, lang: str, near_m: float = 2.0) -> str:
    """What a step's window is timed from, in ``lang``, naming the rulebook's near distance ``near_m`` (metres)."""
    return with_near(CUE_TEXT[lang][after], near_m)


def verdict_text(verdict: str, lang: str) -> str:
    """A verdict's name in ``lang`` (zh / en)."""
    return VERDICT_TEXT[lang][verdict]


def _pm(u: float) -> str:
    return f" ±{u:.0f}°" if math.isfinite(u) else ""


def _measured(r: StepResult, lang: str) -> tuple[str, str]:
    """What was measured of the matched event: the headline value (a bow's angle) and the details (when, how long);
    empty when there is no event."""
    e = r.event
    if e is None:
        return "", ""
    zh = lang == "zh"
    if e.kind == "bow":
        at_least, note = "", ""
        if e.angle_at_least:
            at_least, note = ("至少", "（正对镜头：只能看出至少这么深）") if zh else \
                ("at least ", " (facing the camera: only its least depth shows)")
        elif e.peak_hidden:
            note = "（最低处被遮挡，可能更深）" if zh else " (the lowest point was hidden: maybe deeper)"
        head = (f"鞠躬{at_least}{e.peak_angle_deg:.0f}°{_pm(e.angle_uncertainty_deg)}{note}" if zh else
                f"bow {at_least}{e.peak_angle_deg:.0f}°{_pm(e.angle_uncertainty_deg)}{note}")
        return head, (f"{e.t_s:.1f}秒开始，停留{e.hold_s:.1f}秒" if zh else f"at {e.t_s:.1f} s, held {e.hold_s:.1f} s")
    if e.kind == "hold_posture":
        return (f"站立{e.hold_s:.1f}秒" if zh else f"upright {e.hold_s:.1f} s"), (
            f"{e.t_s:.1f}秒起" if zh else f"from {e.t_s:.1f} s")
    what = KIND_TEXT[lang][e.kind]
    if e.kind in ("stand_up", "sit_down"):
        return (f"{e.t_s:.1f}秒{what}" if zh else f"{what} at {e.t_s:.1f} s"), ""
    return (f"{what}{e.duration_s:.1f}秒" if zh else f"{what} {e.duration_s:.1f} s"), (
        f"{e.t_s:.1f}秒" if zh else f"at {e.t_s:.1f} s")


def _form(r: StepResult, lang: str) -> list[str]:
    """The form thresholds the step applies (bow band, hold, duration)."""
    zh = lang == "zh"
    parts = []
    if r.band_deg is not None:
        lo, hi = r.band_deg
        head = "应" if zh else "expected"  # a band of its own (the apology's 45–90°): the band says it all
        if r.nominal_deg is not None and not r.own_band:
            head = f"应{r.nominal_deg:g}°" if zh else f"expected {r.nominal_deg:g}°"
        parts.append(f"{head}：范围{lo:g}–{hi:g}°" if zh else f"{head}: band {lo:g}–{hi:g}°")
    if r.min_hold_s is not None:
        parts.append(f"至少停留{r.min_hold_s:g}秒" if zh else f"held ≥ {r.min_hold_s:g} s")
    lo_d, hi_d = r.duration_bounds_s
    if lo_d is not None or hi_d is not None:
        a = "" if lo_d is None else f"{lo_d:g}"
        b = "" if hi_d is None else f"{hi_d:g}"
        parts.append(f"持续{a}–{b}秒" if zh else f"lasting {a}–{b} s")
    return parts


def _window(step: Step, lang: str, near_m: float) -> str:
    """The step's time window, in words."""
    w = step.window
    cue = cue_text(w.after, lang, near_m)
    f0, t0, late = float(w.from_s.value), float(w.to_s.value), float(w.late_s.value)
    if lang == "zh":
        return f"时限：{cue}后{f0:g}～{t0:g}秒（迟至{t0 + late:g}秒算迟到）"
    return f"window {f0:g} to {t0:g} s after {cue} (late up to {t0 + late:g} s)"


def _edge_note(r: StepResult, lang: str) -> str:
    """A bow whose ± interval straddles an edge of the expected band: its class is uncertain; an event whose time's
    ± straddles an edge of the step's window: its timing is uncertain."""
    e = r.event
    if e is not None and r.window_s is not None and math.isfinite(e.time_uncertainty_s):
        edges = [w for w in r.window_s if abs(e.t_s - w) < e.time_uncertainty_s]
        if edges:
            where = ", ".join(f"{w:.1f}" for w in edges)
            return (f"时间±{e.time_uncertainty_s:g}秒跨过时限边界{where}秒，结论不确定" if lang == "zh" else
                    f"its time's ± {e.time_uncertainty_s:g} s straddles the window edge at {where} s: the verdict "
                    "is uncertain")
    if e is None or r.band_deg is None or not math.isfinite(e.angle_uncertainty_deg):
        return ""
    lo, hi = e.peak_angle_deg - e.angle_uncertainty_deg, e.peak_angle_deg + e.angle_uncertainty_deg
    edges = [b for b in r.band_deg if lo < b < hi]
    if not edges:
        return ""
    where = ", ".join(f"{b:g}°" for b in edges)
    return (f"±区间跨过范围边界{where}，类别不确定" if lang == "zh" else
            f"the ± interval straddles the band edge {where}: the class is uncertain")


def _timing(r: StepResult, lang: str, after: str, near_m: float) -> str:
    d = r.delay_s
    if d is None:
        return ""
    cue = cue_text(after, lang, near_m)
    if r.anchor_span_s is not None and r.event is not None:
        lo, hi = r.anchor_span_s
        if lang == "zh":
            return f"{cue}在{lo:.1f}–{hi:.1f}秒之间（无标定，由客户停下的时刻推算），本项在此区间内结论相同"
        return (f"{cue} between {lo:.1f} and {hi:.1f} s (no floor calibration: bounded from when the customer "
                "stopped at the counter), the same verdict anywhere in that span")
    if lang == "zh":
        return f"{cue}{'前' if d < 0 else '后'}{abs(d):.1f}秒"
    return f"{abs(d):.1f} s {'before' if d < 0 else 'after'} {cue}"


def _missing_note(r: StepResult, lang: str) -> str:
    what = KIND_TEXT[lang][r.expect]
    if r.window_s is None:
        return ""
    lo, _, end = r.window_s
    if r.reason.startswith("too_late:"):
        t = r.reason.split(":", 1)[1]
        return (f"{lo:.1f}–{end:.1f}秒之间未见{what}（{t}秒的{what}太迟，不计）" if lang == "zh" else
                f"no {what} between {lo:.1f} and {end:.1f} s (the one at {t} s came too late to count)")
    return f"{lo:.1f}–{end:.1f}秒之间未见{what}" if lang == "zh" else f"no {what} between {lo:.1f} and {end:.1f} s"


def step_message(step: Step, r: StepResult, near_m: float = 2.0) -> None:
    """Fill ``r``'s messages (measured vs expected, the verdict) and its coaching texts in both languages; the
    customer cues are crossings of ``near_m`` metres."""
    for lang in ("zh", "en"):
        zh = lang == "zh"
        sep = "；" if zh else "; "
        verdict = verdict_text(r.verdict, lang)
        head, details = _measured(r, lang)
        if r.verdict == "not_assessable":
            seen = sep.join(x for x in (head, details) if x)
            extra = (f"；已测到：{seen}" if zh else f"; seen: {seen}") if seen else ""
            msg = f"{verdict}：{r.reason_zh or r.reason}{extra}" if zh else f"{verdict}: {r.reason}{extra}"
        elif r.event is None:
            expected = sep.join(_form(r, lang) + [_window(step, lang, near_m)])
            msg = (f"{verdict}：{_missing_note(r, lang)}（要求：{expected}）" if zh else
                   f"{verdict}: {_missing_note(r, lang)} ({expected})")
        else:
            first = "，".join([head] + _form(r, lang)) if zh else ", ".join([head] + _form(r, lang))
            when = ("，" if zh else ", ").join(x for x in (details, _timing(r, lang, step.window.after, near_m)) if x)
            rest = sep.join(x for x in (when, _edge_note(r, lang), _window(step, lang, near_m)) if x)
            msg = f"{first} — {verdict}{sep}{rest}"
        setattr(r, f"message_{lang}", msg)
    if r.verdict not in ("done", "not_assessable"):
        r.coaching_zh, r.coaching_en = step.coaching_zh, step.coaching_en


AVOID_TEXT = {"touch_hair": {"zh": ("用手摆弄头发", "双手自然下垂或相握于体前，不要摆弄头发。"),
                             "en": ("Fiddling with the hair", "keep the hands at the sides or folded in front; leave "
                                                               "the hair alone.")},
              "head_shake": {"zh": ("摇头表示不知道", "不清楚时请说“请稍等，我帮您确认一下”，不要摇头。"),
                             "en": ("Shaking the head (\"don't know\")", "when unsure, say you will check, rather "
                                                                       "than shake the head.")},
              "wave_no": {"zh": ("摆手表示不知道", "不清楚时请说“请稍等，我帮您确认一下”，不要摆手。"),
                          "en": ("Waving a hand (\"don't know\")", "when unsure, say you will check, rather than "
                                                                    "wave the hand.")}}
"""Per gesture to avoid and language: what it is, and what to tell the trainee."""
