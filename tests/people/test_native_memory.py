"""The allocator-heap limit of the people stage (people/native_memory.py), checked in fresh processes by counting
glibc's heaps after six threads allocated at once."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from etiquette_cv.people.config import PeopleConfig
from etiquette_cv.people.native_memory import limit_malloc_arenas

_COUNT_HEAPS = textwrap.dedent("""
    import ctypes, ctypes.util, sys, tempfile, threading
    import numpy as np
    from etiquette_cv.people.native_memory import limit_malloc_arenas
    print(limit_malloc_arenas(int(sys.argv[1])))
    start, kept = threading.Barrier(6), []
    def allocate():
        start.wait()
        kept.extend(np.ones(8192) for _ in range(200))
    threads = [threading.Thread(target=allocate) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.fopen.restype = ctypes.c_void_p
    with tempfile.NamedTemporaryFile("r", suffix=".xml") as f:
        fp = ctypes.c_void_p(libc.fopen(f.name.encode(), b"w"))
        libc.malloc_info(0, fp)
        libc.fclose(fp)
        print(f.read().count("<heap nr="))
""")


def _heaps_after_threads(arenas: int) -> tuple[bool, int]:
    out = subprocess.run([sys.executable, "-c", _COUNT_HEAPS, str(arenas)], capture_output=True, text=True,
                         check=True).stdout.split()
    return out[0] == "True", int(out[1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt and malloc_info")
def test_limit_keeps_threads_in_two_heaps():
    limited, heaps = _heaps_after_threads(2)
    assert limited and heaps == 2
    default, default_heaps = _heaps_after_threads(0)
    assert not default and default_heaps > 2  # without the limit each thread got a heap of its own


def test_zero_leaves_the_default():
    assert limit_malloc_arenas(0) is False


def test_config_rejects_a_negative_count():
    with pytest.raises(ValueError, match="malloc_arenas"):
        PeopleConfig(malloc_arenas=-1)
