"""Keeping the process's resident memory close to what it holds.

glibc's allocator gives each thread that allocates its own arena, up to eight per core, and
an arena keeps the memory freed in it for reuse. The twin decodes point clouds and reads
files on short-lived worker threads, so after a layer is removed its memory stays spread
over arenas that the next thread may not reuse: resident memory grows by tens of MB with
each opening and closing although nothing is leaked. Two arenas keep the decoder threads
from contending on one lock while bounding that spread; trimming hands the pages freed on
removing a layer back to the system at once. Both are glibc functions: on other C
libraries they do nothing.

Where no GPU draws the 3D view (servers, virtual machines, CI, Xvfb), Mesa's software renderer
llvmpipe does. It bins each frame into "scenes" that its rasterizer threads work through while
the next is binned; a frame of millions of points fills dozens of them, and an idle scene keeps
its binned memory until it is used again, which after smaller frames it never is. Only the end
of the OpenGL context frees them (for the Qt view, the window's): removing a 3 M-point cloud
left about 500 MB behind. Rasterizing on the drawing thread, as llvmpipe does when given no
threads, needs one scene at a time and leaves nothing behind.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os

_M_ARENA_MAX = -8  # mallopt's parameter number, from glibc's malloc.h
ARENAS = 2


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        library = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    if library is None or not hasattr(library, "mallopt") or not hasattr(library, "malloc_trim"):
        return None
    return library


def limit_allocator_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's malloc arenas (call at start-up, before worker threads); False where not glibc."""
    library = _glibc()
    return bool(library and library.mallopt(_M_ARENA_MAX, arenas))


def release_freed_memory() -> bool:
    """Return the allocator's free pages to the system; False where not glibc or nothing was freed."""
    library = _glibc()
    return bool(library and library.malloc_trim(0))


def bound_software_renderer_memory() -> None:
    """Have llvmpipe rasterize each frame on the drawing thread (call before any OpenGL is used).

    Mesa reads LP_NUM_THREADS once, when the process first opens OpenGL; a value the user set
    is kept. GPU drivers ignore it.
    """
    os.environ.setdefault("LP_NUM_THREADS", "0")
