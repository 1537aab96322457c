"""How many heaps the C allocator keeps for the native libraries' threads (MediaPipe, onnxruntime).

glibc gives each thread that meets a locked heap a heap (arena) of its own, up to eight per core. The people stage's
native threads (a landmarker graph per tracked person, restarted when a crop rescales; the detector's session) then
spread their allocations over many arenas, each of which keeps freed memory it cannot give back, so the resident
size climbs over a long run. Measured (``benchmarks/people_memory.py``: the bundled ``reception`` sample looped to
5 minutes, 2 cores, full model): peak resident 699 / 857 / 838 MB over the run's thirds with glibc's default,
642 / 642 / 642 MB with two arenas, 143 s and 148 s; over the 7.56-hour synthetic day (``throughput.py --day-hours
8``) the people stage held 618 MB in its first third and 630 MB in its last, where it had grown from 829 to 997 MB.
The limit is set at the process's start (the command line, ``watch``) and again when a people stage starts.
"""

from __future__ import annotations

import ctypes
import ctypes.util

_M_ARENA_MAX = -8
"""``mallopt`` parameter number of ``M_ARENA_MAX`` (glibc's ``malloc.h``)."""


def limit_malloc_arenas(arenas: int) -> bool:
    """Limit the arenas glibc's allocator creates from now on to ``arenas`` (0 leaves the default). Returns whether
    the limit was set: False on a C library without ``mallopt`` (macOS, musl) or when it refused."""
    if arenas <= 0:
        return False
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(_M_ARENA_MAX, int(arenas)))
