"""The C heap under scoring's large temporaries (glibc; elsewhere every call here does nothing).

A block of scoring makes some twenty arrays of ~16 MB each and frees them before the next block. glibc maps
each allocation of that size fresh from the system and unmaps it on free, so every block pays thousands of
page faults to get zeroed pages, and the scoring threads each build heaps of their own that are created and
dropped as blocks come and go. Within :func:`reused_heap` the freed blocks stay in one heap and the next block
takes them again: on the 121,500-person company, scoring took 4-10% less time at the same peak memory
(docs/performance.md, target 4). :func:`release_free_memory` hands free heap pages back afterwards.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Iterator
from contextlib import contextmanager

# mallopt parameters (malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
# what glibc's dynamic threshold reaches once a large block has been freed: 32 MB (DEFAULT_MMAP_THRESHOLD_MAX on
# 64-bit systems), trimming at twice that; restored after scoring
MMAP_THRESHOLD_AFTER = 32 << 20
TRIM_THRESHOLD_AFTER = 64 << 20


def _glibc():
    try:
        libc = ctypes.CDLL(None)
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def release_free_memory() -> bool:
    """Give the C allocator's free heap pages back to the system (glibc's ``malloc_trim``); False where there is
    no such call. Scoring frees its blocks into the heap, which glibc keeps in the process, and HiGHS's working
    memory comes on top: on the 121,500-person company this returned ~250 MB just before the solve, the run's
    peak, and took its peak from 2,084 to 1,776 MB at no measurable cost in time."""
    libc = _glibc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True


@contextmanager
def reused_heap(largest: int = 64 << 20) -> Iterator[bool]:
    """Within: allocations below ``largest`` bytes come from one heap shared by all threads and return to it
    when freed, instead of being mapped fresh each time; afterwards glibc's usual large-block settings are set
    again and free pages go back to the system. Yields whether the setting took effect.

    One setting outlives the block: glibc fixes its limit on heaps for threads the first time a thread needs
    one, so threads the process starts later share the one heap too (numpy and Python allocate little per
    thread outside scoring; the tests in ``tests/test_scoring_blocks.py`` check the rest is restored)."""
    libc = _glibc()
    took = libc is not None and all(libc.mallopt(option, value) == 1 for option, value in (
        (M_ARENA_MAX, 1), (M_MMAP_THRESHOLD, largest), (M_TRIM_THRESHOLD, 4 * largest)))
    try:
        yield took
    finally:
        if libc is not None:
            libc.mallopt(M_ARENA_MAX, 8 * (os.cpu_count() or 1))  # glibc's own limit (0 would change nothing)
            libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_AFTER)
            libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_AFTER)
            libc.malloc_trim(0)
