"""The strict reader shared by the calibration, rulebook and scenario files: one-line errors naming the key."""

from __future__ import annotations

import numpy as np
import pytest

from etiquette_cv.strict_yaml import StrictReader, read_yaml_file


class Oops(ValueError):
    pass


R = StrictReader("f.yaml", Oops)


@pytest.mark.parametrize("call, message", [
    (lambda: R.mapping("a", {"colour": 1}, ("color", "size")), "f.yaml: a.colour: unknown key (did you mean 'color'?)"),
    (lambda: R.mapping("", {"zz": 1}, ("color",)), "f.yaml: zz: unknown key (allowed: color)"),
    (lambda: R.mapping("a", {}, (), ("size",)), "f.yaml: a.size: missing required key"),
    (lambda: R.mapping("a", [1], ()), "f.yaml: a: expected a mapping, got [1]"),
    (lambda: R.number("n", True), "f.yaml: n: expected a number, got True"),
    (lambda: R.number("n", -1, positive=True), "f.yaml: n: expected a positive number, got -1"),
    (lambda: R.number("n", 0, lo=0.0, lo_open=True), "f.yaml: n: expected a number > 0, got 0"),
    (lambda: R.number("n", 200, hi=179), "f.yaml: n: expected a number <= 179, got 200"),
    (lambda: R.integer("i", 1.5), "f.yaml: i: expected an integer, got 1.5"),
    (lambda: R.text("s", " "), "f.yaml: s: expected non-empty text, got ' '"),
    (lambda: R.choice("c", "x", ("a", "b")), "f.yaml: c: expected 'a' or 'b', got 'x'"),
    (lambda: R.vector("v", [1, "x"], ("x", "y")), "f.yaml: v: expected [x, y] numbers, got [1, 'x']"),
    (lambda: R.vector("v", [1, 2], 3), "f.yaml: v: expected a list of 3 numbers, got [1, 2]"),
    (lambda: R.points("p", [[0, 0]], ("x", "y"), 2), "f.yaml: p: expected at least 2 points, got 1"),
])
def test_errors_are_one_line_and_name_the_key(call, message):
    with pytest.raises(Oops) as e:
        call()
    assert str(e.value) == message


def test_good_values_come_back_typed():
    assert R.integer("i", 3.0) == 3 and R.number("n", 2) == 2.0
    np.testing.assert_array_equal(R.points("p", [[0, 1], [2, 3]], ("x", "y"), 2), [[0.0, 1.0], [2.0, 3.0]])


def test_read_yaml_file_errors(tmp_path):
    with pytest.raises(Oops, match=r"^gone.yaml: file not found"):
        read_yaml_file(tmp_path / "gone.yaml", Oops)
    (tmp_path / "gbk.yaml").write_bytes("名称: 柜台".encode("gbk"))
    with pytest.raises(Oops, match=r"^gbk.yaml: not a UTF-8 text file"):
        read_yaml_file(tmp_path / "gbk.yaml", Oops)
    (tmp_path / "bad.yaml").write_text("a: [1,\n")
    with pytest.raises(Oops, match=r"^bad.yaml: not valid YAML at line \d+, column \d+"):
        read_yaml_file(tmp_path / "bad.yaml", Oops)
    (tmp_path / "ok.yaml").write_text("a: 1\n")
    assert read_yaml_file(tmp_path / "ok.yaml", Oops) == {"a": 1}
