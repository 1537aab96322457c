"""The per-rule summary of a review, built once for the HTML page and the terminal: rules in display order, each
with its findings by time, its verdict counts and its worst finding."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from ..rules.findings import Finding
from .format import as_verdict, finding_badness, reception_kind, worst_finding


def rule_order(findings: list[Finding], by_badness: bool) -> list[str]:
    """Rule ids in display order: by worst verdict (``by_badness``) or 站接, 站送, then the rest; then by first
    time."""
    first: dict[str, float] = {}
    worst: dict[str, tuple[int, int]] = {}
    kinds: dict[str, str] = {}
    for f in findings:
        first[f.rule_id] = min(first.get(f.rule_id, math.inf), f.start_s)
        worst[f.rule_id] = max(worst.get(f.rule_id, (-1, -1)), finding_badness(f))
        kinds.setdefault(f.rule_id, f.rule_kind)
    kind_rank = {"greet": 0, "send_off": 1, None: 2}

    def rank(r: str) -> int:
        return kind_rank[reception_kind(kinds[r])]

    if by_badness:
        return sorted(first, key=lambda r: (-worst[r][0], -worst[r][1], rank(r), first[r]))
    return sorted(first, key=lambda r: (rank(r), first[r], r))


@dataclass
class RuleSummary:
    """One rule's findings in a review."""

    rule_id: str
    indices: list[int]
    """Indices into the review's findings, in order of time."""
    counts: Counter
    """Verdict → how many findings."""
    worst: int
    """Index of the worst finding (earliest among equals)."""


def rule_summaries(findings: list[Finding]) -> list[RuleSummary]:
    """Every rule with findings, worst first (see :func:`rule_order`)."""
    by_rule: dict[str, list[int]] = {rid: [] for rid in rule_order(findings, by_badness=True)}
    for i, f in sorted(enumerate(findings), key=lambda p: (p[1].start_s, p[0])):
        by_rule[f.rule_id].append(i)
    out = []
    for rid, idx in by_rule.items():
        fs = [findings[i] for i in idx]
        w = worst_finding(fs)
        counts: Counter = Counter(as_verdict(f.verdict) for f in fs)
        out.append(RuleSummary(rid, idx, counts, idx[fs.index(w)]))
    return out


def verdict_counts(findings: list[Finding]) -> Counter:
    """Verdict → how many findings."""
    return Counter(as_verdict(f.verdict) for f in findings)


