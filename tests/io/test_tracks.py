"""Tracks file: round trip, interrupted runs, malformed files."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from etiquette_cv.io.tracks import (TracksError, TracksFooter, TracksHeader, TracksStream, TracksWriter,
                                    prepare_resume, read_tracks, write_tracks)
from etiquette_cv.core import FramePoses, PersonPose


def make_person(rng, track_id=1, role="clerk") -> PersonPose:
    return PersonPose(
        track_id=track_id, role=role, station="A" if role == "clerk" else None,
        floor_xy_m=rng.uniform(-2, 2, 2).astype(np.float32), floor_source="feet" if role == "customer" else "shoulders",
        box_xyxy_px=np.array([10, 20, 110, 320], np.float32),
        image_xy_px=rng.uniform(0, 1000, (33, 2)).astype(np.float32),
        image_z=rng.normal(0, 50, 33).astype(np.float32),
        world_xyz_m=rng.normal(0, 0.5, (33, 3)).astype(np.float32),
        visibility=rng.uniform(0, 1, 33).astype(np.float32),
        presence=rng.uniform(0, 1, 33).astype(np.float32),
    )


def header() -> TracksHeader:
    return TracksHeader(source="clip.mp4", image_width=1280, image_height=720, nominal_fps=25.0, analysis_fps=10.0,
                        model="full", model_sha256="ab" * 32, detector="movenet", calibration="cam.yaml")


def frames(n=5, seed=0):
    rng = np.random.default_rng(seed)
    return [FramePoses(i * 3, i * 0.1, 1280, 720, [make_person(rng, 1, "clerk"), make_person(rng, 2, "customer")]
                       if i % 2 == 0 else [make_person(rng, 1, "clerk")]) for i in range(n)]


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz"])
def test_round_trip_keeps_every_value_to_its_rounding(tmp_path, suffix):
    src = frames()
    path = write_tracks(tmp_path / f"t{suffix}", header(), src, TracksFooter(15, 5, True))
    back = read_tracks(path)
    assert back.complete and back.footer.frames_analysed == 5
    assert back.header.detector == "movenet" and back.header.image_width == 1280 and back.header.version == 2
    assert [f.frame_index for f in back.frames] == [0, 3, 6, 9, 12]
    assert [len(f.persons) for f in back.frames] == [2, 1, 2, 1, 2]
    for a, b in zip(src, back.frames):
        assert b.timestamp_s == pytest.approx(a.timestamp_s)
        for p, q in zip(a.persons, b.persons):
            assert (p.track_id, p.role, p.station, p.floor_source) == (q.track_id, q.role, q.station, q.floor_source)
            np.testing.assert_allclose(q.floor_xy_m, p.floor_xy_m, atol=6e-5)
            np.testing.assert_allclose(q.box_xyxy_px, p.box_xyxy_px, atol=0.06)
            np.testing.assert_allclose(q.image_xy_px, p.image_xy_px, atol=0.006)
            np.testing.assert_allclose(q.world_xyz_m, p.world_xyz_m, atol=6e-5)
            np.testing.assert_allclose(q.visibility, p.visibility, atol=6e-4)


def test_a_person_filled_into_a_gap_reads_back_as_interpolated_with_nothing_visible(tmp_path):
    from dataclasses import replace
    p = replace(make_person(np.random.default_rng(3), 4, "customer"), landmarks_source="interpolated",
                floor_source="interpolated", visibility=np.zeros(33), presence=np.zeros(33))
    back = read_tracks(write_tracks(tmp_path / "t.jsonl", header(), [FramePoses(0, 0.0, 1280, 720, [p])]))
    (q,) = back.frames[0].persons
    assert (q.landmarks_source, q.floor_source) == ("interpolated", "interpolated")
    assert q.visibility.max() == 0 and q.bbox_px() == pytest.approx((10, 20, 110, 320))


def test_a_stream_reads_one_frame_at_a_time_and_the_footer_at_its_end(tmp_path):
    path = write_tracks(tmp_path / "t.jsonl.gz", header(), frames(4), TracksFooter(12, 4, True))
    stream = TracksStream(path)
    assert stream.header.source == "clip.mp4" and stream.footer is None
    it = iter(stream)
    assert next(it).frame_index == 0 and stream.footer is None   # nothing read ahead
    assert [f.frame_index for f in it] == [3, 6, 9] and stream.footer.complete
    assert [f.frame_index for f in read_tracks(path).frames] == [0, 3, 6, 9]


def test_interrupted_run_keeps_frames_written_before_the_crash(tmp_path):
    path = tmp_path / "t.jsonl"
    writer = TracksWriter(path, header())
    for f in frames(3):
        writer.write_frame(f)
    # simulate a kill mid-line: no footer, a partial last line
    with open(path, "a", encoding="utf-8") as fh:
        fh.write('{"frame": 9, "t_s": 0.9, "pers')
    back = read_tracks(path)
    assert len(back.frames) == 3 and not back.complete and back.footer is None


def test_truncated_gzip_keeps_what_was_readable(tmp_path):
    path = write_tracks(tmp_path / "t.jsonl.gz", header(), frames(40), TracksFooter(40, 40, True))
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * 0.6)])
    back = read_tracks(path)
    assert 0 < len(back.frames) < 40 and not back.complete


def test_footer_records_a_problem(tmp_path):
    path = write_tracks(tmp_path / "t.jsonl", header(), frames(2), TracksFooter(5, 2, False, "clip.mp4: truncated"))
    back = read_tracks(path)
    assert not back.complete and back.footer.problem == "clip.mp4: truncated"


def test_errors_name_file_and_line(tmp_path):
    with pytest.raises(TracksError, match="nope.jsonl: no such file"):
        read_tracks(tmp_path / "nope.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text("hello\n")
    with pytest.raises(TracksError, match="bad.jsonl: line 1"):
        read_tracks(bad)
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps({"schema": "something-else"}) + "\n")
    with pytest.raises(TracksError, match="other.jsonl: line 1: not an etiquette-cv/tracks header"):
        read_tracks(other)
    path = write_tracks(tmp_path / "t.jsonl", header(), frames(2))
    lines = path.read_text().splitlines()
    obj = json.loads(lines[2])
    obj["persons"][0]["xy_px"] = obj["persons"][0]["xy_px"][:10]
    lines[2] = json.dumps(obj)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(TracksError, match=r"t.jsonl: line 3: persons\[0\]: 'xy_px' has shape \(10, 2\)"):
        read_tracks(path)
    newer = tmp_path / "v9.jsonl"
    head = json.loads(lines[0])
    head["version"] = 9
    newer.write_text(json.dumps(head) + "\n")
    with pytest.raises(TracksError, match="version 9 is not supported"):
        read_tracks(newer)


def test_gzip_output_is_compressed(tmp_path):
    path = write_tracks(tmp_path / "t.jsonl.gz", header(), frames(3))
    with gzip.open(path, "rt") as fh:
        assert json.loads(fh.readline())["schema"] == "etiquette-cv/tracks"


def test_version_1_file_still_loads_with_roles_from_its_regions(tmp_path):
    """A tracks file from the region-based pose stage: the clerk region's person is a clerk, the customer region's
    a customer, without floor points."""
    path = tmp_path / "v1.jsonl"
    person = {"xy_px": [[1.0, 2.0]] * 33, "z": [0.0] * 33, "world_m": [[0.0, 0.0, 0.0]] * 33,
              "visibility": [0.9] * 33, "presence": [0.9] * 33}
    lines = [{"schema": "etiquette-cv/tracks", "version": 1, "source": "a.mp4", "image_width": 640,
              "image_height": 480, "nominal_fps": 10.0, "analysis_fps": 10.0, "model": "full", "model_sha256": None,
              "regions": [{"name": "clerk", "x": 0, "y": 0, "width": 10, "height": 10, "follow": False}],
              "landmark_names": []},
             {"frame": 0, "t_s": 0.0, "persons": [{"track_id": 1, "region": "clerk", **person},
                                                   {"track_id": 2, "region": "customer", **person}]}]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    back = read_tracks(path)
    assert back.header.version == 1
    clerk, customer = back.frames[0].persons
    assert (clerk.role, clerk.station, customer.role, customer.station) == ("clerk", "clerk", "customer", None)
    assert clerk.floor_xy_m is None


def test_unknown_role_is_a_one_line_error(tmp_path):
    path = write_tracks(tmp_path / "t.jsonl", header(), frames(1))
    text = path.read_text().replace('"role":"customer"', '"role":"cashier"')
    path.write_text(text)
    with pytest.raises(TracksError, match=r"t.jsonl: line 2: persons\[1\]: role 'cashier' is not one of"):
        read_tracks(path)


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz"])
def test_a_truncated_file_is_made_clean_and_continued(tmp_path, suffix):
    """A run killed mid-write: prepare_resume keeps every readable frame, says where it stopped, and the file can
    be continued (a new gzip member for .gz) and read whole, footer included."""
    path = write_tracks(tmp_path / f"t{suffix}", header(), frames(40), TracksFooter(40, 40, True))
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * 0.6)])
    kept = len(read_tracks(path).frames)
    point = prepare_resume(path)
    assert not point.complete and point.frames == kept and 0 < kept < 40
    assert point.last_t_s == pytest.approx((kept - 1) * 0.1) and point.last_frame_index == (kept - 1) * 3
    assert point.max_track_id == 2 and point.header.source == "clip.mp4"
    assert point.person_frames == sum(2 if i % 2 == 0 else 1 for i in range(kept))
    rng = np.random.default_rng(9)
    with TracksWriter(path, point.header, append=True) as w:
        w.write_frame(FramePoses(999, 99.0, 1280, 720, [make_person(rng, point.max_track_id + 1)]))
        w.close(TracksFooter(50, kept + 1, True))
    back = read_tracks(path)
    assert back.complete and len(back.frames) == kept + 1
    assert back.frames[-1].frame_index == 999 and back.frames[-1].persons[0].track_id == 3
    assert not list(tmp_path.glob("*resume-tmp*"))


def test_a_complete_file_is_not_touched_by_prepare_resume(tmp_path):
    path = write_tracks(tmp_path / "t.jsonl", header(), frames(3), TracksFooter(9, 3, True))
    before = path.read_bytes()
    point = prepare_resume(path)
    assert point.complete and point.frames == 3 and path.read_bytes() == before
