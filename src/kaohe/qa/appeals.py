"""Appeals (申诉): an agent contests a QA finding with a comment; a supervisor accepts or
rejects it. An accepted appeal dismisses the finding (kaohe.qa.dismiss, kind appeal), so the
quality scores, the scheme scores and the pay that read them change — in the store, where the
CLI's `score` and `pay` read them too. Every appeal keeps who filed and decided it, when and
why; `pay_before` keeps the payslip lines before the change (the caller's snapshot)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from kaohe.errors import NotFoundError, UsageError
from kaohe.qa.dismiss import APPEAL, FindingKey, dismiss

OPEN, ACCEPTED, REJECTED = "open", "accepted", "rejected"
STATUS_ZH = {OPEN: "待处理", ACCEPTED: "已通过", REJECTED: "已驳回"}
FINDING = "finding"


def file_appeal(store: Any, key: FindingKey, by: str, comment: str) -> int:
    """A new appeal of the finding by its agent's user; its id. One open appeal per finding."""
    if not comment.strip():
        raise UsageError("申诉需要填写理由 / an appeal needs a comment")
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
    with store.transaction() as con:
        if con.execute(
            "SELECT count(*) FROM appeals WHERE kind = ? AND pack = ? AND msg_key = ? "
            "AND rule = ? AND status = ?",
            [FINDING, key.pack, key.msg_key, key.rule, OPEN],
        ).fetchone()[0]:
            raise UsageError("该质检发现已有待处理的申诉 / this finding is already under appeal")
        appeal_id = int(con.execute("SELECT nextval('appeal_id_seq')").fetchone()[0])
        con.execute(
            "INSERT INTO appeals (id, kind, pack, msg_key, rule, agent, period, comment, status, "
            "filed_by, filed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                appeal_id,
                FINDING,
                key.pack,
                key.msg_key,
                key.rule,
                row[0],
                row[1],
                comment.strip(),
                OPEN,
                by,
                datetime.now(),
            ],
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
    if accept:
        key = FindingKey(current["pack"], current["msg_key"], current["rule"])
        dismiss(store, key, by, f"申诉 {appeal_id}：{decision}".rstrip("："), kind=APPEAL)
    with store.transaction() as con:
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
