"""Who the trainee is in a role-play recording, and why.

With a floor calibration the trainee is the clerk of a station (the one seen longest). Without one nobody has a
role, so the trainee is the person posed by their own landmarker in the most frames; when another person comes
within ``tie_fraction`` of that count, the one whose median position is nearest the image centre.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core import FramePoses


@dataclass(frozen=True)
class Trainee:
    """The person scored, with how they were chosen (English and Chinese)."""

    track_id: int
    label: str
    how_en: str
    how_zh: str


def choose_trainee(frames: list[FramePoses], tie_fraction: float = 0.9) -> Trainee | None:
    """The trainee among the tracked people of a recording without roles (None when nobody was posed)."""
    counts: dict[int, int] = {}
    centres: dict[int, list[np.ndarray]] = {}
    w = h = 1
    for f in frames:
        w, h = f.image_width, f.image_height
        for p in f.persons:
            if p.landmarks_source != "mediapipe":
                continue
            counts[p.track_id] = counts.get(p.track_id, 0) + 1
            x0, y0, x1, y1 = p.bbox_px()
            centres.setdefault(p.track_id, []).append(np.array([(x0 + x1) / 2, (y0 + y1) / 2]))
    if not counts:
        return None
    top = max(counts.values())
    close = [tid for tid, n in counts.items() if n >= tie_fraction * top]
    n_frames = max(len(frames), 1)

    def off_centre(tid: int) -> float:
        c = np.median(np.array(centres[tid]), axis=0)
        return float(np.hypot((c[0] - w / 2) / w, (c[1] - h / 2) / h))

    tid = min(close, key=lambda k: (off_centre(k), -counts[k]))
    share = 100.0 * counts[tid] / n_frames
    if len(close) == 1:
        en = (f"no calibration, so no roles: the trainee is person #{tid}, the one seen longest "
              f"({share:.0f} % of the frames)")
        zh = f"无标定，无法区分角色：取出现最久的人（#{tid}，{share:.0f}%的画面）为学员"
    else:
        en = (f"no calibration, so no roles: {len(close)} people were seen about as long; the trainee is person "
              f"#{tid}, the one nearest the image centre")
        zh = f"无标定，无法区分角色：{len(close)}人出现时间相近，取最靠近画面中央的人（#{tid}）为学员"
    return Trainee(tid, f"person#{tid}", en, zh)
