"""Synthetic, deterministic customer-service data at any scale (vectorised numpy).

`generate(out_dir, messages=N, seed=S)` writes every canonical table (schema.py) for a group
of shops on several platforms: chats with automatic replies, bots and hand-offs, transfers,
spam buyers, rude and slow agents, withdrawn messages; orders after consultations, silent
and unpaid orders; refunds of every type; ratings; agent online status; tickets and JD
service orders. Data is produced in fixed-size chunks of sessions, each from its own
random stream, so memory stays bounded and the output depends only on the seed and size.
Times are local naive timestamps (seconds).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kaohe.demo import phrases as P

Format = Literal["parquet", "csv"]
# writes the whole tables as other files (the demo's platform-like exports); returns stem -> path
Exports = Callable[[dict[str, pa.Table], Path], dict[str, Path]]
DEFAULT_START = date(2026, 10, 1)
DEFAULT_DAYS = 35
CHUNK_SESSIONS = 100_000
MSGS_PER_SESSION = 9.6  # measured average (with after-sales chats), sizes the chunks
DAY = 86_400
ROLE_PRE, ROLE_AFTER, ROLE_GEN = 0, 1, 2
ROLES = np.array(["presales", "aftersales", "general"])
SENDERS = np.array(["buyer", "agent", "bot", "system"])
B, A, BOT, SYS = 0, 1, 2, 3
MSG_TYPES = np.array(["text", "image", "card", "order", "withdrawn", "handoff"])
T_TEXT, T_IMAGE, T_CARD, T_ORDER, T_WITHDRAWN, T_HANDOFF = range(6)
BUYER_PREFIX = np.array(["tb_", "jd_", "pdd_", "dy_", "ks_"])
REFUND_TYPES = np.array(["refund_only", "return_refund", "exchange", "repair", "reship"])
TIERS = np.array(["city", "county", "town"])

# hour-of-day traffic: quiet at night, peaks late morning, afternoon and evening
WEEKDAY_HOURS = np.array(
    [
        1.2,
        0.6,
        0.3,
        0.2,
        0.2,
        0.3,
        0.8,
        2,
        4,
        6.5,
        8,
        8.5,
        6,
        5.5,
        7,
        7.5,
        7,
        6,
        5,
        6.5,
        8,
        8.5,
        6.5,
        3.5,
    ]
)
WEEKEND_HOURS = np.array(
    [
        2,
        1,
        0.5,
        0.3,
        0.3,
        0.3,
        0.6,
        1.2,
        2.5,
        4.5,
        6.5,
        7,
        6,
        6,
        6.5,
        7,
        6.5,
        6,
        6,
        7.5,
        9.5,
        10,
        8,
        4.5,
    ]
)


# ------------------------------------------------------------------ the world


@dataclass
class Texts:
    """All phrases in one list; named segments are (offset, length) into it."""

    items: list[str]
    seg: dict[str, tuple[int, int]]

    def pick(self, rng: np.random.Generator, name: str, n: int) -> np.ndarray:
        off, length = self.seg[name]
        return off + rng.integers(0, length, n)

    def pick_in(self, rng: np.random.Generator, names: list[str], which: np.ndarray) -> np.ndarray:
        offs = np.array([self.seg[n][0] for n in names])
        lens = np.array([self.seg[n][1] for n in names])
        return offs[which] + (rng.random(len(which)) * lens[which]).astype(np.int64)


@dataclass
class Roster:
    agent: np.ndarray  # full account names "店铺:小美"
    name: np.ndarray
    shop: np.ndarray
    role: np.ndarray
    shift: np.ndarray  # 0 early (08:30-17:30), 1 late (14:00-23:30)
    speed: np.ndarray  # median reply seconds
    skill: np.ndarray
    rude: np.ndarray
    slow: np.ndarray
    lazy: np.ndarray
    # flat pick tables: key -> (offset, count) into members
    pre_members: np.ndarray
    pre_off: np.ndarray
    pre_cnt: np.ndarray
    after_members: np.ndarray
    after_off: np.ndarray
    after_cnt: np.ndarray


@dataclass
class World:
    seed: int
    start: datetime
    days: int
    shops: np.ndarray
    platforms: np.ndarray
    share: np.ndarray
    roster: Roster
    texts: Texts
    day_weights: np.ndarray

    @property
    def end(self) -> int:
        return self.days * DAY


def _rng(seed: int, *parts: int) -> np.random.Generator:
    return np.random.default_rng([seed, *parts])


def build_texts(roster_agents: np.ndarray, seed: int) -> Texts:
    items: list[str] = []
    seg: dict[str, tuple[int, int]] = {}

    def add(name: str, values: tuple[str, ...] | list[str]) -> None:
        seg[name] = (len(items), len(values))
        items.extend(values)

    for name in (
        "GREETINGS",
        "AUTO_WELCOME",
        "AWAY_AUTO",
        "BOT_REPLIES",
        "HANDOFF_BUYER",
        "BUYER_OPENERS",
        "URGE_PAY",
        "ORDER_CONFIRM",
        "FAREWELLS",
        "RATING_INVITE",
        "ACKS",
        "RUDE",
        "SPAM",
    ):
        add(name, getattr(P, name))
    for topic, (questions, answers) in {**P.PRESALES, **P.AFTERSALES}.items():
        add(f"q_{topic}", questions)
        add(f"a_{topic}", answers)
    add("IMAGE", [P.IMAGE_TEXT])
    add("CARD", [P.CARD_TEXT])
    add("ORDER", [P.ORDER_CARD_TEXT])
    add("PII", P.pii_sentences(_rng(seed, 99)))
    add("HANDOFF", [f"由 服务助手 转交给 {a}" for a in roster_agents])
    add("TRANSFER", [f"会话已转交给 {a}" for a in roster_agents])
    return Texts(items, seg)


PRE_TOPICS = ["product", "price", "shipping"]
AFTER_TOPICS = ["logistics", "refund"]
TOPICS = PRE_TOPICS + AFTER_TOPICS


def _shop_sizes(messages: int, days: int, share: np.ndarray) -> np.ndarray:
    total = messages / max(days, 1) / 1500
    return np.maximum(4, np.round(total * share)).astype(int)


SLOW_FACTOR = 6.0  # a slow agent answers this many times slower than the others


def build_roster(seed: int, shops: np.ndarray, sizes: np.ndarray) -> Roster:
    rng = _rng(seed, 1)
    shop = np.repeat(np.arange(len(shops)), sizes)
    local = np.concatenate([np.arange(n) for n in sizes])
    n = len(shop)
    role = np.full(n, ROLE_PRE)
    n_after = np.maximum(1, np.round(sizes * 0.15)).astype(int)
    role[local < np.repeat(n_after, sizes)] = ROLE_AFTER
    small = np.repeat(sizes <= 4, sizes)
    role[small & (local == sizes.max())] = ROLE_GEN
    role[small & (local == np.repeat(sizes, sizes) - 1)] = ROLE_GEN
    base = np.array(P.AGENT_NAMES)
    nick = [f"{base[i % len(base)]}{'' if i < len(base) else i // len(base) + 1}" for i in local]
    agent = np.array([f"{shops[s]}:{k}" for s, k in zip(shop, nick, strict=True)])
    shift = (local + np.repeat(n_after, sizes)) % 2
    # a real team: one rude agent (the first presales one) and a few slow ones (the last of
    # each of the two smallest shops)
    rude = np.zeros(n, bool)
    rude[np.argmax(role == ROLE_PRE)] = True
    slow = np.zeros(n, bool)
    slow[(np.cumsum(sizes) - 1)[-2:]] = True
    # an agent's typical answer: most within 10–40 s (what the platforms publish for good
    # shops; a session's first reply, a greeting, comes faster: build_rounds); a slow one ×6
    speed = np.exp(rng.normal(np.log(15), 0.3, n)) * np.where(slow, SLOW_FACTOR, 1.0)
    skill = np.clip(rng.normal(1.0, 0.25, n), 0.4, 1.6) * np.where(rude, 0.6, 1.0)
    lazy = (rng.random(n) < 0.1) | slow
    pre = np.where(role != ROLE_AFTER)[0]
    after = np.where(role != ROLE_PRE)[0]
    pre_members, pre_off, pre_cnt = _pick_table(pre, shop[pre] * 2 + shift[pre], len(shops) * 2)
    after_members, after_off, after_cnt = _pick_table(after, shop[after], len(shops))
    person = np.array(P.PERSON_NAMES)[np.arange(n) % len(P.PERSON_NAMES)]
    return Roster(
        agent,
        person,
        shop,
        role,
        shift,
        speed,
        skill,
        rude,
        slow,
        lazy,
        pre_members,
        pre_off,
        pre_cnt,
        after_members,
        after_off,
        after_cnt,
    )


def _pick_table(
    members: np.ndarray, keys: np.ndarray, n_keys: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    order = np.argsort(keys, kind="stable")
    cnt = np.bincount(keys, minlength=n_keys)
    off = np.concatenate([[0], np.cumsum(cnt)[:-1]])
    return members[order], off, cnt


def _fix_empty_shifts(roster: Roster) -> None:
    """A shop whose early or late presales group is empty borrows the other group."""
    cnt = roster.pre_cnt.reshape(-1, 2)
    off = roster.pre_off.reshape(-1, 2)
    for s in range(cnt.shape[0]):
        for g in (0, 1):
            if cnt[s, g] == 0:
                cnt[s, g], off[s, g] = cnt[s, 1 - g], off[s, 1 - g]
    roster.pre_cnt, roster.pre_off = cnt.ravel(), off.ravel()


def build_world(messages: int, seed: int, start: date | None, days: int | None) -> World:
    start_d = start or DEFAULT_START
    n_days = days or DEFAULT_DAYS
    shops = np.array([s for s, _, _ in P.SHOPS])
    platforms = np.array([p for _, p, _ in P.SHOPS])
    share = np.array([w for _, _, w in P.SHOPS])
    share = share / share.sum()
    roster = build_roster(seed, shops, _shop_sizes(messages, n_days, share))
    _fix_empty_shifts(roster)
    rng = _rng(seed, 2)
    dows = (np.arange(n_days) + start_d.weekday()) % 7
    weights = np.where(dows >= 5, 1.15, 1.0) * rng.lognormal(0, 0.12, n_days)
    weights[rng.integers(0, n_days)] *= 2.2  # one promotion day
    start_dt = datetime(start_d.year, start_d.month, start_d.day)
    return World(
        seed,
        start_dt,
        n_days,
        shops,
        platforms,
        share,
        roster,
        build_texts(roster.agent, seed),
        weights / weights.sum(),
    )


# ------------------------------------------------------------------ sessions


@dataclass
class Sessions:
    shop: np.ndarray
    t0: np.ndarray
    agent: np.ndarray
    agent2: np.ndarray  # == agent when there is no transfer
    transfer_round: np.ndarray  # first round served by agent2 (large when none)
    buyer_kind: np.ndarray  # 0 normal, 1 spam, 2 silent-order buyer
    buyer_num: np.ndarray
    spam: np.ndarray
    bot: np.ndarray
    auto: np.ndarray
    night: np.ndarray
    topic: np.ndarray  # index into TOPICS
    rounds: np.ndarray

    def __len__(self) -> int:
        return len(self.shop)


def draw_times(rng: np.random.Generator, world: World, n: int) -> np.ndarray:
    day = rng.choice(world.days, n, p=world.day_weights)
    weekend = (day + world.start.weekday()) % 7 >= 5
    wd = rng.choice(24, n, p=WEEKDAY_HOURS / WEEKDAY_HOURS.sum())
    we = rng.choice(24, n, p=WEEKEND_HOURS / WEEKEND_HOURS.sum())
    hour = np.where(weekend, we, wd)
    return day * DAY + hour * 3600 + rng.integers(0, 3600, n)


def pick_presales(
    rng: np.random.Generator, roster: Roster, shop: np.ndarray, t: np.ndarray
) -> np.ndarray:
    hour = (t % DAY) // 3600
    group = np.where((hour >= 8) & (hour < 14), 0, 1)
    middle = (hour >= 14) & (hour < 17)
    group = np.where(middle, rng.integers(0, 2, len(t)), group)
    key = shop * 2 + group
    idx = roster.pre_off[key] + (rng.random(len(t)) * roster.pre_cnt[key]).astype(np.int64)
    return roster.pre_members[idx]


def pick_aftersales(rng: np.random.Generator, roster: Roster, shop: np.ndarray) -> np.ndarray:
    idx = roster.after_off[shop] + (rng.random(len(shop)) * roster.after_cnt[shop]).astype(np.int64)
    return roster.after_members[idx]


def presales_sessions(rng: np.random.Generator, world: World, n: int, chunk: int) -> Sessions:
    shop = rng.choice(len(world.shops), n, p=world.share)
    t0 = draw_times(rng, world, n)
    agent = pick_presales(rng, world.roster, shop, t0)
    spam = rng.random(n) < 0.02
    rounds = np.where(spam, 1 + (rng.random(n) < 0.3), 1 + np.minimum(rng.poisson(2.3, n), 8))
    agent2 = pick_presales(rng, world.roster, shop, t0)
    transfer = (rng.random(n) < 0.05) & (rounds >= 2) & (agent2 != agent) & ~spam
    transfer_round = np.where(transfer, 1 + (rng.random(n) * (rounds - 1)).astype(int), 99)
    pool = max(1, int(n * 0.7))
    buyer_num = chunk * 10_000_000 + rng.integers(0, pool, n)
    return Sessions(
        shop,
        t0,
        agent,
        np.where(transfer, agent2, agent),
        transfer_round,
        spam.astype(np.int8),
        buyer_num,
        spam,
        _bot_flags(rng, world, shop),
        rng.random(n) < 0.5,
        (t0 % DAY) < 8 * 3600,
        rng.integers(0, 3, n),
        rounds,
    )


def _bot_flags(rng: np.random.Generator, world: World, shop: np.ndarray) -> np.ndarray:
    has_bot = np.isin(world.platforms, ["jd", "pdd", "douyin"])
    return rng.random(len(shop)) < np.where(has_bot[shop], 0.3, 0.05)


def aftersales_sessions(
    rng: np.random.Generator,
    world: World,
    shop: np.ndarray,
    t0: np.ndarray,
    kind: np.ndarray,
    num: np.ndarray,
    reship: np.ndarray,
) -> Sessions:
    n = len(shop)
    agent = pick_aftersales(rng, world.roster, shop)
    return Sessions(
        shop,
        t0,
        agent,
        agent,
        np.full(n, 99),
        kind,
        num,
        np.zeros(n, bool),
        _bot_flags(rng, world, shop),
        rng.random(n) < 0.3,
        (t0 % DAY) < 8 * 3600,
        np.where(reship, 3, 4),
        1 + rng.poisson(2.0, n),
    )


# ------------------------------------------------------------------ messages


@dataclass
class Msgs:
    sid: np.ndarray
    time: np.ndarray
    sender: np.ndarray
    agent: np.ndarray  # -1 = none
    text: np.ndarray
    mtype: np.ndarray
    auto: np.ndarray

    @staticmethod
    def concat(parts: list[Msgs]) -> Msgs:
        return Msgs(
            *(
                np.concatenate([getattr(p, f) for p in parts])
                for f in ("sid", "time", "sender", "agent", "text", "mtype", "auto")
            )
        )


def _seg_index(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For counts per parent: the parent of each child and the child's position."""
    parent = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    return parent, np.arange(len(parent)) - starts[parent]


@dataclass
class Rounds:
    sid: np.ndarray
    no: np.ndarray
    nb: np.ndarray
    gap: np.ndarray
    answered: np.ndarray
    extra: np.ndarray
    withdrawn: np.ndarray
    agent: np.ndarray
    start: np.ndarray
    reply: np.ndarray
    last: np.ndarray


def build_rounds(rng: np.random.Generator, world: World, s: Sessions) -> Rounds:
    sid, no = _seg_index(s.rounds)
    n = len(sid)
    r = world.roster
    agent = np.where(no >= s.transfer_round[sid], s.agent2[sid], s.agent[sid])
    first = no == 0
    nb = 1 + rng.binomial(2, 0.22, n)
    nb = np.where(first & s.bot[sid], np.maximum(nb, 2), nb)
    last = no == s.rounds[sid] - 1
    # a buyer's closing 好的/谢谢 is left unanswered more often than a question
    p_ans = np.where(s.spam[sid], 0.3, np.where(last & ~first, 0.93, 0.985) - 0.07 * r.slow[agent])
    answered = rng.random(n) < p_ans
    withdrawn = answered & (rng.random(n) < 0.015)
    extra = answered & ((rng.random(n) < 0.15) | withdrawn)
    # a session's first reply is a greeting (快捷短语): about twice as fast as an answer
    pace = r.speed[agent] * np.where(first, 0.5, 1.0)
    delay = np.clip(pace * rng.lognormal(0, 0.4, n), 3, 3600)
    delay += np.where(rng.random(n) < 0.002, rng.uniform(600, 7200, n), 0)
    handed = first & s.bot[sid]
    wait = np.where(handed, 2.0, 0.0)  # the hand-off line, 2 s after the buyer asks for a human
    tod = s.t0[sid] % DAY
    wait += np.where(first & s.night[sid], 8 * 3600 - tod + rng.uniform(0, 1800, n), 0)
    # the agent's clock starts at the round's first buyer message (as the platforms measure
    # a response), so the buyer's follow-ups land before the reply; after a bot it starts
    # at the hand-off, which follows the buyer's last message (session_extras)
    gap = np.minimum(rng.integers(3, 25, n), np.maximum(1, (wait + delay) // nb)).astype(np.int64)
    gap = np.where(handed, rng.integers(3, 25, n), gap)
    span = (nb - 1) * gap
    after = np.where(handed, span, 0) + wait + delay  # reply − round start
    think = np.where(answered, rng.lognormal(np.log(45), 0.8, n), rng.uniform(120, 900, n))
    extra_gap = rng.integers(5, 40, n)
    busy = np.where(answered, after, span) + extra * extra_gap
    dur = (busy + np.clip(think, 5, 1800)).astype(np.int64)
    cs = np.cumsum(dur)
    excl = cs - dur
    base = excl[np.cumsum(s.rounds) - s.rounds]
    start = s.t0[sid] + excl - base[sid]
    reply = start + after.astype(np.int64)
    return Rounds(sid, no, nb, gap, answered, extra, withdrawn, agent, start, reply, last)


def round_messages(rng: np.random.Generator, world: World, s: Sessions, rd: Rounds) -> Msgs:
    counts = rd.nb + rd.answered + rd.extra
    ridx, pos = _seg_index(counts)
    n = len(ridx)
    sid = rd.sid[ridx]
    is_buyer = pos < rd.nb[ridx]
    is_main = pos == rd.nb[ridx]
    time = np.where(is_buyer, rd.start[ridx] + pos * rd.gap[ridx], rd.reply[ridx])
    time = np.where(~is_buyer & ~is_main, rd.reply[ridx] + rng.integers(5, 40, n), time)
    text, mtype = _buyer_texts(rng, world, s, rd, ridx, pos)
    a_text = _agent_texts(rng, world, s, rd, ridx, is_main, pos == counts[ridx] - 1)
    text = np.where(is_buyer, text, a_text)
    mtype = np.where(is_buyer, mtype, np.where(is_main & rd.withdrawn[ridx], T_WITHDRAWN, T_TEXT))
    agent = rd.agent[ridx]
    return Msgs(sid, time, np.where(is_buyer, B, A), agent, text, mtype, np.zeros(n, bool))


def _buyer_texts(
    rng: np.random.Generator,
    world: World,
    s: Sessions,
    rd: Rounds,
    ridx: np.ndarray,
    pos: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    t = world.texts
    n = len(ridx)
    sid = rd.sid[ridx]
    topic = s.topic[sid]
    text = t.pick_in(rng, [f"q_{k}" for k in TOPICS], topic)
    first = (rd.no[ridx] == 0) & (pos == 0)
    later = rd.no[ridx] > 0
    text = np.where(later & (rng.random(n) < 0.2), t.pick(rng, "ACKS", n), text)
    text = np.where(
        first & (topic < 3) & (rng.random(n) < 0.6), t.pick(rng, "BUYER_OPENERS", n), text
    )
    handoff = (rd.no[ridx] == 0) & s.bot[sid] & (pos == rd.nb[ridx] - 1)
    text = np.where(handoff, t.pick(rng, "HANDOFF_BUYER", n), text)
    u = rng.random(n)
    plain = ~first & ~handoff
    mtype = np.select(
        [plain & (u < 0.03), plain & (u < 0.05), plain & (u < 0.06)],
        [T_IMAGE, T_CARD, T_ORDER],
        T_TEXT,
    )
    text = np.select(
        [mtype == T_IMAGE, mtype == T_CARD, mtype == T_ORDER],
        [t.seg["IMAGE"][0], t.seg["CARD"][0], t.seg["ORDER"][0]],
        text,
    )
    text = np.where(plain & (u > 0.99), t.pick(rng, "PII", n), text)
    spam = s.spam[sid]
    text = np.where(spam, t.pick(rng, "SPAM", n), text)
    return text, np.where(spam, T_TEXT, mtype)


def _agent_texts(
    rng: np.random.Generator,
    world: World,
    s: Sessions,
    rd: Rounds,
    ridx: np.ndarray,
    is_main: np.ndarray,
    is_final: np.ndarray,
) -> np.ndarray:
    t = world.texts
    n = len(ridx)
    sid = rd.sid[ridx]
    text = t.pick_in(rng, [f"a_{k}" for k in TOPICS], s.topic[sid])
    first = rd.no[ridx] == 0
    text = np.where(first & is_main, t.pick(rng, "GREETINGS", n), text)
    # most agents close the session's last reply with a farewell (seed 001 道别语)
    closing = rd.last[ridx] & is_final & ~(first & is_main)
    text = np.where(closing & (rng.random(n) < 0.8), t.pick(rng, "FAREWELLS", n), text)
    text = np.where(closing & (rng.random(n) < 0.1), t.pick(rng, "RATING_INVITE", n), text)
    rude = world.roster.rude[rd.agent[ridx]] & (rng.random(n) < 0.12)
    return np.where(rude, t.pick(rng, "RUDE", n), text)


def session_extras(rng: np.random.Generator, world: World, s: Sessions, rd: Rounds) -> Msgs:
    """Automatic welcome, bot answer, hand-off line, transfer line."""
    t = world.texts
    n = len(s)
    idx = np.arange(n)
    first_round = np.cumsum(s.rounds) - s.rounds
    parts = []
    auto = np.where(s.auto)[0]
    welcome = np.where(
        s.night[auto], t.pick(rng, "AWAY_AUTO", len(auto)), t.pick(rng, "AUTO_WELCOME", len(auto))
    )
    parts.append(
        _msgs(
            auto,
            s.t0[auto] + rng.integers(0, 2, len(auto)),
            A,
            s.agent[auto],
            welcome,
            T_TEXT,
            True,
        )
    )
    bot = idx[s.bot]
    parts.append(
        _msgs(
            bot,
            s.t0[bot] + rng.integers(1, 3, len(bot)),
            BOT,
            -1,
            t.pick(rng, "BOT_REPLIES", len(bot)),
            T_TEXT,
            False,
        )
    )
    fr = first_round[bot]
    hand_time = rd.start[fr] + (rd.nb[fr] - 1) * rd.gap[fr] + 2
    parts.append(
        _msgs(bot, hand_time, SYS, -1, t.seg["HANDOFF"][0] + s.agent[bot], T_HANDOFF, False)
    )
    moved = np.where(s.transfer_round < 99)[0]
    tr = first_round[moved] + s.transfer_round[moved]
    parts.append(
        _msgs(
            moved,
            rd.start[tr] - 1,
            SYS,
            s.agent[moved],
            t.seg["TRANSFER"][0] + s.agent2[moved],
            T_TEXT,
            False,
        )
    )
    return Msgs.concat(parts)


def _msgs(
    sid: np.ndarray,
    time: np.ndarray,
    sender: int,
    agent: np.ndarray | int,
    text: np.ndarray,
    mtype: int,
    auto: bool,
) -> Msgs:
    n = len(sid)
    return Msgs(
        sid,
        time.astype(np.int64),
        np.full(n, sender),
        np.broadcast_to(agent, (n,)).astype(np.int64),
        text.astype(np.int64),
        np.full(n, mtype),
        np.full(n, auto),
    )


def session_messages(rng: np.random.Generator, world: World, s: Sessions) -> tuple[Msgs, Rounds]:
    rd = build_rounds(rng, world, s)
    return Msgs.concat([round_messages(rng, world, s, rd), session_extras(rng, world, s, rd)]), rd


def session_ends(m: Msgs, n_sessions: int) -> np.ndarray:
    end = np.full(n_sessions, -1, np.int64)
    np.maximum.at(end, m.sid, m.time)
    return end


# ------------------------------------------------------------------ orders and after-sales


@dataclass
class Orders:
    oid: np.ndarray
    shop: np.ndarray
    kind: np.ndarray
    num: np.ndarray
    sid: np.ndarray  # -1: silent (no chat)
    created: np.ndarray
    paid: np.ndarray  # -1: unpaid
    amount: np.ndarray
    items: np.ndarray
    sku: np.ndarray
    tier: np.ndarray
    error: np.ndarray


def chat_orders(
    rng: np.random.Generator, world: World, s: Sessions, ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Sessions that lead to an order and the order's creation time."""
    skill = world.roster.skill[s.agent2]
    p = np.clip(0.3 * skill * np.where(s.rounds >= 3, 1.2, 1.0), 0, 0.9) * ~s.spam
    sel = np.where(rng.random(len(s)) < p)[0]
    delay = np.minimum(rng.lognormal(np.log(600), 1.3, len(sel)), 40 * 3600).astype(np.int64)
    return sel, ends[sel] + 30 + delay


def make_orders(
    rng: np.random.Generator, world: World, s: Sessions, ends: np.ndarray, chunk: int
) -> Orders:
    sel, created = chat_orders(rng, world, s, ends)
    n_silent = int(len(sel) * 0.3)
    shop = np.concatenate([s.shop[sel], rng.choice(len(world.shops), n_silent, p=world.share)])
    silent_num = chunk * 10_000_000 + 5_000_000 + rng.integers(0, max(1, n_silent), n_silent)
    num = np.concatenate([s.buyer_num[sel], silent_num])
    created = np.concatenate([created, draw_times(rng, world, n_silent)])
    n = len(shop)
    u = rng.random(n)
    pay_delay = np.select(
        [u < 0.68, u < 0.84, u < 0.885, u < 0.9],
        [
            rng.integers(5, 600, n),
            rng.integers(600, 6 * 3600, n),
            rng.integers(6 * 3600, 60 * 3600, n),
            rng.integers(73 * 3600, 90 * 3600, n),
        ],
        -1,
    )
    paid = np.where(pay_delay >= 0, created + pay_delay, -1)
    amount = np.round(rng.lognormal(np.log(160), 0.6, n), 2)
    return Orders(
        chunk * 10_000_000 + np.arange(n),
        shop,
        np.zeros(n, np.int8),
        num,
        np.concatenate([sel, np.full(n_silent, -1)]),
        created,
        paid,
        amount,
        1 + rng.poisson(0.4, n),
        rng.integers(0, len(P.SKUS), n),
        rng.choice(3, n, p=[0.6, 0.3, 0.1]),
        rng.random(n) < 0.01,
    )


def order_timeline(rng: np.random.Generator, o: Orders) -> dict[str, np.ndarray]:
    n = len(o.oid)
    paid = o.paid >= 0
    shipped = np.where(paid, o.paid + rng.integers(2 * 3600, 30 * 3600, n), -1)
    delivered = np.where(
        paid, shipped + (1 + 2 * o.tier) * DAY // 2 + rng.integers(DAY // 2, 3 * DAY, n), -1
    )
    cancelled = np.where(paid, -1, o.created + 72 * 3600)
    return {"shipped": shipped, "delivered": delivered, "cancelled": cancelled}


LATE_SHARE = 0.03  # paid orders shipped after the 72 hours (seed 000 延迟发货) …
LATE_SHOP = 0  # … in the first shop only (云朵天猫旗舰店): the one rule the demo fails on purpose


def late_shipments(
    rng: np.random.Generator, o: Orders, tl: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """A few paid orders of LATE_SHOP leave 73–120 hours after payment instead of within the
    day (their delivery moves with them); their own stream, so nothing else the chunk draws
    changes."""
    n = len(o.oid)
    late = (o.paid >= 0) & (o.shop == LATE_SHOP) & (rng.random(n) < LATE_SHARE)
    shipped = np.where(late, o.paid + rng.integers(73 * 3600, 120 * 3600, n), tl["shipped"])
    delivered = np.where(late, tl["delivered"] + shipped - tl["shipped"], tl["delivered"])
    return {**tl, "shipped": shipped, "delivered": delivered}


def follow_ups(rng: np.random.Generator, world: World, s: Sessions, o: Orders) -> Msgs:
    """催付: an agent chases an unpaid or slow-paying order (sometimes another agent)."""
    slow = (o.sid >= 0) & ((o.paid < 0) | (o.paid - o.created > 900))
    idx = np.where(slow & (rng.random(len(o.oid)) < 0.6))[0]
    t = o.created[idx] + rng.integers(300, 900, len(idx))
    keep = (o.paid[idx] < 0) | (t < o.paid[idx])
    idx, t = idx[keep], t[keep]
    sid = o.sid[idx]
    other = pick_presales(rng, world.roster, o.shop[idx], t)
    agent = np.where(rng.random(len(idx)) < 0.75, s.agent2[sid], other)
    return _msgs(sid, t, A, agent, world.texts.pick(rng, "URGE_PAY", len(idx)), T_TEXT, False)


@dataclass
class Refunds:
    order: np.ndarray  # index into Orders
    rtype: np.ndarray
    times: dict[str, np.ndarray]
    status: np.ndarray
    amount: np.ndarray
    intervened: np.ndarray
    liable: np.ndarray
    agent: np.ndarray
    reason: np.ndarray


ASSESSED_REFUNDS = ("pdd", "kuaishou")  # 48-hour response, intervention and dispute rules


def _shown_case(world: World, shop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where a rare refund case may fall: the refunds of shops whose platform has no refund
    rule (the assessed shops answer within the rules), and the index (none, or one) of the
    refund that shows it: the first of those, else the first."""
    quiet = ~np.isin(world.platforms[shop], ASSESSED_REFUNDS)
    first = np.flatnonzero(quiet)[:1]
    return (first if len(first) else np.arange(min(len(shop), 1))), quiet


def make_refunds(
    rng: np.random.Generator, world: World, o: Orders, timeline: dict[str, np.ndarray]
) -> Refunds:
    idx = np.where((o.paid >= 0) & (rng.random(len(o.oid)) < 0.12))[0]
    n = len(idx)
    rtype = rng.choice(5, n, p=[0.35, 0.35, 0.12, 0.06, 0.12])
    early = (rtype == 0) & (rng.random(n) < 0.4)
    applied = np.where(
        early,
        o.paid[idx] + rng.integers(600, 20 * 3600, n),
        timeline["delivered"][idx] + rng.integers(3600, 7 * DAY, n),
    )
    # a refund answered after the 48 hours, one the platform steps in: rare, but the demo shows
    # one of each (in a shop whose platform does not assess them on a few dozen refunds)
    shown, quiet = _shown_case(world, o.shop[idx])
    slow = quiet & (rng.random(n) < 0.01)
    slow[shown] = True
    first = applied + np.where(
        slow,
        rng.integers(48 * 3600, 96 * 3600, n),
        np.minimum(rng.lognormal(np.log(3600), 0.8, n), 40 * 3600).astype(np.int64),
    )
    u = rng.random(n)
    status = np.select([u < 0.75, u < 0.88], [0, 1], 2)  # success, closed, pending
    agreed = np.where(
        (status == 0) | ((status == 2) & (u < 0.95)), first + rng.integers(0, 7200, n), -1
    )
    rejected = np.where(status == 1, first + rng.integers(0, 86400, n), -1)
    returns = np.isin(rtype, [1, 2, 3]) & (agreed >= 0)
    received = np.where(returns, agreed + rng.integers(36 * 3600, 5 * DAY, n), -1)
    done_base = np.where(returns, received, np.maximum(agreed, rejected))
    completed = np.where(status != 2, done_base + rng.integers(60, 48 * 3600, n), -1)
    times = {
        "applied": applied,
        "first": first,
        "agreed": agreed,
        "rejected": rejected,
        "received": received,
        "completed": completed,
    }
    ratio = np.where(rng.random(n) < 0.8, 1.0, rng.uniform(0.2, 0.8, n))
    amount = np.round(np.where(rtype <= 1, o.amount[idx] * ratio, 0.0), 2)
    intervened = quiet & (rng.random(n) < 0.01)
    intervened[shown] = True
    liable = (intervened & (rng.random(n) < 0.45)) | (rng.random(n) < 0.01)
    liable[shown] = True  # where the platform stepped in, it found the shop liable
    return Refunds(
        idx,
        rtype,
        times,
        status,
        amount,
        intervened,
        liable,
        pick_aftersales(rng, world.roster, o.shop[idx]),
        rng.integers(0, len(P.REFUND_REASONS), n),
    )


def refund_sessions(rng: np.random.Generator, world: World, o: Orders, r: Refunds) -> Sessions:
    sel = np.where(rng.random(len(r.order)) < 0.6)[0]
    oi = r.order[sel]
    t0 = np.maximum(0, r.times["applied"][sel] - rng.integers(300, 7200, len(sel)))
    # the chats stay inside the sample's days: a refund applied after them was asked about on
    # the last evening (a clamp, not a cut: the draws after it stay as they were)
    last_evening = world.days * DAY - 4 * 3600
    t0 = np.where(t0 < last_evening, t0, last_evening + t0 % 3600)
    return aftersales_sessions(rng, world, o.shop[oi], t0, o.kind[oi], o.num[oi], r.rtype[sel] == 4)


# ------------------------------------------------------------------ arrow tables


def _ts(world: World, secs: np.ndarray, limit: bool = True) -> pa.Array:
    mask = (secs < 0) | ((secs > world.end) if limit else False)
    base = int((world.start - datetime(1970, 1, 1)).total_seconds())
    return pa.array(np.where(mask, 0, secs + base), type=pa.timestamp("s"), mask=mask)


def _take(values: np.ndarray | list[str], idx: np.ndarray) -> pa.Array:
    idx = np.asarray(idx, np.int64)
    return pa.array(values, pa.string()).take(pa.array(idx, mask=idx < 0))


def _ids(prefix: str, nums: np.ndarray) -> pa.Array:
    return pc.binary_join_element_wise(prefix, pc.cast(pa.array(nums), pa.string()), "")


def _buyers(world: World, shop: np.ndarray, kind: np.ndarray, num: np.ndarray) -> pa.Array:
    prefix = np.where(kind == 1, len(world.shops), shop)
    prefixes = [*BUYER_PREFIX[: len(world.shops)], "推广_"]
    return pc.binary_join_element_wise(
        _take(prefixes, prefix), pc.cast(pa.array(num), pa.string()), ""
    )


# platforms whose chat export leaves `agent` empty on buyer rows (assigned on import)
NO_AGENT_ON_BUYER_ROWS = ("kuaishou",)


def messages_table(world: World, s: Sessions, m: Msgs, first_id: int) -> pa.Table:
    shop = s.shop[m.sid]
    blank = np.isin(world.platforms[shop], NO_AGENT_ON_BUYER_ROWS) & (m.sender == B)
    agent = np.where(blank, -1, m.agent)
    return pa.table(
        {
            "shop": _take(world.shops, shop),
            "platform": _take(world.platforms, shop),
            "buyer": _buyers(world, shop, s.buyer_kind[m.sid], s.buyer_num[m.sid]),
            "agent": _take(world.roster.agent, agent),
            "sender": _take(SENDERS, m.sender),
            "time": _ts(world, m.time, limit=False),
            "text": _take(world.texts.items, m.text),
            "msg_id": _ids("M", first_id + np.arange(len(m.sid))),
            "auto_reply": pa.array(m.auto),
            "msg_type": _take(MSG_TYPES, m.mtype),
        }
    )


def orders_table(world: World, o: Orders, tl: dict[str, np.ndarray]) -> pa.Table:
    end = world.end
    paid = np.where(o.paid <= end, o.paid, -1)
    status = np.select(
        [
            (tl["cancelled"] >= 0) & (tl["cancelled"] <= end),
            (tl["delivered"] >= 0) & (tl["delivered"] <= end),
            (tl["shipped"] >= 0) & (tl["shipped"] <= end),
            paid >= 0,
        ],
        [4, 3, 2, 1],
        0,
    )
    statuses = np.array(["created", "paid", "shipped", "completed", "closed"])
    return pa.table(
        {
            "order_id": _ids("O", o.oid),
            "shop": _take(world.shops, o.shop),
            "platform": _take(world.platforms, o.shop),
            "buyer": _buyers(world, o.shop, o.kind, o.num),
            "created_at": _ts(world, o.created),
            "paid_at": _ts(world, paid),
            "amount": pa.array(np.where(paid >= 0, o.amount, np.nan), from_pandas=True),
            "items": pa.array(o.items.astype(np.int64)),
            "status": _take(statuses, status),
            "sku": _take(list(P.SKUS), o.sku),
            "shipped_at": _ts(world, tl["shipped"]),
            "delivered_at": _ts(world, tl["delivered"]),
            "cancelled_at": _ts(world, tl["cancelled"]),
            "region_tier": _take(TIERS, o.tier),
            "error": pa.array(o.error & (paid >= 0)),
        }
    )


def refunds_table(world: World, o: Orders, r: Refunds, chunk: int) -> pa.Table:
    t = {k: np.where(v <= world.end, v, -1) for k, v in r.times.items()}
    status = np.where((r.status == 0) & (t["completed"] < 0), 2, r.status)
    oi = r.order
    return pa.table(
        {
            "refund_id": _ids("RF", chunk * 10_000_000 + np.arange(len(oi))),
            "order_id": _ids("O", o.oid[oi]),
            "shop": _take(world.shops, o.shop[oi]),
            "buyer": _buyers(world, o.shop[oi], o.kind[oi], o.num[oi]),
            "type": _take(REFUND_TYPES, r.rtype),
            "applied_at": _ts(world, t["applied"], False),
            "first_response_at": _ts(world, t["first"]),
            "agreed_at": _ts(world, t["agreed"]),
            "rejected_at": _ts(world, t["rejected"]),
            "return_received_at": _ts(world, t["received"]),
            "completed_at": _ts(world, t["completed"]),
            "status": _take(np.array(["success", "closed", "pending"]), status),
            "amount": pa.array(r.amount),
            "platform_intervened": pa.array(r.intervened),
            "merchant_liable": pa.array(r.liable),
            "agent": _take(world.roster.agent, r.agent),
            "reason": _take(list(P.REFUND_REASONS), r.reason),
        }
    )


def ratings_table(
    rng: np.random.Generator, world: World, s: Sessions, ends: np.ndarray, chunk: int
) -> pa.Table:
    idx = np.where(~s.spam & (rng.random(len(s)) < 0.12))[0]
    n = len(idx)
    agent = s.agent2[idx]
    rude, slow = world.roster.rude[agent], world.roster.slow[agent]
    p_bad = 0.02 + 0.3 * rude + 0.12 * slow
    u = rng.random(n)
    level = np.select(
        [u < p_bad, u < p_bad + 0.04],
        [rng.integers(1, 3, n), 3],
        np.where(rng.random(n) < 0.7, 5, 4),
    )
    # a bad rating's reason: 服务态度差 for a rude agent, 回复慢 for a slow one; otherwise mostly
    # 回复慢 or 问题未解决, rarely the attitude
    reason = np.select([rude, slow], [0, 1], rng.choice(3, n, p=[0.02, 0.49, 0.49]))
    reason = np.where(level <= 3, reason, 3 + rng.integers(0, len(P.RATING_REASONS_GOOD), n))
    reasons = [*P.RATING_REASONS_BAD, *P.RATING_REASONS_GOOD]
    return pa.table(
        {
            "shop": _take(world.shops, s.shop[idx]),
            "buyer": _buyers(world, s.shop[idx], s.buyer_kind[idx], s.buyer_num[idx]),
            "agent": _take(world.roster.agent, agent),
            "time": _ts(world, ends[idx] + rng.integers(30, 3600, n), False),
            "level": pc.cast(pa.array(level.astype(np.int64)), pa.string()),
            "reason": _take(reasons, reason),
            "source": _take(
                np.array(["invited", "active", "system"]), rng.choice(3, n, p=[0.6, 0.3, 0.1])
            ),
            "rating_id": _ids("RT", chunk * 10_000_000 + np.arange(n)),
        }
    )


REVISED_SHARE = 0.3  # bad ratings the buyer later changes to good (改评)


def rating_revisions_table(rng: np.random.Generator, ratings: pa.Table) -> pa.Table:
    """改评: some bad ratings (不满意, 非常不满意) revised to 满意 or 非常满意 one to ten days
    later, by the agent rated; their own stream."""
    level = ratings["level"].to_numpy(zero_copy_only=False).astype(np.int64)
    idx = np.where((level <= 2) & (rng.random(len(level)) < REVISED_SHARE))[0]
    n = len(idx)
    take = pa.array(idx, pa.int64())
    rated = pc.take(ratings["time"], take).cast(pa.timestamp("s"))
    offset = pa.array(rng.integers(DAY, 10 * DAY, n) * 1_000_000, pa.duration("us"))
    return pa.table(
        {
            "rating_id": pc.take(ratings["rating_id"], take),
            "shop": pc.take(ratings["shop"], take),
            "buyer": pc.take(ratings["buyer"], take),
            "agent": pc.take(ratings["agent"], take),
            "revised_at": pc.add(rated.cast(pa.timestamp("us")), offset).cast(pa.timestamp("s")),
            "level_before": pc.take(ratings["level"], take),
            "level_after": pc.cast(pa.array(rng.integers(4, 6, n)), pa.string()),
        }
    )


def service_orders_table(
    rng: np.random.Generator, world: World, o: Orders, r: Refunds, chunk: int
) -> pa.Table:
    jd = np.where(world.platforms == "jd")[0]
    sel = np.where(np.isin(o.shop[r.order], jd))[0]
    n = len(sel)
    applied = r.times["applied"][sel]
    reviewed = applied + rng.lognormal(np.log(600), 0.9, n).astype(np.int64)
    ready = reviewed + rng.integers(60, 1200, n)
    result = ready + rng.lognormal(np.log(900), 0.9, n).astype(np.int64)
    return pa.table(
        {
            "id": _ids("SO", chunk * 10_000_000 + np.arange(n)),
            "shop": _take(world.shops, o.shop[r.order[sel]]),
            "agent": _take(world.roster.agent, r.agent[sel]),
            "applied_at": _ts(world, applied, False),
            "first_reviewed_at": _ts(world, reviewed),
            "ready_at": _ts(world, ready),
            "first_result_at": _ts(world, result),
            "awaiting_feedback": pa.array(rng.random(n) < 0.1),
            "result": _take(list(P.SERVICE_RESULTS), rng.integers(0, len(P.SERVICE_RESULTS), n)),
        }
    )


def tickets_table(rng: np.random.Generator, world: World, n_sessions: int, chunk: int) -> pa.Table:
    n = max(2, int(rng.binomial(n_sessions, 0.003)))
    shop = rng.choice(len(world.shops), n, p=world.share)
    kind = np.arange(n) % 2
    received = draw_times(rng, world, n)
    replied = received + rng.lognormal(np.log(5400), 1.0, n).astype(np.int64)
    replied = np.where(rng.random(n) < 0.05, -1, replied)
    resolved = np.where(
        (replied >= 0) & (rng.random(n) < 0.8), replied + rng.integers(3600, 72 * 3600, n), -1
    )
    cats = [*P.TICKET_CATEGORIES["email"], *P.TICKET_CATEGORIES["complaint"]]
    return pa.table(
        {
            "id": _ids("TK", chunk * 10_000_000 + np.arange(n)),
            "shop": _take(world.shops, shop),
            "kind": _take(np.array(["email", "complaint"]), kind),
            "category": _take(cats, kind * 4 + rng.integers(0, 4, n)),
            "buyer": _buyers(
                world, shop, np.zeros(n), chunk * 10_000_000 + rng.integers(0, 9999, n)
            ),
            "agent": _take(world.roster.agent, pick_aftersales(rng, world.roster, shop)),
            "received_at": _ts(world, received, False),
            "replied_at": _ts(world, replied),
            "resolved_at": _ts(world, resolved),
        }
    )


# ------------------------------------------------------------------ roster and status


def agents_table(world: World) -> pa.Table:
    r = world.roster
    rng = _rng(world.seed, 3)
    n = len(r.agent)
    levels = np.array(["trainee", "regular", "senior", "lead", "supervisor"])
    level = rng.choice(4, n, p=[0.15, 0.5, 0.25, 0.1])
    level[np.where(r.role != ROLE_AFTER)[0][:1]] = 4
    tenure = np.array([60, 200, 500, 800, 1200])[level] + rng.integers(0, 300, n)
    start = world.start.date()
    hired = [start - timedelta(days=int(d)) for d in tenure]
    since = [h + timedelta(days=int(d)) for h, d in zip(hired, tenure * 0.4, strict=True)]
    salary = np.array([3000, 3800, 4500, 5500, 7000])[level].astype(float)
    return pa.table(
        {
            "agent": pa.array(r.agent),
            "name": pa.array(r.name),
            "shops": _take(world.shops, r.shop),
            "team": _take([P.TEAMS[k] for k in ROLES], r.role),
            "role": _take(ROLES, r.role),
            "level": _take(levels, level),
            "hired_on": pa.array(hired, pa.date32()),
            "level_since": pa.array(since, pa.date32()),
            "base_salary": pa.array(salary),
            "region": _take(["杭州", "成都", "武汉"], rng.integers(0, 3, n)),
            "active": pa.array(np.ones(n, bool)),
        }
    )


def status_table(world: World) -> pa.Table:
    """Per agent and working day: 24 intervals of online/busy/away/hang-up in the shift."""
    rng = _rng(world.seed, 4)
    r = world.roster
    n_agents, k = len(r.agent), 24
    agent, day = np.divmod(np.arange(n_agents * world.days), world.days)
    works = (agent + day + (day + world.start.weekday()) // 7) % 7 != 0
    agent, day = agent[works], day[works]
    shift_start = np.where(r.shift[agent] == 0, 8.5 * 3600, 14 * 3600).astype(np.int64)
    length = 9 * 3600 + rng.integers(0, 1800, len(agent))
    parts = rng.dirichlet(np.full(k, 2.0), len(agent)) * length[:, None]
    offs = np.cumsum(parts, axis=1).astype(np.int64)
    starts = np.concatenate([np.zeros((len(agent), 1), np.int64), offs[:, :-1]], axis=1)
    p_hang = np.where(r.lazy[agent], 0.06, 0.0)[:, None]  # only the lazy agents hang up
    u = rng.random((len(agent), k))
    status = np.select([u < p_hang, u < p_hang + 0.12, u < p_hang + 0.22], [3, 2, 1], 0)
    base = (day * DAY + shift_start)[:, None]
    names = np.array(["online", "busy", "away", "hangup"])
    return pa.table(
        {
            "agent": _take(r.agent, np.repeat(agent, k)),
            "start": _ts(world, (base + starts).ravel(), False),
            "end": _ts(world, (base + offs).ravel(), False),
            "status": _take(names, status.ravel()),
        }
    )


# ------------------------------------------------------------------ chunks


@dataclass
class Chunk:
    tables: dict[str, pa.Table]

    @property
    def messages(self) -> int:
        return self.tables["messages"].num_rows


def _sort_rank(m: Msgs) -> np.ndarray:
    return np.select([m.sender == B, m.auto, m.sender == BOT, m.sender == SYS], [0, 1, 2, 3], 4)


def _trim(rng: np.random.Generator, m: Msgs, n_sessions: int, budget: int) -> Msgs:
    """Messages grouped by session in a random session order, cut at `budget` messages
    (the sessions past the budget are dropped whatever their kind)."""
    shuffled = rng.permutation(n_sessions)
    order = np.lexsort((_sort_rank(m), m.time, shuffled[m.sid]))[:budget]
    order = order[np.lexsort((_sort_rank(m)[order], m.time[order], m.sid[order]))]
    return Msgs(
        *(getattr(m, f)[order] for f in ("sid", "time", "sender", "agent", "text", "mtype", "auto"))
    )


def build_chunk(world: World, chunk: int, budget: int, first_id: int) -> Chunk:
    rng = _rng(world.seed, 10, chunk)
    n_sessions = int(np.ceil(budget / MSGS_PER_SESSION * 1.04)) + 5
    pre = presales_sessions(rng, world, n_sessions, chunk)
    pre_msgs, _ = session_messages(rng, world, pre)
    ends = session_ends(pre_msgs, len(pre))
    orders = make_orders(rng, world, pre, ends, chunk)
    timeline = order_timeline(rng, orders)
    refunds = make_refunds(rng, world, orders, timeline)
    shipped = late_shipments(_rng(world.seed, 11, chunk), orders, timeline)
    after = refund_sessions(rng, world, orders, refunds)
    after_msgs, _ = session_messages(rng, world, after)
    after_msgs.sid = after_msgs.sid + len(pre)
    both = _concat_sessions(pre, after)
    msgs = _trim(
        rng,
        Msgs.concat([pre_msgs, follow_ups(rng, world, pre, orders), after_msgs]),
        len(both),
        budget,
    )
    all_ends = session_ends(msgs, len(both))
    rated = Sessions(*(getattr(both, f)[all_ends >= 0] for f in Sessions.__dataclass_fields__))
    tables = {
        "messages": messages_table(world, both, msgs, first_id),
        "orders": orders_table(world, orders, shipped),
        "refunds": refunds_table(world, orders, refunds, chunk),
        "ratings": ratings_table(rng, world, rated, all_ends[all_ends >= 0], chunk),
        "service_orders": service_orders_table(rng, world, orders, refunds, chunk),
        "tickets": tickets_table(rng, world, len(pre), chunk),
    }
    tables["rating_revisions"] = rating_revisions_table(
        _rng(world.seed, 12, chunk), tables["ratings"]
    )
    return Chunk({name: _in_window(world, name, t) for name, t in tables.items()})


WINDOW_COLUMNS = {
    "orders": "created_at",
    "refunds": "applied_at",
    "ratings": "time",
    "rating_revisions": "revised_at",
    "service_orders": "applied_at",
    "tickets": "received_at",
}


def _in_window(world: World, name: str, table: pa.Table) -> pa.Table:
    """Rows whose defining time falls after the last day are dropped (not yet happened)."""
    column = WINDOW_COLUMNS.get(name)
    if column is None:
        return table
    limit = pa.scalar(world.start + timedelta(days=world.days), pa.timestamp("s"))
    return table.filter(pc.fill_null(pc.less(table[column], limit), False))


def _concat_sessions(a: Sessions, b: Sessions) -> Sessions:
    return Sessions(
        *(np.concatenate([getattr(a, f), getattr(b, f)]) for f in Sessions.__dataclass_fields__)
    )


# ------------------------------------------------------------------ writers


class Sink:
    """Writes tables chunk by chunk (or keeps them whole for `exports`); `close` returns
    table -> path and keeps row counts."""

    def __init__(self, out_dir: Path, fmt: Format, exports: Exports | None = None) -> None:
        self.out_dir, self.fmt, self.exports = out_dir, fmt, exports
        self.writers: dict[str, object] = {}
        self.paths: dict[str, Path] = {}
        self.counts: dict[str, int] = {}
        self.parts: dict[str, list[pa.Table]] = {}

    def write(self, name: str, table: pa.Table) -> None:
        self.counts[name] = self.counts.get(name, 0) + table.num_rows
        if self.exports is not None:
            self.parts.setdefault(name, []).append(table)
            return
        if name not in self.writers:
            self.writers[name] = self._open(name, table.schema)
        self.writers[name].write_table(table)  # type: ignore[attr-defined]

    def _open(self, name: str, schema: pa.Schema) -> object:
        path = self.out_dir / f"{name}.{self.fmt}"
        self.paths[name] = path
        if self.fmt == "parquet":
            import pyarrow.parquet as pq

            return pq.ParquetWriter(path, schema, compression="zstd")
        import pyarrow.csv as pcsv

        return pcsv.CSVWriter(path, schema)

    def close(self) -> dict[str, Path]:
        for writer in self.writers.values():
            writer.close()  # type: ignore[attr-defined]
        if self.exports is not None:
            tables = {k: pa.concat_tables(v) for k, v in self.parts.items()}
            self.paths = self.exports(tables, self.out_dir)
        return self.paths


def planted(messages: int, seed: int = 0, days: int | None = None) -> list[str]:
    """What the sample holds on purpose, one line each, so a failing rule has a visible
    reason: the late shipments, the slow and the rude agents (as `generate` makes them)."""
    world = build_world(messages, seed, None, days)
    r = world.roster
    slow, rude = "、".join(r.agent[r.slow]), "、".join(r.agent[r.rude])
    return [
        f"延迟发货：{world.shops[LATE_SHOP]} 约 {LATE_SHARE:.0%} 的已付款订单超过 72 小时才发货 / "
        "late shipments in one shop",
        f"回复慢的客服：{slow}（约慢 {SLOW_FACTOR:.0f} 倍，差评更多）/ slow agents",
        f"态度差的客服：{rude}（粗鲁回复，质检发现）/ a rude agent",
    ]


def generate(
    out_dir: str | Path,
    *,
    messages: int,
    seed: int = 0,
    start: date | None = None,
    days: int | None = None,
    fmt: Format = "parquet",
    progress: Callable[[int], None] | None = None,
    counts: dict[str, int] | None = None,
    exports: Exports | None = None,
) -> dict[str, Path]:
    """Write every table for about `messages` chat messages; returns table -> file.

    Same arguments give byte-identical files. `progress` receives the messages written so
    far; `counts`, when given, is filled with the rows written per table; `exports`, when
    given, writes the whole tables instead of one `fmt` file per table.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    world = build_world(messages, seed, start, days)
    sink = Sink(out, fmt, exports)
    sink.write("agents", agents_table(world))
    sink.write("agent_status", status_table(world))
    chunk_msgs = int(CHUNK_SESSIONS * MSGS_PER_SESSION)
    written = 0
    for chunk in range(max(1, -(-messages // chunk_msgs))):
        budget = min(chunk_msgs, messages - written)
        if budget <= 0:
            break
        part = build_chunk(world, chunk, budget, written + 1)
        for name, table in part.tables.items():
            sink.write(name, table)
        written += part.messages
        if progress:
            progress(written)
    paths = sink.close()
    if counts is not None:
        counts.update(sink.counts)
    return paths
