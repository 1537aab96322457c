"""How the C allocator keeps the native libraries' memory (MediaPipe, onnxruntime): how many heaps, and from what
size a block gets pages of its own.

glibc gives each thread that meets a locked heap a heap (arena) of its own, up to eight per core. The people stage's
native threads (a landmarker graph per tracked person, restarted when a crop rescales; the detector's session) then
spread their allocations over many arenas, each of which keeps freed memory it cannot give back, so the resident
size climbs over a long run. Measured (``benchmarks/people_memory.py``: the bundled ``reception`` sample looped to
5 minutes, 2 cores, full model): peak resident 699 / 857 / 838 MB over the run's thirds with glibc's default,
642 / 642 / 642 MB with two arenas, 143 s and 148 s; over the 7.56-hour synthetic day (``throughput.py --day-hours
8``) the people stage held 618 MB in its first third and 630 MB in its last, where it had grown from 829 to 997 MB.
The limit is set at the process's start (the command line, ``watch``) and again when a people stage starts.

Large blocks (frames, crops, the models' tensors) get pages of their own (``mmap``) above glibc's threshold, which
starts at 128 kB and rises to the size of every such block freed, up to 32 MB: after the first frames the decoded
frames and tensors were carved out of the heaps, whose freed gaps are kept. While a people stage is open a fixed
threshold (``PeopleConfig.malloc_mmap_threshold_kb``, 256 kB) hands every large block's pages back when it is freed:
the same 5-minute run peaked at 556 / 567 / 566 MB against 606 / 614 / 623 with two heaps alone (164 s and 156 s;
1 MB instead of 256 kB gained nothing). Once the last stage closed, large blocks come from the heaps again
(:func:`posing_ended`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import threading

_M_ARENA_MAX = -8
"""``mallopt`` parameter number of ``M_ARENA_MAX`` (glibc's ``malloc.h``)."""
_M_MMAP_THRESHOLD = -3
"""``mallopt`` parameter number of ``M_MMAP_THRESHOLD``; setting it also stops glibc raising it on its own."""
_M_TRIM_THRESHOLD = -1
"""``mallopt`` parameter number of ``M_TRIM_THRESHOLD``: free memory at a heap's top beyond this is handed back."""


GLIBC_MMAP_THRESHOLD_CAP_KB = 32 * 1024
"""The highest threshold glibc's own rising threshold reaches on 64-bit systems (``DEFAULT_MMAP_THRESHOLD_MAX``)."""
_stages_open = 0
_stages_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def _libc():
    """The C library (None where it cannot be loaded); looked up once (``find_library`` runs ``ldconfig``)."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c"))
    except (OSError, TypeError):
        return None


@functools.lru_cache(maxsize=1)
def _mallopt():
    """glibc's ``mallopt`` (None on a C library without it: macOS, musl)."""
    mallopt = getattr(_libc(), "mallopt", None)
    if mallopt is None:
        return None
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return mallopt


def release_freed_memory() -> bool:
    """Hand the heap memory freed so far back to the system (glibc's ``malloc_trim``): the models' threads allocate
    in arenas of their own, whose freed memory stays resident until trimmed — a review trims once its models are
    closed (measured on the reception sample: 120 MB less resident for the grading that follows). Returns whether it
    ran (False without glibc)."""
    trim = getattr(_libc(), "malloc_trim", None)
    if trim is None:
        return False
    trim(0)
    return True


def limit_malloc_arenas(arenas: int) -> bool:
    """Limit the arenas glibc's allocator creates from now on to ``arenas`` (0 leaves the default). Returns whether
    the limit was set: False on a C library without ``mallopt`` (macOS, musl) or when it refused."""
    mallopt = _mallopt() if arenas > 0 else None
    return mallopt is not None and bool(mallopt(_M_ARENA_MAX, int(arenas)))


def fix_mmap_threshold(kilobytes: int) -> bool:
    """Give every block of at least ``kilobytes`` kB pages of its own, handed back when it is freed (0 leaves glibc's
    rising threshold). Returns whether it was set (False without glibc's ``mallopt`` or when it refused)."""
    mallopt = _mallopt() if kilobytes > 0 else None
    return mallopt is not None and bool(mallopt(_M_MMAP_THRESHOLD, int(kilobytes) * 1024))


def posing_started(mmap_threshold_kb: int) -> None:
    """A people stage starts: blocks of at least ``mmap_threshold_kb`` kB get pages of their own while any stage is
    open (0: glibc's threshold is left alone)."""
    global _stages_open
    if mmap_threshold_kb <= 0:
        return
    with _stages_lock:
        _stages_open += 1
        fix_mmap_threshold(mmap_threshold_kb)


def posing_ended(mmap_threshold_kb: int) -> None:
    """A people stage ends: once none is open, large blocks come from the heaps again (the threshold at glibc's own
    cap, the heap's top kept up to twice that, as glibc pairs the two when it raises them itself): the grading that
    follows decodes and copies frames, and fresh pages for each block made it slower — the reception sample's review
    from its tracks 9.4–10.4 s with the fixed threshold, 5.0–6.3 s with glibc's rising one, 4.0–4.7 s so (resident
    309–312 MB all three)."""
    global _stages_open
    if mmap_threshold_kb <= 0:
        return
    with _stages_lock:
        _stages_open = max(0, _stages_open - 1)
        if _stages_open == 0:
            fix_mmap_threshold(GLIBC_MMAP_THRESHOLD_CAP_KB)
            mallopt = _mallopt()
            if mallopt is not None:
                mallopt(_M_TRIM_THRESHOLD, 2 * GLIBC_MMAP_THRESHOLD_CAP_KB * 1024)
