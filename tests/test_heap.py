"""heap.frozen: a batch runs with what existed before it left out of garbage collection."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest

from screening import Screener, heap


class Node:
    """A cycle-capable object that tells, by weak reference, whether it was collected."""

    def __init__(self) -> None:
        self.other: Node | None = None


def cycle() -> weakref.ref[Node]:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


@pytest.fixture(autouse=True)
def unfrozen_heap(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each test starts as a process that never froze its heap itself.
    monkeypatch.setattr(heap, "_theirs", False)
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_what_exists_before_the_block_is_frozen_during_it_and_given_back_after() -> None:
    old = cycle()
    with heap.frozen():
        assert gc.get_freeze_count() > 0
        young = cycle()
        gc.collect()
        assert young() is None  # made during the batch: collected as usual
        assert old() is not None  # existed before: left alone while the batch runs
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert old() is None


def test_nested_blocks_share_one_freeze_undone_by_the_outermost() -> None:
    with heap.frozen():
        count = gc.get_freeze_count()
        with heap.frozen():
            assert gc.get_freeze_count() >= count
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


def test_concurrent_blocks_unfreeze_only_when_the_last_one_ends() -> None:
    entered, release = threading.Event(), threading.Event()

    def other_batch() -> None:
        with heap.frozen():
            entered.set()
            release.wait(5)

    t = threading.Thread(target=other_batch)
    with heap.frozen():
        t.start()
        entered.wait(5)
    assert gc.get_freeze_count() > 0  # the other thread's batch is still running
    release.set()
    t.join()
    assert gc.get_freeze_count() == 0


def test_a_heap_the_process_froze_itself_is_left_as_it_is_then_and_later() -> None:
    gc.freeze()
    count = gc.get_freeze_count()
    with heap.frozen():
        assert gc.get_freeze_count() == count
    assert gc.get_freeze_count() == count
    # The process manages freezing from now on: a batch after it unfroze freezes nothing either.
    gc.unfreeze()
    with heap.frozen():
        assert gc.get_freeze_count() == 0


def test_an_error_in_the_block_still_gives_the_heap_back() -> None:
    with pytest.raises(ValueError), heap.frozen():
        raise ValueError("bad record")
    assert gc.get_freeze_count() == 0


def test_screening_a_batch_leaves_the_heap_as_it_found_it(screener: Screener) -> None:
    results = list(screener.screen_many([{"id": "t-1", "text": "全网最低价，第一品牌"}, {"id": "t-2", "text": "纯棉短袖"}]))
    assert [r.decision for r in results][1] == "pass"
    assert gc.get_freeze_count() == 0
    screener.screen_batch([("国家级护肤品，最好用", "listing", "cosmetics", "t-3")])
    assert gc.get_freeze_count() == 0


def test_a_scan_with_workers_leaves_the_heap_as_it_found_it(screener: Screener, tmp_path) -> None:
    from screening.batch.scan import scan_file

    src = tmp_path / "catalogue.jsonl"
    src.write_text('{"id": "s-1", "text": "全网最低价，第一品牌"}\n{"id": "s-2", "text": "纯棉短袖T恤"}\n',
                   encoding="utf-8")
    summary = scan_file(screener, str(src), str(tmp_path / "out.jsonl"), workers=2, progress=False)
    assert summary.records == 2
    assert gc.get_freeze_count() == 0


def frozen_in_worker(item: dict, result: dict) -> int:
    """A scan's ``finish`` run in the worker: how many objects its collector leaves alone."""
    return gc.get_freeze_count()


def test_scan_workers_are_forked_with_the_parent_heap_frozen(screener: Screener) -> None:
    from screening.batch.scan import FieldMap, screen_items

    items = [FieldMap().item(n, {"id": f"w-{n}", "text": "第一品牌，最好用的面霜"}, "line") for n in range(1, 5)]
    counts = [got for _, got in screen_items(screener, items, workers=2, chunk_size=2, finish=frozen_in_worker)]
    assert len(counts) == 4 and min(counts) > 1000  # the screener and all the parent held
    assert gc.get_freeze_count() == 0
