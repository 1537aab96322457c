"""The review's HTML page: one self-contained file rendered by Jinja2 (autoescape on) from
``templates/report.html.j2`` and ``templates/report.css``.

No network references: inline CSS, plots as inline SVG, keyframes as base64 data URIs (with ``images_inline=False``
the keyframes are linked by relative path instead, and the page is no longer self-contained). No scripts. Sections:
header (+ partial-input banner), summary, timeline, clerk trunk-angle plot, visits, finding cards (anchor targets
``#finding-N`` of the timeline markers), coverage, how to read the verdicts.
"""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

import jinja2
import numpy as np

from ..rules.findings import Finding, ReviewResult, Severity, Verdict
from .format import (ATTENTION, VERDICT_ORDER, as_verdict, finding_title, finding_tooltip, fmt_clock, fmt_duration,
                     fmt_measured, person_sort_key, reception_kind, rel_path, threshold_display)
from .i18n import labels, person_label, severity_label, state_label, verdict_help, verdict_label
from .summary import rule_summaries, verdict_counts
from .svg import VERDICT_COLORS, timeline_svg, trunk_series, trunk_svg

KEYFRAME_MAX_WIDTH_PX = 960
"""Keyframes wider than this are downscaled before they are embedded."""
KEYFRAME_JPEG_QUALITY = 85
SCORE_GOOD, SCORE_FAIR = 90, 70
"""Score (0–100) from which the score box is shown green, and amber (below: red)."""

_ENV = jinja2.Environment(loader=jinja2.PackageLoader("etiquette_cv.report", "templates"), autoescape=True,
                          trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
                          keep_trailing_newline=True)


def _image_data_uri(path: Path, max_width: int = KEYFRAME_MAX_WIDTH_PX) -> str | None:
    """The keyframe as a base64 JPEG data URI (downscaled to ``max_width`` pixels); None when it cannot be read."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    import cv2  # local: only the HTML with images needs OpenCV

    img = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        return None
    is_jpeg = raw[:3] == b"\xff\xd8\xff"
    if img.shape[1] > max_width:
        scale = max_width / img.shape[1]
        img = cv2.resize(img, (max_width, max(1, round(img.shape[0] * scale))), interpolation=cv2.INTER_AREA)
    elif is_jpeg:
        return "data:image/jpeg;base64," + base64.b64encode(raw).decode("ascii")
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, KEYFRAME_JPEG_QUALITY])
    if not ok:
        return None
    return "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode("ascii")


def _card_order(findings: list[Finding]) -> list[tuple[str, list[int]]]:
    """Indices of the findings grouped as the cards show them: problems, met, others; each by time."""
    groups: dict[str, list[int]] = {"findings_attention": [], "findings_met": [], "findings_other": []}
    for i, f in sorted(enumerate(findings), key=lambda p: (p[1].start_s, p[0])):
        v = as_verdict(f.verdict)
        key = "findings_attention" if v in ATTENTION else "findings_met" if v == Verdict.MET else "findings_other"
        groups[key].append(i)
    return [(k, idx) for k, idx in groups.items() if idx]


def _card(f: Finding, n: int, lang: str, image_src: str | None) -> dict:
    """What a finding's card shows, beyond the finding's own fields."""
    L = labels(lang)
    span = f"{fmt_clock(f.start_s)} – {fmt_clock(f.end_s)}"
    if f.duration_s > 0:
        span += f" ({fmt_duration(f.duration_s, lang)})"
    caption = [L["evidence"]]
    if f.evidence_t_s is not None:
        caption.append(fmt_clock(f.evidence_t_s))
    if f.evidence_frame_index is not None:
        caption.append(f"{L['frame']} {int(f.evidence_frame_index)}")
    attention = as_verdict(f.verdict) in ATTENTION
    return dict(f=f, number=n, title=finding_title(f, lang), other=f.title_en if lang == "zh" else f.title_zh,
                span=span, threshold=threshold_display(f, lang), image_src=image_src,
                figure=bool(image_src or f.evidence_image), caption=" · ".join(caption),
                severity=severity_label(Severity(f.severity).value, lang) if attention else "")


def _card_groups(result: ReviewResult, order, numbers: dict[int, int], lang: str, images_inline: bool,
                 base_dir: Path, out_dir: Path) -> list[tuple[str, list[dict]]]:
    uri_cache: dict[Path, str | None] = {}
    groups = []
    for key, idx in order:
        cards = []
        for i in idx:
            f = result.findings[i]
            src = None
            if f.evidence_image:
                p = Path(f.evidence_image)
                full = p if p.is_absolute() else base_dir / p
                if images_inline:
                    if full not in uri_cache:
                        uri_cache[full] = _image_data_uri(full)
                    src = uri_cache[full]
                elif full.exists():
                    src = quote(rel_path(f.evidence_image, base_dir, out_dir) or "", safe="/")
            cards.append(_card(f, numbers[i], lang, src))
        groups.append((key, cards))
    return groups


def _reception(result: ReviewResult, numbers: dict[int, int], lang: str) -> list[dict]:
    """Per visit: the 站接 and 站送 findings made of it, as badges."""
    def cell(visit_id: int, kind: str) -> list[dict]:
        return [dict(verdict=f.verdict, number=numbers[i], tooltip=finding_tooltip(f, numbers[i], lang))
                for i, f in enumerate(result.findings)
                if f.visit_id == visit_id and reception_kind(f.rule_kind) == kind]

    return [dict(visit_id=v.visit_id, customer=person_label(v.customer, lang), arrive=fmt_clock(v.arrive_s),
                 greet=cell(v.visit_id, "greet"), send_off=cell(v.visit_id, "send_off")) for v in result.visits]


def _meta(result: ReviewResult, lang: str, generated: datetime) -> list[tuple[str, str]]:
    L = labels(lang, result.near_m)
    rulebook = " ".join(x for x in (result.rulebook_name, result.rulebook_version and f"v{result.rulebook_version}")
                        if x) or L["dash"]
    return [(L["source"], result.source),
            (L["duration"], f"{fmt_clock(result.duration_s)} ({fmt_duration(result.duration_s, lang)})"),
            (L["analysed_frames"], f"{result.analysed_frames:,}"),
            (L["image_size"], f"{result.image_width} × {result.image_height}" if result.image_width else L["dash"]),
            (L["rulebook"], rulebook), (L["generated"], generated.strftime("%Y-%m-%d %H:%M %Z").strip())]


def _coverage_rows(result: ReviewResult) -> list[tuple[str, float, float | None]]:
    """(person, seconds visible, share of the video in percent or None)."""
    cov = result.coverage
    dur = result.duration_s if result.duration_s > 0 else 0.0
    return [(p, cov.visible_s[p], min(100.0, 100.0 * cov.visible_s[p] / dur) if dur else None)
            for p in sorted(cov.visible_s, key=person_sort_key)]


def render_report_html(result: ReviewResult, lang: str = "zh", images_inline: bool = True, *,
                       bow_bands: list[tuple[str, float, float]] | None = None,
                       bow_references: list[tuple[str, float]] | None = None, base_dir: str | Path = ".",
                       out_dir: str | Path | None = None, generated: datetime | None = None) -> str:
    """The HTML page as a string (see :func:`write_report_html`)."""
    L = labels(lang, result.near_m)
    base_dir = Path(base_dir)
    out_dir = Path(out_dir) if out_dir is not None else base_dir
    findings = result.findings
    order = _card_order(findings)
    numbers = {i: n + 1 for n, i in enumerate(i for _, idx in order for i in idx)}
    counts = verdict_counts(findings)
    timeline, colors = timeline_svg(result, numbers, lang)
    titles: dict[str, str] = {}
    for f in findings:
        titles.setdefault(f.rule_id, finding_title(f, lang))
    by_rule = [dict(rule_id=s.rule_id, title=finding_title(findings[s.indices[0]], lang), count=len(s.indices),
                    counts=s.counts, worst=findings[s.worst], number=numbers[s.worst])
               for s in rule_summaries(findings)]
    score = result.score
    context = dict(
        r=result, L=L, html_lang="zh-CN" if lang == "zh" else "en", meta=_meta(result, lang, generated or
                                                                                datetime.now(timezone.utc)),
        score=score, score_grade="" if score is None else "good" if score >= SCORE_GOOD else "fair"
        if score >= SCORE_FAIR else "poor",
        counts=counts, graded=sum(counts[v] for v in (Verdict.MET, *ATTENTION)), verdicts=VERDICT_ORDER,
        MET=Verdict.MET, NOT_ASSESSABLE=Verdict.NOT_ASSESSABLE, by_rule=by_rule,
        reception=_reception(result, numbers, lang), timeline=timeline, state_colors=colors,
        trunk_plots=[(who, trunk_svg(result, lang, who, s, bow_bands, bow_references))
                     for who, s in trunk_series(result)],
        card_groups=_card_groups(result, order, numbers, lang, images_inline, base_dir, out_dir),
        coverage_rows=_coverage_rows(result), titles=titles,
        color=lambda v: VERDICT_COLORS[as_verdict(v)], vlabel=lambda v: verdict_label(as_verdict(v).value, lang),
        clock=fmt_clock, duration=lambda s: fmt_duration(s, lang),
        measured=lambda f: fmt_measured(f.measured_value, f.measured_unit, lang),
        person_label=lambda p: person_label(p, lang), state_label=lambda s: state_label(s, lang),
        verdict_help=lambda v: verdict_help(v, lang, result.near_m),
    )
    return _ENV.get_template("report.html.j2").render(**context)


def write_report_html(result: ReviewResult, path: str | Path, lang: str = "zh", images_inline: bool = True, *,
                      bow_bands: list[tuple[str, float, float]] | None = None,
                      bow_references: list[tuple[str, float]] | None = None, base_dir: str | Path | None = None,
                      generated: datetime | None = None) -> Path:
    """Write the self-contained HTML report (Chinese ``lang="zh"`` or English ``"en"``); returns the path.

    ``bow_bands`` — (class name, lo°, hi°) tolerance bands of the rulebook's bow classes, shaded on the trunk plot;
    ``bow_references`` — (label, degrees) the classes' nominal angles, drawn as dashed lines.
    ``base_dir`` — where the evidence images' relative paths start (default: the report's directory).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = render_report_html(result, lang, images_inline, bow_bands=bow_bands, bow_references=bow_references,
                              base_dir=base_dir if base_dir is not None else path.parent, out_dir=path.parent,
                              generated=generated)
    path.write_text(text, encoding="utf-8")
    return path
