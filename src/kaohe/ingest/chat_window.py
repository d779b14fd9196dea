"""The 千牛 chat window copied as text (preset ``qianniu_window``).

Layout: a header line ``昵称 YYYY-M-D H:MM:SS`` (or ``[昵称] 2024-01-01 10:00:00``) followed by
the message's lines. Nicknames of the form ``店铺名:子账号`` are agents, any other nickname is
the buyer of the thread. Status lines (已读, 未读, 发送中) are dropped; ``X 撤回了一条消息``
is a withdrawn message of X; ``A --> B time`` and ``由 服务助手 转交给…`` are hand-off lines;
``当前用户来自…`` and ``原因：【…】`` are system lines; the card placeholder
``请在客户端查看原始聊天记录，网页版无法展示`` is a card.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import polars as pl

COLUMNS = ["shop", "platform", "buyer", "agent", "sender", "time", "text", "msg_type", "auto_reply"]
ROW = "_row"

_TIME = r"(?P<time>\d{4}[-/]\d{1,2}[-/]\d{1,2}\s+\d{1,2}:\d{2}(?::\d{2})?)"
_HEADER_BRACKET = re.compile(rf"^\[(?P<nick>[^\]\t,]+)\]\s*{_TIME}$")
_HEADER_PLAIN = re.compile(rf"^(?P<nick>[^\t,]+?)\s+{_TIME}$")
_TRANSFER = re.compile(rf"^(?P<src>[^\t,]+?)\s*-->\s*(?P<dst>[^\t,]+?)\s+{_TIME}$")
_WITHDRAW = re.compile(r"^(?P<who>.+?)\s*撤回了一条消息$")
_HANDOFF = re.compile(r"^由\s*.+?\s*转交给")
_SYSTEM = re.compile(r"^(当前用户来自|原因[：:]\s*【)")
STATUS_LINES = {"已读", "未读", "发送中", "发送失败", "对方已读", "对方未读"}
CARD_TEXT = "请在客户端查看原始聊天记录，网页版无法展示"
IMAGE_TEXTS = {"[图片]", "【图片】"}
AUTO_PREFIXES = ("[自动回复]", "【自动回复】", "自动回复：", "自动回复:")
BOT_NAMES = re.compile(r"(小蜜|机器人|智能客服|服务助手)")
SELF_NAMES = {"你", "您", "我"}


@dataclass
class _Msg:
    line: int
    nick: str | None
    time: str | None
    sender: str
    lines: list[str] = field(default_factory=list)
    msg_type: str | None = None
    agent: str | None = None


def _norm_time(text: str) -> str:
    date, clock = text.split()
    y, m, d = re.split(r"[-/]", date)
    parts = [int(p) for p in clock.split(":")] + [0]
    return f"{int(y):04d}-{int(m):02d}-{int(d):02d} {parts[0]:02d}:{parts[1]:02d}:{parts[2]:02d}"


def _header(line: str) -> tuple[str, str] | None:
    for pattern in (_HEADER_BRACKET, _HEADER_PLAIN):
        m = pattern.match(line)
        if m and "-->" not in m["nick"]:
            return m["nick"].strip(), _norm_time(m["time"])
    return None


def is_agent(nick: str) -> bool:
    """店铺名:子账号 (either colon width) is an agent; any other nickname is a buyer."""
    return ":" in nick or "：" in nick


def _sender_of(nick: str) -> str:
    if not is_agent(nick):
        return "buyer"
    return "bot" if BOT_NAMES.search(re.split(r"[:：]", nick, maxsplit=1)[1]) else "agent"


def _is_structural(line: str) -> bool:
    return bool(
        _TRANSFER.match(line) or _header(line) or _SYSTEM.match(line) or _HANDOFF.match(line)
    )


def looks_like_chat_window(text: str) -> bool:
    """True when the first non-empty line is a chat-window header, transfer or system line."""
    for line in text.lstrip("\ufeff").splitlines()[:50]:
        if line.strip():
            return _is_structural(line.strip())
    return False


class _Parser:
    def __init__(self) -> None:
        self.msgs: list[_Msg] = []
        self.current: _Msg | None = None
        self.last_time: str | None = None
        self.last_agent: str | None = None

    def feed(self, number: int, raw: str) -> None:
        line = raw.strip()
        if not line or line in STATUS_LINES:
            return
        for handler in (self._transfer, self._header, self._withdraw, self._system):
            if handler(number, line):
                return
        if self.current is not None:
            self.current.lines.append(line)

    def _open(self, msg: _Msg, keep_open: bool = True) -> None:
        self.msgs.append(msg)
        self.current = msg if keep_open else None

    def _transfer(self, number: int, line: str) -> bool:
        m = _TRANSFER.match(line)
        if not m:
            return False
        self.last_time = _norm_time(m["time"])
        msg = _Msg(
            number, None, self.last_time, "system", [line], "handoff", agent=m["dst"].strip()
        )
        self._open(msg, keep_open=False)
        return True

    def _header(self, number: int, line: str) -> bool:
        head = _header(line)
        if head is None:
            return False
        nick, self.last_time = head
        if is_agent(nick):
            self.last_agent = nick
        self._open(_Msg(number, nick, self.last_time, _sender_of(nick)))
        return True

    def _withdraw(self, number: int, line: str) -> bool:
        m = _WITHDRAW.match(line)
        if not m:
            return False
        who = m["who"].strip()
        who = (self.last_agent or who) if who in SELF_NAMES else who
        cur = self.current
        if cur is not None and not cur.lines and cur.nick == who:
            cur.lines.append(line)
            cur.msg_type = "withdrawn"
            self.current = None
        else:
            self._open(
                _Msg(number, who, self.last_time, _sender_of(who), [line], "withdrawn"),
                keep_open=False,
            )
        return True

    def _system(self, number: int, line: str) -> bool:
        handoff = bool(_HANDOFF.match(line))
        if not handoff and not _SYSTEM.match(line):
            return False
        msg_type = "handoff" if handoff else "text"
        self._open(_Msg(number, None, self.last_time, "system", [line], msg_type), keep_open=False)
        return True


def _msg_type(msg: _Msg, text: str) -> str:
    if msg.msg_type:
        return msg.msg_type
    if text == CARD_TEXT:
        return "card"
    return "image" if text in IMAGE_TEXTS else "text"


def _records(msgs: list[_Msg]) -> list[dict[str, object]]:
    rows = []
    for msg in msgs:
        text = "\n".join(msg.lines)
        agent = msg.nick if msg.nick and is_agent(msg.nick) else msg.agent
        buyer = msg.nick if msg.nick and msg.sender == "buyer" else None
        rows.append(
            {
                "buyer": buyer,
                "agent": agent,
                "sender": msg.sender,
                "time": msg.time,
                "text": text,
                "msg_type": _msg_type(msg, text),
                "auto_reply": "true" if text.startswith(AUTO_PREFIXES) else "false",
                ROW: msg.line,
            }
        )
    return rows


def _shop_of(agent: str | None) -> str | None:
    if not agent or not is_agent(agent):
        return None
    return re.split(r"[:：]", agent, maxsplit=1)[0].strip() or None


def parse_chat_window(
    text: str, *, shop: str | None = None, platform: str | None = None
) -> pl.DataFrame:
    """Messages of a copied chat window as canonical Utf8 columns plus ``_row`` (the line
    number of each message's header line)."""
    parser = _Parser()
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        parser.feed(number, line)
    rows = _records(parser.msgs)
    schema_ = {**{c: pl.Utf8 for c in COLUMNS}, ROW: pl.Int64}
    frame = pl.DataFrame(
        rows,
        schema={k: v for k, v in schema_.items() if k not in ("shop", "platform")},
        orient="row",
    )
    frame = frame.with_columns(
        pl.col("buyer").forward_fill().backward_fill(),
        pl.col("time").forward_fill().backward_fill(),
        pl.col("agent").map_elements(_shop_of, return_dtype=pl.Utf8).alias("shop"),
        pl.lit(platform, pl.Utf8).alias("platform"),
    )
    frame = _fill_shop(frame, shop)
    return frame.select([pl.col(c).cast(pl.Utf8) for c in COLUMNS] + [pl.col(ROW)])


def _fill_shop(frame: pl.DataFrame, shop: str | None) -> pl.DataFrame:
    if shop:
        return frame.with_columns(pl.lit(shop, pl.Utf8).alias("shop"))
    shops = frame["shop"].drop_nulls()
    fallback = shops.mode().sort()[0] if shops.len() else None
    return frame.with_columns(
        pl.col("shop").forward_fill().backward_fill().fill_null(pl.lit(fallback, pl.Utf8))
    )
