"""The 千牛 chat window copied as text (preset ``qianniu_window``).

Layout: a header line ``昵称 YYYY-M-D H:MM:SS`` (or ``[昵称] 2024-01-01 10:00:00``) followed by
the message's lines. Nicknames of the form ``店铺名:子账号`` are agents, any other nickname is
the buyer of the thread. Status lines (已读, 未读, 发送中) are dropped; ``X 撤回了一条消息``
is a withdrawn message of X; ``A --> B time`` and ``由 服务助手 转交给…`` are hand-off lines;
``当前用户来自…`` and ``原因：【…】`` are system lines; the card placeholder
``请在客户端查看原始聊天记录，网页版无法展示`` is a card.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from kaohe import saferegex

COLUMNS = ["shop", "platform", "buyer", "agent", "sender", "time", "text", "msg_type", "auto_reply"]
ROW = "_row"

# Lines are taken apart with string operations; the only patterns left are fixed-width date
# and clock checks on single tokens (no nested or adjacent quantifiers: the old header regex
# backtracked for 18 s on a line of spaces around "-->").
_DATE_AT_END = saferegex.compile(r"\d{4}[-/]\d{1,2}[-/]\d{1,2}$", "chat-window date")
_CLOCK = saferegex.compile(r"\d{1,2}:\d{2}(?::\d{2})?", "chat-window clock")
WITHDRAWN = "撤回了一条消息"
HANDOFF_START, HANDOFF_WORD = "由", "转交给"
SYSTEM_STARTS = ("当前用户来自",)
REASON_START = "原因"
TRANSFER = "-->"
STATUS_LINES = {"已读", "未读", "发送中", "发送失败", "对方已读", "对方未读"}
CARD_TEXT = "请在客户端查看原始聊天记录，网页版无法展示"
IMAGE_TEXTS = {"[图片]", "【图片】"}
AUTO_PREFIXES = ("[自动回复]", "【自动回复】", "自动回复：", "自动回复:")
BOT_WORDS = ("小蜜", "机器人", "智能客服", "服务助手")
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


def _norm_time(date: str, clock: str) -> str:
    y, m, d = date.replace("/", "-").split("-")
    parts = [int(p) for p in clock.split(":")] + [0]
    return f"{int(y):04d}-{int(m):02d}-{int(d):02d} {parts[0]:02d}:{parts[1]:02d}:{parts[2]:02d}"


def _split_time(line: str) -> tuple[str, str, bool] | None:
    """(text before the time, normalised time, whitespace before the date) when the line
    ends with `YYYY-M-D H:MM[:SS]`."""
    parts = line.rsplit(None, 1)
    if len(parts) != 2 or not _CLOCK.fullmatch(parts[1]):
        return None
    rest = parts[0].rstrip()
    token = rest.rsplit(None, 1)[-1] if rest else ""
    date = _DATE_AT_END.search(token) if len(token) <= 200 else None
    if date is None:
        return None
    head = rest[: len(rest) - len(token) + date.start()]
    spaced = date.start() == 0 and head != head.rstrip()
    return head.strip(), _norm_time(date.group(0), parts[1]), spaced


def _plain_name(text: str) -> bool:
    return bool(text) and "\t" not in text and "," not in text


def _header(line: str) -> tuple[str, str] | None:
    """(nickname, time) of a message header: `[昵称] 2024-01-01 10:00:00` or
    `昵称 2024-1-1 10:00` (a space before the date)."""
    split = _split_time(line)
    if split is None:
        return None
    head, time, spaced = split
    if head.startswith("[") and head.endswith("]"):
        nick = head[1:-1]
        if _plain_name(nick) and "]" not in nick:
            return nick.strip(), time
        return None
    if spaced and _plain_name(head) and TRANSFER not in head:
        return head, time
    return None


def _transfer(line: str) -> tuple[str, str, str] | None:
    """(from, to, time) of a transfer line `A --> B 2024-01-01 10:00:00`."""
    if TRANSFER not in line:
        return None
    split = _split_time(line)
    if split is None or not split[2]:
        return None
    src, _, dst = split[0].partition(TRANSFER)
    src, dst = src.strip(), dst.strip()
    if not (_plain_name(src) and _plain_name(dst)):
        return None
    return src, dst, split[1]


def _withdrawn_by(line: str) -> str | None:
    if not line.endswith(WITHDRAWN):
        return None
    who = line[: -len(WITHDRAWN)].strip()
    return who or None


def _is_handoff(line: str) -> bool:
    return line.startswith(HANDOFF_START) and line.find(HANDOFF_WORD, 2) >= 2


def _is_system(line: str) -> bool:
    if line.startswith(SYSTEM_STARTS):
        return True
    rest = line[len(REASON_START) :] if line.startswith(REASON_START) else None
    return rest is not None and rest[:1] in (":", "：") and rest[1:].lstrip().startswith("【")


def is_agent(nick: str) -> bool:
    """店铺名:子账号 (either colon width) is an agent; any other nickname is a buyer."""
    return ":" in nick or "：" in nick


def _account_name(nick: str) -> str:
    """The part of 店铺名:子账号 after the first colon of either width."""
    cut = min((i for i in (nick.find(":"), nick.find("：")) if i >= 0), default=-1)
    return nick[cut + 1 :] if cut >= 0 else nick


def _sender_of(nick: str) -> str:
    if not is_agent(nick):
        return "buyer"
    return "bot" if any(word in _account_name(nick) for word in BOT_WORDS) else "agent"


def _is_structural(line: str) -> bool:
    return bool(_transfer(line) or _header(line) or _is_system(line) or _is_handoff(line))


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
        found = _transfer(line)
        if found is None:
            return False
        self.last_time = found[2]
        msg = _Msg(number, None, self.last_time, "system", [line], "handoff", agent=found[1])
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
        who = _withdrawn_by(line)
        if who is None:
            return False
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
        handoff = _is_handoff(line)
        if not handoff and not _is_system(line):
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
    return agent[: len(agent) - len(_account_name(agent)) - 1].strip() or None


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
