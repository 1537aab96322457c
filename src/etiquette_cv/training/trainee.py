"""Who the trainee is in a role-play recording, and why.

With a floor calibration the trainee is the clerk of a station (the one seen longest). Without one nobody has a
role: the candidates are the people posed by their own landmarker in at least ``auto_min_share`` of the frames of
the most-posed one (their tracklets joined first, ``people/stitch.py``), and of several the trainee is the one whose
median position is nearest the image centre — a trainer aims the phone at the trainee; a customer walks in from a
side and may stay longer in view than a clerk seated behind the counter. People who show the camera their back
(their shoulders the wrong way round in at least ``back_min_share`` of the frames: a customer facing the clerk the
phone is aimed at) are left out first, as long as somebody posed in at least ``place_min_share`` of the frames does
not. When that is the wrong person, the trainer
names the trainee: ``left``, ``right`` or ``centre`` (among the people posed in at least ``place_min_share`` of the
frames of the most-posed one), or ``#N``, the person number a previous score sheet showed (with a calibration: the
clerk's station name).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core import FramePoses, Landmark


@dataclass(frozen=True)
class Trainee:
    """The person scored, with how they were chosen (English and Chinese)."""

    track_id: int
    label: str
    how_en: str
    how_zh: str


PLACES = ("left", "right", "centre")
_SHOULDERS = [Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER]


def parse_trainee_hint(text: str) -> str | int:
    """``auto``, a place (``left``, ``right``, ``centre``; ``center`` accepted), a person number (``#3`` or ``3``:
    int), or else a station name (str, for a calibrated recording)."""
    t = str(text).strip()
    if t.lower() in ("auto", "") + PLACES or t.lower() == "center":
        return "centre" if t.lower() == "center" else (t.lower() or "auto")
    digits = t[1:] if t.startswith("#") else t
    if digits.isdigit() and int(digits) > 0:
        return int(digits)
    if t.startswith("#"):
        raise ValueError(f"--trainee {t}: a person number is # and a whole number above 0, e.g. #3")
    return t


def choose_trainee(frames: list[FramePoses], hint: str | int = "auto", auto_min_share: float = 0.6,
                   place_min_share: float = 0.25, not_trainee: frozenset[int] = frozenset(),
                   not_trainee_why: tuple[str, str] = ("", ""), back_min_share: float = 0.75) -> Trainee | None:
    """The trainee among the tracked people of a recording without roles (None when nobody was posed); ``hint``
    from :func:`parse_trainee_hint` overrides the automatic choice (ValueError when it names nobody seen).
    ``not_trainee``: people the automatic choice leaves out (customers who walked across a line marked on the floor),
    unless that leaves nobody; ``not_trainee_why`` says why, in English and Chinese, for the sheet. People showing
    the camera their back in at least ``back_min_share`` of the frames their shoulders were seen are left out too
    (module docstring)."""
    counts: dict[int, int] = {}
    centres: dict[int, list[np.ndarray]] = {}
    backs: dict[int, list[bool]] = {}
    w = h = 1
    for f in frames:
        w, h = f.image_width, f.image_height
        for p in f.persons:
            if p.landmarks_source != "mediapipe":
                continue
            counts[p.track_id] = counts.get(p.track_id, 0) + 1
            x0, y0, x1, y1 = p.bbox_px()
            centres.setdefault(p.track_id, []).append(np.array([(x0 + x1) / 2, (y0 + y1) / 2]))
            if np.all(np.minimum(p.visibility, p.presence)[_SHOULDERS] >= 0.5):
                # facing the camera, a person's left shoulder is on the image's right
                backs.setdefault(p.track_id, []).append(bool(p.image_xy_px[_SHOULDERS[0], 0]
                                                             < p.image_xy_px[_SHOULDERS[1], 0]))
    if not counts:
        if hint != "auto":
            raise ValueError(f"--trainee {hint}: nobody was posed in the recording")
        return None
    if hint != "auto":
        return _named_trainee(hint, counts, centres, w, place_min_share)
    left_out = set(not_trainee) & set(counts) if set(counts) - set(not_trainee) else set()
    for tid in left_out:
        del counts[tid]
    turned = _backs_to_camera(counts, backs, place_min_share, back_min_share)
    for tid in turned:
        del counts[tid]
    top = max(counts.values())
    close = [tid for tid, n in counts.items() if n >= auto_min_share * top]
    n_frames = max(len(frames), 1)

    def off_centre(tid: int) -> float:
        c = np.median(np.array(centres[tid]), axis=0)
        return float(np.hypot((c[0] - w / 2) / w, (c[1] - h / 2) / h))

    tid = min(close, key=lambda k: (off_centre(k), -counts[k]))
    share = 100.0 * counts[tid] / n_frames
    trainee = _auto_trainee(tid, close, share, auto_min_share)
    en, zh = trainee.how_en, trainee.how_zh
    if left_out:
        ids = ", ".join(f"#{k}" for k in sorted(left_out))
        en, zh = f"{en}; left out: {ids} ({not_trainee_why[0]})", f"{zh}；已排除{ids}（{not_trainee_why[1]}）"
    if turned:
        ids = ", ".join(f"#{k}" for k in sorted(turned))
        en = f"{en}; left out: {ids} (showed the camera their back, as a customer facing the trainee does)"
        zh = f"{zh}；已排除{ids}（背对镜头，如面向学员的客户）"
    return Trainee(tid, trainee.label, en, zh)


def _backs_to_camera(counts: dict[int, int], backs: dict[int, list[bool]], place_min_share: float,
                     back_min_share: float) -> set[int]:
    """The people posed in at least ``place_min_share`` of the most-posed one's frames who showed the camera their
    back in at least ``back_min_share`` of the frames their shoulders were seen — none when that would leave
    nobody of them."""
    top = max(counts.values())
    candidates = [t for t, n in counts.items() if n >= place_min_share * top]
    turned = {t for t in candidates if backs.get(t) and np.mean(backs[t]) >= back_min_share}
    return turned if set(candidates) - turned else set()


def _auto_trainee(tid: int, close: list[int], share: float, auto_min_share: float) -> Trainee:
    """The automatically chosen trainee with how they were chosen."""
    if len(close) == 1:
        en = (f"no calibration, so no roles: the trainee is person #{tid}, the one seen longest "
              f"({share:.0f} % of the frames)")
        zh = f"无标定，无法区分角色：取出现最久的人（#{tid}，{share:.0f}%的画面）为学员"
    else:
        en = (f"no calibration, so no roles: {len(close)} people were each seen in at least "
              f"{100 * auto_min_share:.0f} % as many frames as the most-seen; the trainee is person #{tid}, the one "
              f"nearest the image centre, where the camera is taken to be aimed ({share:.0f} % of the frames)")
        zh = (f"无标定，无法区分角色：{len(close)}人出现时间均不少于最久者的{100 * auto_min_share:.0f}%，"
              f"取最靠近画面中央（视为镜头所对）的人（#{tid}，{share:.0f}%的画面）为学员")
    return Trainee(tid, f"person#{tid}", en, zh)


def _named_trainee(hint: str | int, counts: dict[int, int], centres: dict[int, list[np.ndarray]], width: int,
                   min_share: float) -> Trainee:
    """The person the trainer named (a number or a place in the image), with how they were chosen."""
    seen = ", ".join(f"#{t}" for t in sorted(counts))
    if isinstance(hint, int):
        if hint not in counts:
            raise ValueError(f"--trainee #{hint}: no person #{hint} was posed in the recording (posed: {seen})")
        return Trainee(hint, f"person#{hint}", f"the trainee is person #{hint}, as named (--trainee)",
                       f"按指定（--trainee）取#{hint}为学员")
    if hint not in PLACES:
        raise ValueError(f"--trainee {hint}: without a calibration name the trainee by place (left, right, centre) "
                         f"or number (posed: {seen})")
    top = max(counts.values())
    among = [t for t, n in counts.items() if n >= min_share * top]
    x = {t: float(np.median(np.array(centres[t])[:, 0])) for t in among}
    pick = {"left": min(among, key=lambda t: x[t]), "right": max(among, key=lambda t: x[t]),
            "centre": min(among, key=lambda t: abs(x[t] - width / 2))}[hint]
    zh = {"left": "最左", "right": "最右", "centre": "最靠近画面中央"}[hint]
    return Trainee(pick, f"person#{pick}",
                   f"the trainee is person #{pick}, the one furthest {hint} in the image of the {len(among)} people "
                   f"seen for long (--trainee {hint})" if hint != "centre" else
                   f"the trainee is person #{pick}, the one nearest the image centre of the {len(among)} people seen "
                   f"for long (--trainee centre)",
                   f"按指定（--trainee {hint}）取久留画面的{len(among)}人中{zh}的#{pick}为学员")
