"""The review's summary in the terminal: one row per rule with its verdict counts and its worst finding."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from ..rules.findings import ReviewResult, Verdict
from .format import VERDICT_ORDER, as_verdict, finding_title, fmt_clock, fmt_measured, threshold_display
from .i18n import labels, verdict_label
from .summary import rule_summaries

RICH_STYLES = {
    Verdict.MET: "green",
    Verdict.LATE: "yellow",
    Verdict.MISSED: "red",
    Verdict.VIOLATION: "bold red",
    Verdict.NOT_APPLICABLE: "dim",
    Verdict.NOT_ASSESSABLE: "bright_black",
    Verdict.INFO: "blue",
}


def summary_table(result: ReviewResult, lang: str = "zh") -> Table:
    """A rich Table for the CLI: one row per rule with its verdict counts and its worst finding."""
    L = labels(lang, result.near_m)
    score = result.score
    score_text = f"{score:.0f}/100" if score is not None else L["dash"]
    table = Table(title=Text(f"{L['rules_summary']} · {L['score']} {score_text}", style="bold"), show_header=True,
                  header_style="bold", caption=(Text(f"⚠ {result.problem}") if result.problem else None),
                  caption_style="yellow")
    table.add_column(L["rule"], overflow="fold")
    table.add_column(L["count"], justify="right")
    table.add_column(L["verdicts"])
    table.add_column(L["worst"], overflow="fold")
    summaries = rule_summaries(result.findings)
    for s in summaries:
        counts = Text()
        for v in VERDICT_ORDER:
            if s.counts[v]:
                if counts:
                    counts.append("  ")
                counts.append(f"{verdict_label(v.value, lang)} {s.counts[v]}", style=RICH_STYLES[v])
        w = result.findings[s.worst]
        worst = Text(verdict_label(as_verdict(w.verdict).value, lang), style=RICH_STYLES[as_verdict(w.verdict)])
        worst.append(f" {fmt_clock(w.start_s)}")
        if w.measured_value is not None:
            worst.append(f" {fmt_measured(w.measured_value, w.measured_unit, lang)}")
            thr = threshold_display(w, lang)
            if thr:
                worst.append(f" ({L['threshold']} {thr})")
        if w.note:
            worst.append(f" — {w.note}", style="dim")
        first = result.findings[s.indices[0]]
        table.add_row(Text(f"{finding_title(first, lang)}\n{s.rule_id}"), str(len(s.indices)), counts, worst)
    graded = {s.rule_id for s in summaries}
    for rid, why in result.coverage.not_assessable_rules.items():
        if rid not in graded:
            table.add_row(Text(rid), "0", Text(verdict_label("not_assessable", lang), style="bright_black"),
                          Text(why, style="dim"))
    return table
