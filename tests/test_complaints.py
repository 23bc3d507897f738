"""Complaints (投诉): a 72-hour task routed by the record's content type, linked to its history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import Clock

from screening import Screener
from screening.review.complaints import add_complaint, complaint_of, complaints
from screening.review.queue import ReviewQueue
from screening.review.store import SQLiteStore, StoreError


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def queue(tmp_path: Path, clock: Clock) -> ReviewQueue:
    return ReviewQueue(SQLiteStore(tmp_path / "review.db"), clock=clock)


def take(queue: ReviewQueue, tiny: Screener, clock: Clock, rid: str, text: str, *, ct: str = "listing",
         pc: str = "general", merchant: str | None = "店铺甲") -> int | None:
    result = tiny.screen(text, content_type=ct, product_category=pc, id=rid, now=clock()).to_dict()
    return queue.intake({"id": rid, "texts": {"text": text}, "merchant_id": merchant, "content_type": ct,
                         "product_category": pc}, result)


def test_a_complaint_opens_a_72_hour_task_linked_to_the_record(queue: ReviewQueue, tiny: Screener,
                                                              clock: Clock) -> None:
    first = take(queue, tiny, clock, "杯-01", "这款保温杯是最好的礼物")
    queue.decide(first, "false_positive", "张三")
    clock.advance(hours=2)
    take(queue, tiny, clock, "杯-01", "这款保温杯是最佳的礼物")  # edited after the verdict: a new task
    second = queue.list()[0]["id"]
    latest_item = queue.store.query("SELECT MAX(id) AS id FROM items WHERE record_id='杯-01'")[0]["id"]
    clock.advance(hours=1)
    tid = add_complaint(queue, "杯-01", "买家投诉：宣传用语夸大", actor="李四", complainant="消费者")
    t = queue.show(tid)
    assert t["kind"] == "complaint" and t["status"] == "pending" and t["item_id"] == latest_item
    assert t["sla_hours"] == 72 and t["due_at"] == "2026-11-24T13:00:00+08:00"  # 13:00 + 72 h
    assert t["role"] == "merchant_compliance" and t["merchant_id"] == "店铺甲"
    c = complaint_of(queue, tid)
    assert c["linked_tasks"] == [first, second] and c["complainant"] == "消费者" and c["channel"] == "console"
    assert c["text"] == "买家投诉：宣传用语夸大" and c["record_id"] == "杯-01"
    a = queue.store.query("SELECT * FROM audit WHERE action='complaint_opened'")[0]
    assert a["actor"] == "李四" and a["task_id"] == tid and json.loads(a["detail"])["sla_hours"] == 72
    assert [x["task_id"] for x in complaints(queue, "杯-01")] == [tid]


@pytest.mark.parametrize(("ct", "pc", "text", "role"), [
    ("listing", "general", "国家级非遗手工茶叶", "merchant_compliance"),
    ("short_video", "general", "主播说这支口红最好看", "content_review"),
    ("live_script", "general", "今晚直播间最好的价格", "content_review"),
    ("listing", "health_food", "国家级配方的营养粉", "risk_control"),  # high in a regulated sector
])
def test_a_complaint_is_routed_by_the_record_s_content_type(queue: ReviewQueue, tiny: Screener, clock: Clock,
                                                            ct: str, pc: str, text: str, role: str) -> None:
    take(queue, tiny, clock, "记录-7", text, ct=ct, pc=pc)
    tid = add_complaint(queue, "记录-7", "有人投诉这条文案", actor="李四")
    assert queue.show(tid)["role"] == role
    assert queue.show(tid)["sla_hours"] == 72  # the complaint SLA, not the content type's


def test_the_outcome_is_recorded_like_any_verdict(queue: ReviewQueue, tiny: Screener, clock: Clock) -> None:
    first = take(queue, tiny, clock, "耳机-3", "销量全网第一的蓝牙耳机")
    queue.decide(first, "needs_change", "张三")
    tid = add_complaint(queue, "耳机-3", "广告称全网第一，无依据", actor="李四", channel="api")
    assert queue.claim("merchant_compliance", "王五")["id"] == tid
    d = queue.decide(tid, "confirmed", "王五", note="投诉属实")
    assert d["status"] == "decided" and d["decision_record"]["verdict"] == "confirmed"
    rows = list(queue.export())
    assert [r["id"] for r in rows] == [f"review-{first}-耳机-3", f"review-{tid}-耳机-3"]
    assert rows[1]["label"] == "violation" and "投诉属实" in rows[1]["note"]
    assert queue.merchant_history("店铺甲")["violations"] == 2
    # a complaint can be escalated like any task
    tid2 = add_complaint(queue, "耳机-3", "再次投诉", actor="李四", channel="cli")
    assert queue.escalate(tid2, "legal", "王五")["role"] == "legal"


def test_complaint_errors(queue: ReviewQueue, tiny: Screener, clock: Clock) -> None:
    with pytest.raises(StoreError, match="no screened record '无此记录'"):
        add_complaint(queue, "无此记录", "投诉", actor="李四")
    take(queue, tiny, clock, "杯-02", "这款保温杯是最好的礼物")
    with pytest.raises(StoreError, match="text"):
        add_complaint(queue, "杯-02", "   ", actor="李四")
    with pytest.raises(StoreError, match="at most"):
        add_complaint(queue, "杯-02", "投" * 5001, actor="李四")
    with pytest.raises(StoreError, match="channel"):
        add_complaint(queue, "杯-02", "投诉", actor="李四", channel="<script>")
    assert queue.store.query("SELECT COUNT(*) AS n FROM complaints")[0]["n"] == 0
