"""Labels for the reports, in Chinese (``zh``) and English (``en``).

Every user-visible word of the HTML page and the terminal summary comes from here, so both languages stay complete:
:func:`labels` returns one language's table, :func:`verdict_label`, :func:`state_label`, :func:`person_label` and
:func:`severity_label` name the values of the findings' enums and strings.
"""

from __future__ import annotations

from ..training.texts import metres_text

LANGS = ("zh", "en")

_LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "柜面服务礼仪检查报告",
        "subtitle": "视频姿态分析 · 对照服务规范逐条评定",
        "source": "视频",
        "duration": "时长",
        "analysed_frames": "分析帧数",
        "image_size": "画面尺寸",
        "rulebook": "规则集",
        "generated": "生成时间",
        "problem_banner": "注意：输入视频不完整，本报告只覆盖已读取的部分。",
        "summary": "概要",
        "score": "达标率",
        "score_none": "无可评定项目",
        "score_hint": "达标次数 ÷（达标 + 迟到 + 未做到 + 违规）；“无法评估”和“不适用”不计入。",
        "by_verdict": "按结论统计",
        "by_rule": "按规则统计",
        "rule": "规则",
        "rule_title": "名称",
        "count": "次数",
        "worst": "最差一次",
        "none": "无",
        "visits": "客户来访",
        "visit": "来访",
        "customer": "客户",
        "arrive": "进入 {near}",
        "leave": "离开 {near}",
        "left_view": "走出画面",
        "left_view_hint": "客户在 {near}内走出画面：离开时间取最后看见的时刻",
        "pass_by": "路过",
        "pass_by_hint": "客户只是从柜台前走过（在 {near}内很短、未明显靠近）：不算办理业务，站接站送不评",
        "at_counter": "到达柜台",
        "handling": "办理时长",
        "wait": "等候时长",
        "stand_greet": "站接",
        "reception": "各次来访的站接站送",
        "stand_send_off": "站送",
        "no_visits": "视频中没有客户来访。",
        "timeline": "时间轴",
        "timeline_hint": "每行一个人的状态；来访行显示客户从进入到离开 {near}范围；下方每条规则一行，点击标记可跳到对应的检查项。",
        "lane_visits": "客户来访",
        "states": "状态",
        "time_axis": "时间",
        "trunk_plot": "柜员躯干前倾角",
        "trunk_hint": "躯干相对竖直方向的前倾角度；断开处为无法测量（人不在画面或被遮挡）。圆点为识别出的鞠躬峰值。",
        "trunk_missing": "本次分析没有柜员躯干角度数据。",
        "bow_peak": "鞠躬峰值",
        "degrees": "角度（°）",
        "findings": "检查项",
        "findings_attention": "需要关注",
        "findings_met": "达标",
        "findings_other": "其他（不适用 / 无法评估 / 信息）",
        "no_findings": "没有检查项。",
        "clause": "依据",
        "wording": "条文原文",
        "time_range": "时间",
        "person": "对象",
        "measured": "测量值",
        "threshold": "标准",
        "threshold_standard": "标准规定的数值",
        "threshold_default": "本系统默认值（可配置，标准未给出数值）",
        "note": "说明",
        "evidence": "关键帧",
        "frame": "帧",
        "image_missing": "关键帧图片缺失",
        "severity": "严重程度",
        "coverage": "覆盖情况",
        "coverage_hint": "“无法评估”表示摄像头看不到所需信息，既不算达标也不算违规。",
        "visible": "可见时长",
        "visible_share": "占视频比例",
        "assessable": "可评估的规则",
        "not_assessable": "无法评估的规则",
        "reason": "原因",
        "legend": "图例",
        "how_to_read": "如何阅读结论",
        "footer_note": "本报告由 etiquette-cv 根据视频自动生成，测量值为估计值，结论供管理人员复核参考。",
        "seconds": "秒",
        "dash": "—",
        "verdicts": "结论",
        "rules_summary": "规则汇总",
        "to_finding": "查看检查项",
        "occasions": "次",
    },
    "en": {
        "title": "Counter service etiquette review",
        "subtitle": "Video pose analysis graded clause by clause against the service rules",
        "source": "Video",
        "duration": "Duration",
        "analysed_frames": "Analysed frames",
        "image_size": "Frame size",
        "rulebook": "Rulebook",
        "generated": "Generated",
        "problem_banner": "Warning: the input video is incomplete; this report covers only the part that was read.",
        "summary": "Summary",
        "score": "Compliance",
        "score_none": "nothing assessable",
        "score_hint": "met ÷ (met + late + missed + violation); \"not assessable\" and \"not applicable\" are not "
                      "counted.",
        "by_verdict": "By verdict",
        "by_rule": "By rule",
        "rule": "Rule",
        "rule_title": "Name",
        "count": "Count",
        "worst": "Worst occasion",
        "none": "none",
        "visits": "Customer visits",
        "visit": "Visit",
        "customer": "Customer",
        "arrive": "Within {near}",
        "leave": "Left {near}",
        "left_view": "out of view",
        "left_view_hint": "The customer walked out of the picture within {near}: the time they were last seen",
        "pass_by": "passed by",
        "pass_by_hint": "The customer walked past the counter (briefly within {near}, never clearly nearer): no "
                        "transaction, and 站接/站送 are not assessable",
        "at_counter": "At counter",
        "handling": "Handling",
        "wait": "Waiting",
        "stand_greet": "Stand to greet",
        "reception": "Standing reception per visit",
        "stand_send_off": "Stand to see off",
        "no_visits": "No customer visits in this video.",
        "timeline": "Timeline",
        "timeline_hint": "One lane per person's state; the visits lane spans each customer's time within {near}; "
                         "below, one lane per rule — click a marker to jump to its finding.",
        "lane_visits": "Visits",
        "states": "States",
        "time_axis": "Time",
        "trunk_plot": "Clerk trunk flexion",
        "trunk_hint": "Forward lean of the trunk from vertical; gaps are where it could not be measured (out of view "
                      "or occluded). Dots mark the detected bow peaks.",
        "trunk_missing": "No clerk trunk-angle data in this review.",
        "bow_peak": "bow peak",
        "degrees": "angle (°)",
        "findings": "Findings",
        "findings_attention": "Needs attention",
        "findings_met": "Met",
        "findings_other": "Other (not applicable / not assessable / info)",
        "no_findings": "No findings.",
        "clause": "Clause",
        "wording": "Wording (original)",
        "time_range": "Time",
        "person": "Person",
        "measured": "Measured",
        "threshold": "Threshold",
        "threshold_standard": "number from the standard",
        "threshold_default": "our configurable default (the standard gives no number)",
        "note": "Note",
        "evidence": "Keyframe",
        "frame": "frame",
        "image_missing": "keyframe image missing",
        "severity": "Severity",
        "coverage": "Coverage",
        "coverage_hint": "\"Not assessable\" means the camera could not see what the rule needs: it counts neither "
                         "as compliance nor as a violation.",
        "visible": "Visible",
        "visible_share": "Share of video",
        "assessable": "Assessable rules",
        "not_assessable": "Not assessable rules",
        "reason": "Reason",
        "legend": "Legend",
        "how_to_read": "How to read the verdicts",
        "footer_note": "Generated automatically from the video by etiquette-cv. Measurements are estimates; the "
                       "verdicts are for a manager to review.",
        "seconds": "s",
        "dash": "—",
        "verdicts": "Verdicts",
        "rules_summary": "Rules",
        "to_finding": "see finding",
        "occasions": "occasions",
    },
}

_VERDICTS: dict[str, dict[str, str]] = {
    "zh": {"met": "达标", "late": "迟到", "missed": "未做到", "violation": "违规", "not_applicable": "不适用",
           "not_assessable": "无法评估", "info": "信息"},
    "en": {"met": "Met", "late": "Late", "missed": "Missed", "violation": "Violation",
           "not_applicable": "Not applicable", "not_assessable": "Not assessable", "info": "Info"},
}

_VERDICT_HELP: dict[str, dict[str, str]] = {
    "zh": {
        "met": "按规定做到了。",
        "late": "做到了，但超过了允许的时间（例如客户进入 {near}后起身过慢）。",
        "missed": "应当做而没有做（例如客户到来时没有起身）。",
        "violation": "出现了规范明令禁止的姿态或行为（例如趴在桌上、手插口袋）。",
        "not_applicable": "该场合不需要做这一项。",
        "not_assessable": "摄像头看不到判断所需的信息，不计入达标率。",
        "info": "仅供参考的记录，不计入达标率。",
    },
    "en": {
        "met": "Done as the rule requires.",
        "late": "Done, but later than allowed (e.g. the clerk stood up too long after the customer came within "
                "{near}).",
        "missed": "Required but not done (e.g. the clerk stayed seated when the customer arrived).",
        "violation": "A posture or behaviour the rules forbid (e.g. lying on the desk, hands in pockets).",
        "not_applicable": "The rule did not apply on this occasion.",
        "not_assessable": "The camera could not see what the rule needs; not counted in the score.",
        "info": "Recorded for reference; not counted in the score.",
    },
}

_SEVERITIES: dict[str, dict[str, str]] = {
    "zh": {"info": "提示", "minor": "轻微", "major": "严重"},
    "en": {"info": "info", "minor": "minor", "major": "major"},
}

_STATES: dict[str, dict[str, str]] = {
    "zh": {"sit": "坐", "stand": "站", "absent": "不在", "unknown": "未知", "bow": "鞠躬", "near": "靠近柜台",
           "visible": "在画面中"},
    "en": {"sit": "sitting", "stand": "standing", "absent": "absent", "unknown": "unknown", "bow": "bowing",
           "near": "near the counter", "visible": "in view"},
}

_PERSONS: dict[str, dict[str, str]] = {
    "zh": {"clerk": "柜员", "customer": "客户"},
    "en": {"clerk": "clerk", "customer": "customer"},
}

_UNITS: dict[str, dict[str, str]] = {
    "zh": {"deg": "°", "s": " 秒", "m": " 米", "m/s": " 米/秒"},
    "en": {"deg": "°", "s": " s", "m": " m", "m/s": " m/s"},
}


def _lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"unknown report language {lang!r}; use one of {', '.join(LANGS)}")
    return lang


def near_text(near_m: float, lang: str) -> str:
    """The near distance as the labels say it: ``2 m`` / ``2 米`` (metres, at most two decimals)."""
    return metres_text(near_m) + _UNITS[_lang(lang)]["m"]


def labels(lang: str, near_m: float = 2.0) -> dict[str, str]:
    """The label table of one language (``zh`` or ``en``), naming the rulebook's near distance ``near_m`` (metres:
    the visits' 2 m of CC 通用规范㈡6 unless a rulebook sets another)."""
    near = near_text(near_m, lang)
    return {k: v.replace("{near}", near) for k, v in _LABELS[_lang(lang)].items()}


def verdict_label(verdict: str, lang: str) -> str:
    """The verdict's name, e.g. ``late`` → ``迟到``."""
    return _VERDICTS[_lang(lang)].get(str(verdict), str(verdict))


def verdict_help(verdict: str, lang: str, near_m: float = 2.0) -> str:
    """One sentence on what the verdict means, for the page's footer (naming the near distance ``near_m``, metres)."""
    return _VERDICT_HELP[_lang(lang)].get(str(verdict), "").replace("{near}", near_text(near_m, lang))


def severity_label(severity: str, lang: str) -> str:
    return _SEVERITIES[_lang(lang)].get(str(severity), str(severity))


def state_label(state: str, lang: str) -> str:
    """A state's name (``sit`` → ``坐``); unknown states are shown as they are."""
    return _STATES[_lang(lang)].get(state, state)


def person_label(person: str, lang: str) -> str:
    """``clerk`` → ``柜员``, ``clerk@A`` → ``柜员 @A``, ``customer#3`` → ``客户 #3``; anything else unchanged."""
    names = _PERSONS[_lang(lang)]
    if person.startswith("clerk@"):
        return f"{names['clerk']} @{person[6:]}"
    base, sep, rest = person.partition("#")
    if base in names:
        return names[base] + (f" #{rest}" if sep else "")
    return person


def unit_suffix(unit: str, lang: str) -> str:
    """What to write after a number in ``unit`` (``deg`` → ``°``); unknown units get a space and the unit."""
    if not unit:
        return ""
    return _UNITS[_lang(lang)].get(unit, f" {unit}")
