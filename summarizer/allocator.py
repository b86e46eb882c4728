"""glibc malloc settings for numpy-heavy work: keep freed memory for reuse instead of unmapping it.

The encoder and spaCy allocate and free temporaries of a few MB thousands of times a briefing.
With glibc's defaults each large block is mmapped and unmapped again, or the heap top is trimmed
back to the kernel, so every reuse page-faults fresh zeroed pages: a cold `brief` on the seeds
spent ~0.9 s in the kernel (~0.3 s with these settings) and ran ~0.4 s longer. The cost is at most
`TRIM_THRESHOLD` of freed memory kept resident (measured: +6 MB peak RSS on the seeds).
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
from collections.abc import Mapping

log = logging.getLogger(__name__)

MMAP_THRESHOLD = 32 * 1024 * 1024  # blocks at least this big still get their own mapping
TRIM_THRESHOLD = 64 * 1024 * 1024  # free heap top kept for reuse before it is given back
_M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
_M_MMAP_THRESHOLD = -3
# Set either by hand and we leave malloc alone: the operator's settings win.
ENV_OVERRIDES = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_")
SWITCH = "BRIEFBOT_MALLOC_TUNE"


def tune_allocator(environ: Mapping[str, str] = os.environ) -> bool:
    """Apply the settings above when running on glibc; returns whether they were applied.

    A no-op elsewhere (macOS, musl), when the operator set glibc's MALLOC_* variables, or when
    `BRIEFBOT_MALLOC_TUNE=off`.
    """
    if not sys.platform.startswith("linux"):
        return False
    if environ.get(SWITCH, "on").strip().lower() in ("off", "0", "false", "no"):
        return False
    if any(name in environ for name in ENV_OVERRIDES):
        return False
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018 - only glibc has it; musl's mallopt does nothing
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    # mallopt returns 1 on success; the mmap threshold first, since it also fixes the dynamic one.
    ok = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    if not ok:
        log.debug("mallopt refused the allocator settings; keeping glibc's defaults")
    return ok
