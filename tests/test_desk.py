"""The reviewer's desk: every console action checked against the person, on the server (issue 18)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import Clock

from screening import Screener
from screening.review.desk import Desk
from screening.review.queue import ReviewQueue
from screening.review.store import SQLiteStore, StoreError
from screening.review.users import PermissionDenied, User, Users

PW = "复核台-password-01"


class World:
    def __init__(self, tmp_path: Path, tiny: Screener) -> None:
        self.clock = Clock()
        store = SQLiteStore(tmp_path / "review.db")
        self.queue = ReviewQueue(store, clock=self.clock)
        self.users = Users(store, clock=self.clock)
        self.desk = Desk(self.queue, self.users)
        self.tiny = tiny
        self.lead = self.users.add("组长", PW, [], lead=True, actor="cli")
        self.merch = self.users.add("张三", PW, ["merchant_compliance"], actor="组长")
        self.video = self.users.add("李四", PW, ["content_review"], actor="组长")
        self.legal = self.users.add("王律师", PW, ["legal"], actor="组长")

    def take(self, rid: str, text: str, *, ct: str = "listing", merchant: str | None = "店铺乙") -> int:
        result = self.tiny.screen(text, content_type=ct, product_category="general", id=rid,
                                  now=self.clock()).to_dict()
        tid = self.queue.intake({"id": rid, "texts": {"text": text}, "merchant_id": merchant, "content_type": ct,
                                 "product_category": "general"}, result)
        assert tid is not None
        return tid

    def audit(self, action: str) -> list[dict]:
        return [dict(r) for r in self.queue.store.query("SELECT * FROM audit WHERE action=? ORDER BY id", (action,))]


@pytest.fixture
def w(tmp_path: Path, tiny: Screener) -> World:
    return World(tmp_path, tiny)


def test_a_reviewer_cannot_claim_another_role_s_task(w: World) -> None:
    w.take("视频-1", "主播说这支口红最好看", ct="short_video")
    with pytest.raises(PermissionDenied):
        w.desk.claim_next(w.merch, "content_review")
    with pytest.raises(PermissionDenied):
        w.desk.my_queue(w.merch, "content_review")
    denied = w.audit("denied")
    assert denied[0]["actor"] == "张三" and json.loads(denied[0]["detail"])["attempted"] == "claim"
    assert w.queue.show(1)["status"] == "pending"  # nothing happened
    assert w.desk.claim_next(w.video, "content_review")["id"] == 1


def test_a_reviewer_cannot_open_decide_or_escalate_another_role_s_task(w: World) -> None:
    tid = w.take("视频-2", "今晚直播间最好的价格", ct="live_script")
    for act in (lambda: w.desk.task(w.merch, tid),
                lambda: w.desk.decide(w.merch, tid, "false_positive"),
                lambda: w.desk.escalate(w.merch, tid, "legal")):
        with pytest.raises(PermissionDenied):
            act()
    assert w.queue.show(tid)["status"] == "pending" and w.queue.show(tid)["role"] == "content_review"
    assert [json.loads(a["detail"])["attempted"] for a in w.audit("denied")] == ["see_task", "decide", "escalate"]
    # once escalated to legal, the content reviewer cannot decide it, legal can
    w.desk.escalate(w.video, tid, "legal", note="涉及价格承诺")
    with pytest.raises(PermissionDenied):
        w.desk.decide(w.video, tid, "confirmed")
    with pytest.raises(PermissionDenied):
        w.desk.task(w.video, tid)  # escalated away: nobody holds it, not their role
    d = w.desk.decide(w.legal, tid, "confirmed", note="法务确认")
    assert d["status"] == "decided" and d["decision_record"]["reviewer"] == "王律师"
    assert w.audit("escalated")[0]["actor"] == "李四" and w.audit("decided")[0]["actor"] == "王律师"


def test_a_reviewer_sees_tasks_they_hold_or_decided_even_after_they_move(w: World) -> None:
    tid = w.take("视频-3", "主播说这支口红最好看", ct="short_video")
    w.desk.claim_next(w.video, "content_review")
    w.desk.escalate(w.video, tid, "risk_control")
    with pytest.raises(PermissionDenied):
        w.desk.task(w.video, tid)  # not theirs any more (nobody holds it)
    w.desk.reassign(w.lead, tid, role="content_review", reviewer="李四")
    assert w.desk.task(w.video, tid)["reviewer"] == "李四"


def test_a_reviewer_cannot_do_what_only_a_lead_does(w: World, tmp_path: Path) -> None:
    tid = w.take("杯-5", "这款保温杯是最好的礼物")
    w.desk.decide(w.merch, tid, "false_positive", propose_allow=True)
    pid = w.queue.proposals()[0]["id"]
    lead_only = {
        "settle_proposal": lambda u: w.desk.settle(u, pid, True, user_lexicon=tmp_path / "user"),
        "see_proposals": lambda u: w.desk.proposals(u),
        "reassign": lambda u: w.desk.reassign(u, tid, role="legal"),
        "see_overdue": lambda u: w.desk.overdue(u),
        "see_kpis": lambda u: w.desk.kpis(u),
        "see_merchants": lambda u: w.desk.merchants(u),
        "export": lambda u: w.desk.export(u),
        "add_user": lambda u: w.desk.add_user(u, "新人", PW, ["legal"]),
        "disable_user": lambda u: w.desk.disable_user(u, "李四"),
        "see_users": lambda u: w.desk.people(u),
    }
    for act in lead_only.values():
        for reviewer in (w.merch, w.legal):
            with pytest.raises(PermissionDenied):
                act(reviewer)
    assert {json.loads(a["detail"])["attempted"] for a in w.audit("denied")} == set(lead_only)
    assert w.queue.proposals()[0]["status"] == "proposed" and not (tmp_path / "user").exists()
    assert w.users.by_name("新人") is None and w.users.by_name("李四").active
    # the lead can
    assert w.desk.settle(w.lead, pid, True, user_lexicon=tmp_path / "user")["status"] == "accepted"
    assert (tmp_path / "user").is_dir()
    assert w.audit("proposal_accepted")[0]["actor"] == "组长"
    assert [r["label"] for r in w.desk.export(w.lead)] == ["ok"]
    assert w.audit("exported")[0]["actor"] == "组长"
    assert w.desk.add_user(w.lead, "新人", PW, ["legal"]).roles == ("legal",)


def test_a_lead_acts_on_every_role(w: World) -> None:
    a = w.take("视频-4", "主播说这支口红最好看", ct="short_video")
    b = w.take("杯-6", "这款保温杯是最好的礼物")
    assert w.desk.my_queue(w.lead)["roles"] == ["merchant_compliance", "content_review", "risk_control", "legal"]
    assert w.desk.claim_next(w.lead, "content_review")["id"] == a
    assert w.desk.decide(w.lead, b, "needs_change")["decision_record"]["reviewer"] == "组长"


def test_a_disabled_person_or_a_lost_role_counts_at_once(w: World) -> None:
    w.take("视频-5", "主播说这支口红最好看", ct="short_video")
    stale = w.video  # the session's copy
    w.users.set_roles("李四", ["legal"], lead=False, actor="组长")
    with pytest.raises(PermissionDenied):
        w.desk.claim_next(stale, "content_review")
    w.users.disable("李四", actor="组长")
    with pytest.raises(PermissionDenied):
        w.desk.my_queue(stale, "legal")
    with pytest.raises(PermissionDenied):
        w.desk.complain(stale, "视频-5", "投诉")
    forged = User(w.merch.id, "张三", ("merchant_compliance",), True, True)  # claims to be a lead
    with pytest.raises(PermissionDenied):
        w.desk.kpis(forged)
    ghost = User(999, "无此人", ("legal",), True, True)
    with pytest.raises(PermissionDenied):
        w.desk.overdue(ghost)


def test_the_role_is_checked_again_in_the_decision_s_transaction(w: World) -> None:
    tid = w.take("视频-6", "主播说这支口红最好看", ct="short_video")
    w.queue.escalate(tid, "legal", "李四")  # moved between the page's check and the click
    with pytest.raises(StoreError, match="legal now"):
        w.queue.decide(tid, "confirmed", "李四", roles=("content_review",))
    with pytest.raises(StoreError, match="legal now"):
        w.queue.escalate(tid, "risk_control", "李四", roles=("content_review",))
    assert w.queue.show(tid)["status"] == "pending"


def test_two_reviewers_claiming_at_once_get_different_tasks(w: World) -> None:
    for i in range(3):
        w.take(f"视频-{i}", f"第{i}款口红最好看", ct="short_video")
    other = w.users.add("赵六", PW, ["content_review"], actor="组长")
    a = w.desk.claim_next(w.video, "content_review")
    b = w.desk.claim_next(other, "content_review")
    assert a["id"] != b["id"]
    q = w.desk.my_queue(w.video, "content_review")
    assert [t["id"] for t in q["held"]] == [a["id"]] and q["total"] == 3


def test_my_queue_pages_soonest_due_first_with_countdown(w: World) -> None:
    ids = [w.take(f"杯-{i}", f"第{i}号保温杯是最好的礼物") for i in range(5)]
    v = w.take("视频-9", "主播说这支口红最好看", ct="short_video")  # due in 2 h: first for its role only
    w.clock.advance(hours=1)
    page1 = w.desk.my_queue(w.merch, offset=0, limit=2)
    page2 = w.desk.my_queue(w.merch, offset=2, limit=2)
    page3 = w.desk.my_queue(w.merch, offset=4, limit=2)
    assert page1["role"] == "merchant_compliance" and page1["total"] == 5
    assert [t["id"] for t in page1["open"] + page2["open"] + page3["open"]] == ids
    t = page1["open"][0]
    assert t["seconds_left"] == 23 * 3600 and t["overdue"] is False and t["due_at"] == "2026-11-22T10:00:00+08:00"
    w.clock.advance(hours=1, seconds=1)
    v_task = w.desk.my_queue(w.video)["open"][0]
    assert v_task["id"] == v and v_task["overdue"] is True and v_task["seconds_left"] == -1
    assert [t["id"] for t in w.desk.overdue(w.lead)] == [v] and w.desk.overdue_count(w.lead) == 1


def test_the_task_page_has_revisions_with_a_diff_merchant_and_complaint(w: World) -> None:
    tid = w.take("耳机-1", "销量第一的蓝牙耳机", merchant="店铺丙")
    w.clock.advance(hours=1)
    assert w.take("耳机-1", "销量全网第一的蓝牙耳机", merchant="店铺丙") == tid
    page = w.desk.task(w.merch, tid)
    assert page["revision_count"] == 2
    assert [r["texts"]["text"] for r in page["revisions"]] == ["销量全网第一的蓝牙耳机", "销量第一的蓝牙耳机"]
    assert page["revisions"][0]["diff"] == [("equal", "销量"), ("insert", "全网"), ("equal", "第一的蓝牙耳机")]
    assert page["revisions"][1]["diff"] == [("equal", "销量第一的蓝牙耳机")]
    assert page["merchant"]["merchant_id"] == "店铺丙" and page["merchant"]["grade"] is None
    assert page["complaint"] is None and page["may_act"] is True
    assert (page["content_type"], page["product_category"], page["inferred_category"]) == ("listing", "general", None)
    w.desk.decide(w.merch, tid, "confirmed")
    cid = w.desk.complain(w.video, "耳机-1", "消费者投诉：全网第一无依据", complainant="消费者")
    c = w.desk.task(w.merch, cid)
    assert c["kind"] == "complaint" and c["complaint"]["linked_tasks"] == [tid]
    assert c["complaint"]["channel"] == "console" and c["sla_hours"] == 72
    assert c["record_tasks"] == [{"id": tid, "kind": "screening", "role": "merchant_compliance",
                                  "status": "decided", "reviewer": "张三", "verdict": "confirmed"}]
    assert c["merchant"]["grade"] == "轻度" and c["merchant"]["violations"] == 1
    assert c["merchant"]["recent"][0]["task_id"] == tid
    assert w.audit("complaint_opened")[0]["actor"] == "李四"


def test_reassign_checks_the_reviewer_and_is_audited(w: World) -> None:
    tid = w.take("杯-9", "这款保温杯是最好的礼物")
    with pytest.raises(StoreError, match="does not review"):
        w.desk.reassign(w.lead, tid, reviewer="李四")  # content_review only
    with pytest.raises(StoreError, match="no active user"):
        w.desk.reassign(w.lead, tid, reviewer="无此人")
    t = w.desk.reassign(w.lead, tid, reviewer="张三")
    assert t["status"] == "claimed" and t["reviewer"] == "张三"
    t = w.desk.reassign(w.lead, tid, role="legal", reviewer="王律师")
    assert t["role"] == "legal" and t["reviewer"] == "王律师"
    a = w.audit("reassigned")
    assert [x["actor"] for x in a] == ["组长", "组长"]
    assert json.loads(a[1]["detail"])["from_reviewer"] == "张三"


def test_kpis_have_decisions_per_day_and_time_to_decision(w: World) -> None:
    a = w.take("杯-1", "这款保温杯是最好的礼物")
    b = w.take("视频-1", "主播说这支口红最好看", ct="short_video")
    w.clock.advance(hours=1)
    w.desk.decide(w.merch, a, "confirmed")
    w.clock.advance(hours=2)  # b is 3 h old: past its 2-hour SLA
    w.desk.decide(w.video, b, "false_positive")
    w.clock.advance(days=1)
    c = w.take("杯-2", "第二款保温杯是最好的礼物")
    w.clock.advance(hours=5)
    w.desk.decide(w.merch, c, "confirmed")
    k = w.desk.kpis(w.lead)
    assert k["decided"] == 3 and k["within_sla"] == round(2 / 3, 4)
    assert k["p50_hours_to_decision"] == 3.0 and k["p90_hours_to_decision"] == 4.6
    assert k["decisions_per_day"] == [
        {"day": "2026-11-21", "role": "content_review", "n": 1},
        {"day": "2026-11-21", "role": "merchant_compliance", "n": 1},
        {"day": "2026-11-22", "role": "merchant_compliance", "n": 1},
    ]
    assert k["per_role"]["merchant_compliance"]["p50_hours_to_decision"] == 3.0
    m = w.desk.merchants(w.lead)
    assert m[0]["merchant_id"] == "店铺乙" and m[0]["violations"] == 2 and m[0]["grade"] == "轻度"


def test_the_page_says_whether_the_verdict_buttons_work(w: World) -> None:
    tid = w.take("杯-7", "这款保温杯是最好的礼物")
    other = w.users.add("赵六", PW, ["merchant_compliance"], actor="组长")
    assert w.desk.task(w.merch, tid)["may_act"] is True  # pending, their role
    w.desk.claim_next(other, "merchant_compliance")
    assert w.desk.task(w.merch, tid)["may_act"] is False  # held by another
    assert w.desk.task(other, tid)["may_act"] is True
    assert w.desk.task(w.lead, tid)["may_act"] is False  # a lead reassigns first
    with pytest.raises(StoreError, match="claimed by 赵六"):
        w.desk.decide(w.merch, tid, "confirmed")
    w.desk.decide(other, tid, "confirmed")
    assert w.desk.task(other, tid)["may_act"] is False
