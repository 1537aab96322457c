"""The allocator settings of the people stage (people/native_memory.py), checked in fresh processes: glibc's heaps
counted after six threads allocated at once; where a large block freed and asked again comes from."""

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


_LARGE_BLOCK_AGAIN = textwrap.dedent("""
    import ctypes, ctypes.util, sys
    from etiquette_cv.people import native_memory
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    class MallInfo2(ctypes.Structure):
        _fields_ = [(n, ctypes.c_size_t) for n in
                    "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]
    libc.mallinfo2.restype = MallInfo2
    size = 3 << 20
    for step in sys.argv[1:]:  # "fix KB", "started KB", "ended KB", "block": where a large block asked again lands
        if step == "block":
            libc.free(libc.malloc(size))  # a freed large block: glibc's own threshold rises past its size
            before = libc.mallinfo2().hblkhd
            kept = libc.malloc(size)
            print(libc.mallinfo2().hblkhd - before)  # bytes of it that got pages of their own
            libc.free(kept)
            print(libc.mallinfo2().keepcost)  # free bytes kept at the top of the heap, not handed back
        else:
            name, kb = step.split()
            result = getattr(native_memory, {"fix": "fix_mmap_threshold", "started": "posing_started",
                                             "ended": "posing_ended"}[name])(int(kb))
            if result is not None:
                print(result)
""")


def _steps(*steps: str) -> list[str]:
    return subprocess.run([sys.executable, "-c", _LARGE_BLOCK_AGAIN, *steps], capture_output=True, text=True,
                          check=True).stdout.split()


_ONLY_GLIBC = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt and mallinfo2")


@_ONLY_GLIBC
def test_fixed_threshold_gives_large_blocks_their_own_pages():
    fixed, own, _ = _steps("fix 256", "block")
    assert fixed == "True" and int(own) >= 3 << 20  # freed, its pages go back to the system at once
    default, default_own, _ = _steps("fix 0", "block")
    assert default == "False" and int(default_own) == 0  # glibc's rising threshold: out of a heap, kept when freed


@_ONLY_GLIBC
def test_large_blocks_share_the_heaps_again_once_the_last_stage_ended():
    out = [int(v) for v in _steps("started 256", "started 256", "block", "ended 256", "block", "ended 256", "block")]
    own, kept_at_top = out[0::2], out[1::2]
    assert own[0] >= 3 << 20 and own[1] >= 3 << 20  # one of two stages still open
    # both ended: the grading's frames come from the heaps and the heap keeps them when freed (fresh pages per frame
    # were slower)
    assert own[2] == 0 and kept_at_top[2] >= 3 << 20
    assert int(_steps("started 0", "block")[0]) == 0  # 0 leaves glibc's threshold alone


def test_config_rejects_a_threshold_out_of_range():
    for kilobytes in (-1, 32 * 1024 + 1):
        with pytest.raises(ValueError, match="malloc_mmap_threshold_kb"):
            PeopleConfig(malloc_mmap_threshold_kb=kilobytes)


def test_a_people_stage_holds_large_blocks_apart_while_open():
    from etiquette_cv.people import native_memory
    from etiquette_cv.people.stage import PeopleStage

    before = native_memory._stages_open
    stage = PeopleStage(640, 360, 10.0, config=PeopleConfig(malloc_mmap_threshold_kb=256))
    assert native_memory._stages_open == before + 1
    stage.close()
    stage.close()  # a second close does not end another stage's hold
    assert native_memory._stages_open == before


_TRIM = textwrap.dedent("""
    import os
    import numpy as np
    from etiquette_cv.people.native_memory import release_freed_memory
    def resident_mb():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    blocks = [np.ones(8192) for _ in range(2000)]   # 64 kB each, below glibc's mmap threshold: from the heap
    del blocks[::2]                                 # every other one freed: holes the heap's top cannot give back
    before = resident_mb()
    print(release_freed_memory(), before - resident_mb())
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_freed_heap_memory_is_handed_back():
    """What a review's models freed is handed back before grading: here 2000 blocks of 64 kB, every other one freed,
    64 MB in holes of the heap that stay resident until trimmed."""
    out = subprocess.run([sys.executable, "-c", _TRIM], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == "True" and float(out[1]) > 40.0
