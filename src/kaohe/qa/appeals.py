"""Appeals (申诉): an agent contests, with a comment, a QA finding, an order's credit (the
order was theirs) or a manual review; a supervisor accepts or rejects it. An accepted appeal
changes what the metrics read, in the store, where the CLI's `score` and `pay` read it too:

- a finding is dismissed (kaohe.qa.dismiss, kind appeal): the quality figures drop it;
- an order is credited to the appealing agent (`credit_overrides`, honoured by the
  attribution, kaohe.engine.attribution.attributed): sales, conversion and commission move;
- a review stops counting (`qa_review_voids`, read by kaohe.engine.quality.scored_reviews;
  kept apart from qa_review_scores, which the scorer recomputes).

Every appeal keeps who filed and decided it, when and why; `pay_before` keeps the payslip
lines before the change (the caller's snapshot)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from kaohe.errors import NotFoundError, UsageError
from kaohe.qa.dismiss import APPEAL, FindingKey, dismiss

OPEN, ACCEPTED, REJECTED = "open", "accepted", "rejected"
STATUS_ZH = {OPEN: "待处理", ACCEPTED: "已通过", REJECTED: "已驳回"}
FINDING, CREDIT, REVIEW = "finding", "credit", "review"
KIND_ZH = {FINDING: "质检发现", CREDIT: "订单归属", REVIEW: "人工质检"}


def file_appeal(store: Any, key: FindingKey, by: str, comment: str) -> int:
    """A new appeal of the finding by its agent's user; its id. One open appeal per finding."""
    _need_comment(comment)
    row = store.con.execute(
        "SELECT agent, strftime(time, '%Y-%m') FROM qa_findings "
        "WHERE pack = ? AND msg_key = ? AND rule = ? LIMIT 1",
        [key.pack, key.msg_key, key.rule],
    ).fetchone()
    if row is None:
        raise NotFoundError(
            f"未找到该质检发现（规则 {key.rule}）/ no finding of rule {key.rule!r} "
            f"on message {key.msg_key!r}"
        )
    subject = {"pack": key.pack, "msg_key": key.msg_key, "rule": key.rule}
    busy = "该质检发现已有待处理的申诉 / this finding is already under appeal"
    return _insert(store, FINDING, subject, row[0], row[1], by, comment, busy)


def file_credit_appeal(store: Any, order_id: str, agent: str, by: str, comment: str) -> int:
    """A new appeal by `agent` (through their user `by`) to be credited with the order; its
    id. The period is the month the order was paid in (its sale counts there), else created."""
    from kaohe.engine.attribution import credit

    _need_comment(comment)
    found = credit(store, order_id)  # NotFoundError names an unknown order
    if found["credited_agent"] == agent:
        raise UsageError(
            f"订单 {order_id} 已归属于你 / order {order_id} is already credited to you"
        )
    when = found["paid_at"] or found["created_at"]
    busy = f"订单 {order_id} 已有待处理的申诉 / order {order_id} is already under appeal"
    return _insert(
        store, CREDIT, {"order_id": order_id}, agent, when.strftime("%Y-%m"), by, comment, busy
    )


def file_review_appeal(store: Any, review_id: str, agent: str, by: str, comment: str) -> int:
    """A new appeal by `agent` of their scored review; its id (period: the review's month)."""
    _need_comment(comment)
    row = store.con.execute(
        "SELECT agent, strftime(day, '%Y-%m') FROM qa_review_scores WHERE review_id = ?",
        [review_id],
    ).fetchone()
    if row is None or row[0] != agent:
        raise NotFoundError(f"未找到该人工质检 {review_id} / no review {review_id!r} of {agent}")
    busy = f"人工质检 {review_id} 已有待处理的申诉 / review {review_id} is already under appeal"
    return _insert(store, REVIEW, {"review_id": review_id}, agent, row[1], by, comment, busy)


def _need_comment(comment: str) -> None:
    if not comment.strip():
        raise UsageError("申诉需要填写理由 / an appeal needs a comment")


def _insert(
    store: Any,
    kind: str,
    subject: dict[str, str],
    agent: str,
    period: str,
    by: str,
    comment: str,
    busy: str,
) -> int:
    """The appeal's row (one open appeal per subject); its id."""
    _need_comment(comment)
    same = " AND ".join(f"{column} = ?" for column in subject)
    with store.transaction() as con:
        if con.execute(
            f"SELECT count(*) FROM appeals WHERE kind = ? AND status = ? AND {same}",
            [kind, OPEN, *subject.values()],
        ).fetchone()[0]:
            raise UsageError(busy)
        appeal_id = int(con.execute("SELECT nextval('appeal_id_seq')").fetchone()[0])
        columns = ["id", "kind", *subject, "agent", "period", "comment", "status"]
        columns += ["filed_by", "filed_at"]
        values = [appeal_id, kind, *subject.values(), agent, period, comment.strip(), OPEN]
        values += [by, datetime.now()]
        con.execute(
            f"INSERT INTO appeals ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            values,
        )
    return appeal_id


def appeal(store: Any, appeal_id: int) -> dict[str, Any]:
    rows = appeals(store, ids=[appeal_id])
    if not rows:
        raise NotFoundError(f"未找到申诉 {appeal_id} / no appeal {appeal_id}")
    return rows[0]


def appeals(
    store: Any,
    agents: set[str] | None = None,
    status: str = "",
    ids: list[int] | None = None,
    period: str = "",
) -> list[dict[str, Any]]:
    """Appeals newest first, narrowed to `agents` (None: all), a status, ids or a period."""
    where: list[str] = ["1 = 1"]
    args: list[Any] = []
    if agents is not None:
        where.append("agent IN (SELECT unnest(?))")
        args.append(sorted(agents))
    if status:
        where.append("status = ?")
        args.append(status)
    if ids:
        where.append("id IN (SELECT unnest(?))")
        args.append(ids)
    if period:
        where.append("period = ?")
        args.append(period)
    cur = store.con.execute(
        f"SELECT * FROM appeals WHERE {' AND '.join(where)} ORDER BY filed_at DESC, id DESC", args
    )
    names = [d[0] for d in cur.description]
    out = []
    for row in cur.fetchall():
        item = dict(zip(names, row, strict=True))
        item["status_text"] = STATUS_ZH.get(item["status"], item["status"])
        item["kind_text"] = KIND_ZH.get(item["kind"], item["kind"])
        item["pay_before"] = json.loads(item["pay_before"]) if item["pay_before"] else None
        out.append(item)
    return out


def decide(
    store: Any,
    appeal_id: int,
    accept: bool,
    by: str,
    decision: str = "",
    pay_before: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Accept (the finding leaves the scores) or reject an open appeal; the decided appeal."""
    current = appeal(store, appeal_id)
    if current["status"] != OPEN:
        raise UsageError(
            f"申诉 {appeal_id} 已处理（{current['status_text']}）/ appeal {appeal_id} is "
            f"already {current['status']}"
        )
    if accept and current["kind"] == FINDING:
        key = FindingKey(current["pack"], current["msg_key"], current["rule"])
        dismiss(store, key, by, f"申诉 {appeal_id}：{decision}".rstrip("："), kind=APPEAL)
    with store.transaction() as con:
        if accept and current["kind"] == CREDIT:
            _credit_to(con, current, by)
        if accept and current["kind"] == REVIEW:
            _void_review(con, current, by)
        con.execute(
            "UPDATE appeals SET status = ?, decided_by = ?, decided_at = ?, decision = ?, "
            "pay_before = ? WHERE id = ?",
            [
                ACCEPTED if accept else REJECTED,
                by,
                datetime.now(),
                decision,
                json.dumps(pay_before, ensure_ascii=False) if accept and pay_before else None,
                appeal_id,
            ],
        )
    return appeal(store, appeal_id)


def _credit_to(con: Any, current: dict[str, Any], by: str) -> None:
    """The order credited to the appealing agent (an earlier override replaced); `time` is
    the order's creation, the day the metric facts recompute from."""
    con.execute("DELETE FROM credit_overrides WHERE order_id = ?", [current["order_id"]])
    con.execute(
        "INSERT INTO credit_overrides (order_id, agent, time, appeal_id, by_user) "
        "SELECT order_id, ?, created_at, ?, ? FROM orders WHERE order_id = ?",
        [current["agent"], current["id"], by, current["order_id"]],
    )


def _void_review(con: Any, current: dict[str, Any], by: str) -> None:
    """The review out of the scores (qa_review_voids), dated by its day."""
    con.execute(
        "INSERT OR REPLACE INTO qa_review_voids (review_id, day, agent, appeal_id, by_user) "
        "SELECT review_id, day, agent, ?, ? FROM qa_review_scores WHERE review_id = ?",
        [current["id"], by, current["review_id"]],
    )


def voided_reviews(store: Any, review_ids: list[str]) -> set[str]:
    """The reviews among `review_ids` an accepted appeal took out of the scores."""
    rows = store.con.execute(
        "SELECT review_id FROM qa_review_voids WHERE review_id IN (SELECT unnest(?))",
        [review_ids],
    ).fetchall()
    return {r[0] for r in rows}
