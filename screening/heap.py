"""Keeping the cyclic garbage collector off long-lived data while a batch runs.

A batch allocates many short-lived containers (hits, contexts, findings, results), and every
so many of them CPython's collector runs; its oldest generation walks every object the process
holds: the lexicon, the word index, jieba's dictionary, the caller's own data (a catalogue held
in memory). On a catalogue scan that walking was about a tenth of the engine's time, and in a
forked worker it also writes to every object it visits, so pages shared with the parent get
copied. :func:`frozen` leaves out of those passes what existed before the batch
(``gc.freeze``, as the gc documentation advises before a fork) and gives it back afterwards:
objects made during the batch are collected as usual, and garbage that existed before waits
until the batch is done.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_depth = 0  # batches inside a freeze of ours, in any thread; the last one out unfreezes
_ours = False  # whether the freeze in force is ours to undo
# Set once the process is seen to freeze its heap itself: from then on it manages freezing. (Counting
# the frozen objects walks them all, so it is done only until then: with nothing frozen it is free.)
_theirs = False


@contextlib.contextmanager
def frozen() -> Iterator[None]:
    """Run the block with the objects that exist now left out of garbage collection.

    Nested and concurrent blocks share one freeze, undone when the last one ends. A process
    that froze its heap itself (a pre-fork server calling ``gc.freeze()``) keeps it as it is:
    nothing is frozen or unfrozen for it, then or later.
    """
    global _depth, _ours, _theirs
    with _lock:
        if _depth == 0:
            _ours = False
            if not _theirs and gc.get_freeze_count():
                _theirs = True
            if not _theirs and gc.isenabled():
                gc.freeze()
                _ours = True
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _ours:
                gc.unfreeze()
                _ours = False
