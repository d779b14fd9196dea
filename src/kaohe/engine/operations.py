"""Operations, complaints and call-centre metrics (spec: metrics.md, "Operations, …").

Orders are shop-level (the orders table carries no agent); complaint tickets and calls carry
an agent. Calls have no shop, so their shop and platform are null. The scores behind the
seed-002 indices, and site visits, come from `metric_values` under these metric ids:

- `visits` (subject: a shop): site visits, the denominator of order_conversion;
- `assessment_score` (考核分数) and `rating_score` (评定分数) (subject: an agent);
- `training_score` (月平均培训成绩), `training_absences` (培训缺勤次数) and `training_sessions`
  (培训考勤次数: the training sessions attendance was taken at) (subject: an agent).

A `metric_values.period` is dated by its first day: `2026-10-05` by that day, `2026-W43` by
its Monday, `2026-10` by the 1st of the month. Within one month the finest grain present wins
for a (subject, metric): month rows are dropped when day or week rows exist, so a value is
never counted twice. Provisional (null) values are skipped; a team name as subject is
ignored (these metrics are per agent or per shop).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import ibis
import ibis.expr.types as ir

from kaohe.engine.blocks import delta_ms, with_platform
from kaohe.engine.registry import (
    Direction,
    Metric,
    Part,
    SourceDef,
    count,
    counting,
    counting_rows,
    ratio,
    register,
    register_source,
    summing,
)
from kaohe.engine.workdays import with_working_days
from kaohe.errors import ConfigError
from kaohe.units import Unit

SECTION = "Operations, complaints, call centre"

SHOP_VALUES = ("visits",)
AGENT_VALUES = (
    "assessment_score",
    "rating_score",
    "training_score",
    "training_absences",
    "training_sessions",
)
MS_PER_HOUR = 3_600_000.0
DAY_RE = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
WEEK_RE, MONTH_RE = "^[0-9]{4}-W[0-9]{2}$", "^[0-9]{4}-[0-9]{2}$"


def _null_str() -> ir.StringValue:
    return ibis.null("string")


# orders -----------------------------------------------------------------------------------


def _orders_dated_by(event: str) -> Callable[[Any, Mapping[str, Any]], ir.Table]:
    def build(blocks: Any, params: Mapping[str, Any]) -> ir.Table:
        o = blocks.table("orders")
        o = o.filter(o[event].notnull())
        paid = o.paid_at.notnull()
        cancelled = o.cancelled_at.notnull() | (o.status == "closed").fill_null(False)
        o = o.select(
            "order_id",
            "shop",
            "platform",
            "buyer",
            "region_tier",
            "created_at",
            "delivered_at",
            agent=_null_str(),
            day=o[event].date(),
            paid=paid,
            valid=paid & ~cancelled,
            error=paid & o.error.fill_null(False),
            delivery_ms=delta_ms(o.delivered_at, o.created_at),
        )
        return with_working_days(o, "created_at", "delivered_at", "working_days")

    return build


CREATED, PAID, DELIVERED = "ops_orders_created", "ops_orders_paid", "ops_orders_delivered"
for _name, _event in ((CREATED, "created_at"), (PAID, "paid_at"), (DELIVERED, "delivered_at")):
    register_source(SourceDef(_name, _orders_dated_by(_event), tables=("orders",)))


def _promise(t: ir.Table, p: Mapping[str, Any]) -> ir.IntegerValue:
    branches = [(t.region_tier == tier, int(days)) for tier, days in p["promise_days"].items()]
    return ibis.cases(*branches, else_=ibis.null("int64"))


def _same_city(t: ir.Table, p: Mapping[str, Any]) -> ir.BooleanValue:
    tiers = p["same_city_tiers"]  # a list, or "city,county" from --set
    if isinstance(tiers, str):
        tiers = [tier.strip() for tier in tiers.split(",") if tier.strip()]
    return t.region_tier.isin(list(tiers))


def _other_city(t: ir.Table, p: Mapping[str, Any]) -> ir.BooleanValue:
    return t.region_tier.notnull() & ~_same_city(t, p)


def _hours(ms: str, orders: str) -> Callable[[Mapping[str, Any], Mapping[str, Any]], Any]:
    def value(parts: Mapping[str, Any], p: Mapping[str, Any]) -> Any:
        mean_ms = ratio(ms, orders)(parts, p)
        return None if mean_ms is None else mean_ms / MS_PER_HOUR

    return value


def _accuracy(parts: Mapping[str, Any], _: Mapping[str, Any]) -> Any:
    paid, errors = parts.get("paid_orders"), parts.get("error_orders") or 0
    return None if not paid else (float(paid) - float(errors)) / float(paid)


PLACED = counting_rows("orders_placed", CREATED)
PAID_OF_PLACED = counting("paid_of_placed", CREATED, lambda t, p: t.paid)
PAID_ORDERS = counting_rows("paid_orders", PAID)


def _delivery_parts(prefix: str, where: Callable) -> tuple[Part, Part]:
    return (
        summing(
            f"{prefix}_ms",
            DELIVERED,
            lambda t, p: ibis.ifelse(where(t, p), t.delivery_ms, ibis.null("int64")),
        ),
        counting(f"{prefix}_orders", DELIVERED, where),
    )


# complaints -------------------------------------------------------------------------------


def _complaints(blocks: Any, params: Mapping[str, Any]) -> ir.Table:
    """Complaint tickets dated by receipt; `repeat`: the (shop, buyer) filed ≥2 complaints
    in the period asked for (all data when no period)."""
    t = blocks.table("tickets")
    t = t.filter(t.kind == "complaint")
    t = t.select(
        "id", "shop", "buyer", "agent", "category", "received_at", day=t.received_at.date()
    )
    scope = t if blocks.window is None else t.filter(t.day.between(*blocks.window))
    scope = scope.filter(scope.buyer.notnull())
    per_buyer = scope.group_by(["shop", "buyer"]).agg(filed=scope.count())
    j = t.left_join(per_buyer, ["shop", "buyer"])
    t = j.select(*[j[c] for c in t.columns], repeat=(j.filed >= 2).fill_null(False))
    return with_platform(t, blocks)


register_source(SourceDef("ops_complaints", _complaints, tables=("tickets", "orders", "messages")))

COMPLAINTS = counting_rows("complaints", "ops_complaints")


def _repeat_buyers(t: ir.Table, p: Mapping[str, Any]) -> ir.IntegerScalar:
    return t.shop.concat("|", t.buyer).nunique(where=t.repeat)


# calls ------------------------------------------------------------------------------------


def _calls(blocks: Any, params: Mapping[str, Any]) -> ir.Table:
    """Calls dated by the day they were offered (dialled, for outbound calls)."""
    c = blocks.table("calls")
    answered = c.answered_at.notnull()
    handle_ms = (
        delta_ms(c.ended_at, c.answered_at).cast("float64") + c.wrap_up_s.fill_null(0.0) * 1000.0
    )
    return c.select(
        "call_id",
        "agent",
        "buyer",
        "direction",
        "offered_at",
        "answered_at",
        "ended_at",
        shop=_null_str(),
        platform=_null_str(),
        day=c.offered_at.date(),
        inbound=c.direction == "in",
        answered=answered,
        wait_s=delta_ms(c.answered_at, c.offered_at).cast("float64") / 1000.0,
        handle_s=ibis.ifelse(answered, handle_ms / 1000.0, ibis.null("float64")),
        complaint=answered & c.is_complaint.fill_null(False),
    )


register_source(SourceDef("ops_calls", _calls, tables=("calls",)))


def _call_contacts(blocks: Any, params: Mapping[str, Any]) -> ir.Table:
    """Inbound calls with a buyer, with `repeat` (二次来电: `is_repeat` where the call centre
    recorded it, else another inbound call of the same buyer in the `repeat_days` before) and
    `followed` (a repeat of the same buyer came within `repeat_days` after). Dated by
    offered_at, charged to the agent who took the call."""
    limit_ms = float(params["repeat_days"]) * 86_400_000
    c = blocks.table("calls")
    c = c.filter((c.direction == "in") & c.buyer.notnull())
    c = c.select("call_id", "agent", "buyer", "offered_at", "answered_at", "is_repeat")
    other = c.select(o_id=c.call_id, o_buyer=c.buyer, o_at=c.offered_at)
    j = c.join(other, (c.buyer == other.o_buyer) & (c.call_id != other.o_id))
    j = j.filter((j.o_at < j.offered_at) & (delta_ms(j.offered_at, j.o_at) <= limit_ms))
    prior = j.select(p_id=j.call_id).distinct()
    c = c.left_join(prior, c.call_id == prior.p_id)
    c = c.select(
        *[c[n] for n in ("call_id", "agent", "buyer", "offered_at", "answered_at")],
        repeat=ibis.coalesce(c.is_repeat, c.p_id.notnull()),
    )
    later = c.filter(c.repeat).select(l_id=c.call_id, l_buyer=c.buyer, l_at=c.offered_at)
    k = c.join(later, (c.buyer == later.l_buyer) & (c.call_id != later.l_id))
    k = k.filter((k.l_at > k.offered_at) & (delta_ms(k.l_at, k.offered_at) <= limit_ms))
    followed = k.select(f_id=k.call_id).distinct()
    c = c.left_join(followed, c.call_id == followed.f_id)
    return c.select(
        "call_id",
        "agent",
        "buyer",
        "repeat",
        shop=_null_str(),
        platform=_null_str(),
        day=c.offered_at.date(),
        answered=c.answered_at.notnull(),
        followed=c.f_id.notnull(),
    )


register_source(
    SourceDef(
        "ops_call_contacts",
        _call_contacts,
        params=("repeat_days",),
        tables=("calls",),
        margin_days=7,  # a call's resolution waits for the default repeat_days after it
    )
)
FIRST_CONTACTS = counting(
    "first_contacts", "ops_call_contacts", lambda t, p: t.answered & ~t.repeat
)

HANDLED = counting("calls_handled", "ops_calls", lambda t, p: t.answered)
C_CALLS = counting("complaint_calls", "ops_calls", lambda t, p: t.complaint)
OFFERED_IN = counting("inbound_offered", "ops_calls", lambda t, p: t.inbound)


def _call_volume(parts: Mapping[str, Any], p: Mapping[str, Any]) -> Any:
    if parts.get("calls_handled") is None:
        return None
    net = float(parts["calls_handled"]) - float(parts.get("complaint_calls") or 0)
    return net / float(p["unit_target"])


# metric_values ----------------------------------------------------------------------------


def _period_start(period: ir.StringValue) -> ir.DateValue:
    """The first day of a `metric_values.period` (null when it is none of the three forms)."""
    p = period.strip()
    is_day, is_week, is_month = p.re_search(DAY_RE), p.re_search(WEEK_RE), p.re_search(MONTH_RE)
    day = ibis.ifelse(is_day, p, ibis.ifelse(is_month, p.concat("-01"), "1970-01-01"))
    # ISO week 1 holds 4 January; its Monday is 4 January minus its weekday index
    jan4 = ibis.ifelse(is_week, p.substr(0, 4).concat("-01-04"), "1970-01-05").cast("date")
    week = ibis.ifelse(is_week, p.substr(6, 2), "1").cast("int64")
    offset = week * 7 - 7 - jan4.day_of_week.index().cast("int64")
    monday = jan4 + offset.as_interval("D")
    return ibis.cases(
        (is_day | is_month, day.cast("date")), (is_week, monday), else_=ibis.null("date")
    )


def _metric_values(blocks: Any, params: Mapping[str, Any]) -> ir.Table:
    v = blocks.table("metric_values")
    v = v.filter(v.value.notnull() & v.metric.isin([*SHOP_VALUES, *AGENT_VALUES]))
    period = v.period.strip()
    grain = ibis.cases((period.re_search(DAY_RE), 0), (period.re_search(WEEK_RE), 1), else_=2)
    v = v.select(
        "metric", "subject", value=v.value.cast("float64"), day=_period_start(v.period), grain=grain
    )
    v = v.filter(v.day.notnull())
    v = v.mutate(month=v.day.year() * 100 + v.day.month())
    keys = ["subject", "metric", "month"]
    finest = v.group_by(keys).agg(grain=v.grain.min())  # a join: Spark rejects the window
    v = v.inner_join(finest, [*keys, "grain"]).select("metric", "subject", "value", "day")
    roster = blocks.table("agents")
    teams = roster.filter(roster.team.notnull()).select("team").distinct()
    agents = v.filter(v.metric.isin(list(AGENT_VALUES)))
    agents = agents.anti_join(teams, agents.subject == teams.team)
    agents = agents.select(
        "metric", "value", "day", agent=agents.subject, shop=_null_str(), platform=_null_str()
    )
    shops = v.filter(v.metric.isin(list(SHOP_VALUES)))
    shops = with_platform(
        shops.select("metric", "value", "day", agent=_null_str(), shop=shops.subject), blocks
    )
    return agents.union(shops.select(*agents.columns))


register_source(
    SourceDef(
        "ops_values", _metric_values, tables=("metric_values", "agents", "orders", "messages")
    )
)


def _value_of(metric_id: str) -> Callable[[ir.Table, Mapping[str, Any]], Any]:
    return lambda t, p: ibis.ifelse(t.metric == metric_id, t.value, ibis.null("float64"))


def _value_sum(metric_id: str) -> Part:
    return summing(metric_id, "ops_values", _value_of(metric_id))


def _mean_parts(metric_id: str) -> tuple[Part, Part]:
    return (
        summing(f"{metric_id}_sum", "ops_values", _value_of(metric_id)),
        counting(f"{metric_id}_n", "ops_values", lambda t, p: t.metric == metric_id),
    )


def _service_quality(parts: Mapping[str, Any], p: Mapping[str, Any]) -> Any:
    assessment = ratio("assessment_score_sum", "assessment_score_n")(parts, p)
    rating = ratio("rating_score_sum", "rating_score_n")(parts, p)
    if assessment is None or rating is None:
        return None
    complaints = float(parts.get("complaints") or 0)
    if _flag(p["with_calls"]):
        complaints += float(parts.get("complaint_calls") or 0)
    return (assessment + rating) / 2.0 - complaints * float(p["complaint_coef"])


def _flag(value: Any) -> bool:
    """A boolean parameter, also as --set text (false, 0, no, 否)."""
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "0", "no", "off", "否", "")
    return bool(value)


TRAINING_FORMS = ("literal", "coefficient", "rate")


def _training(parts: Mapping[str, Any], p: Mapping[str, Any]) -> Any:
    """seed 002: 培训考核指标=月平均培训成绩-(培训缺勤次数*培训考勤次数)*100%."""
    form = str(p["form"]).strip().lower()
    if form not in TRAINING_FORMS:
        raise ConfigError(
            f"training_index form must be one of {', '.join(TRAINING_FORMS)}, got {form!r}",
            field="training_index.form",
        )
    score = ratio("training_score_sum", "training_score_n")(parts, p)
    if score is None:
        return None
    absences = float(parts.get("training_absences") or 0)
    if form == "coefficient":
        return score - absences * float(p["absence_coef"])
    sessions = parts.get("training_sessions")
    if not absences:
        return score
    if sessions is None or (form == "rate" and not sessions):
        return None  # absences without the number of sessions held: not computable
    if form == "rate":
        return score - absences / float(sessions) * 100.0
    return score - absences * float(sessions)


# registry ---------------------------------------------------------------------------------


def _m(
    id: str,
    zh: str,
    en: str,
    unit: Unit,
    direction: Direction,
    grain: str,
    parts: tuple,
    value: Any,
    formula: str,
    source: str = "seed 001",
    **params: Any,
) -> Metric:
    return Metric(
        id,
        zh,
        en,
        unit,
        direction,
        grain,
        parts,
        value,
        formula,
        params=params,
        section=SECTION,
        source=source,
    )


PROMISE_DAYS = {"city": 3, "county": 5, "town": 7}

register(
    _m(
        "orders_placed",
        "下单量(含未支付)",
        "Orders placed",
        "count",
        "neutral",
        "order",
        (PLACED,),
        count("orders_placed"),
        "orders created (paid or not), dated by created_at",
    ),
    _m(
        "valid_orders",
        "有效订单量",
        "Valid orders",
        "count",
        "higher",
        "order",
        (counting("valid_orders", PAID, lambda t, p: t.valid),),
        count("valid_orders"),
        "orders paid and not cancelled (no cancelled_at, status not closed), dated by paid_at",
    ),
    _m(
        "order_payment_conversion",
        "订单支付转化率",
        "Order payment conversion",
        "ratio",
        "higher",
        "order",
        (PAID_OF_PLACED, PLACED),
        ratio("paid_of_placed", "orders_placed"),
        "orders created in the period that were paid / orders created, both dated by "
        "created_at (在线销售量/下单量)",
    ),
    _m(
        "order_conversion",
        "订单转化率",
        "Order conversion",
        "ratio",
        "higher",
        "order",
        (PAID_ORDERS, _value_sum("visits")),
        ratio("paid_orders", "visits"),
        "paid orders (dated by paid_at) / site visits (metric_values `visits` of the shop, "
        "dated by their period's first day) (在线销售量/官网访问量)",
    ),
    _m(
        "order_accuracy_rate",
        "订单处理准确率",
        "Order accuracy rate",
        "ratio",
        "higher",
        "order",
        (PAID_ORDERS, counting("error_orders", PAID, lambda t, p: t.error)),
        _accuracy,
        "(paid orders − paid orders with error) / paid orders, dated by paid_at "
        "((在线销售量−处理差错量)/在线销售量)",
    ),
    _m(
        "order_timeliness_rate",
        "订单处理及时率",
        "Order timeliness rate",
        "ratio",
        "higher",
        "order",
        (
            counting("on_time", DELIVERED, lambda t, p: t.working_days <= _promise(t, p)),
            counting("promised", DELIVERED, lambda t, p: _promise(t, p).notnull()),
        ),
        ratio("on_time", "promised"),
        "delivered orders whose working days (after the created date through the delivered "
        "date, on the Chinese public-holiday calendar with its make-up working days, "
        "chinese-calendar) ≤ `promise_days` of their region_tier / delivered orders with a "
        "region_tier, dated by delivered_at (seed 001: 市区3个、县城5个、乡镇7个工作日)",
        promise_days=PROMISE_DAYS,
    ),
    _m(
        "same_city_delivery_h",
        "同城平均配送时长",
        "Same-city delivery (h)",
        "hours",
        "lower",
        "order",
        _delivery_parts("same_city", _same_city),
        _hours("same_city_ms", "same_city_orders"),
        "mean delivered_at − created_at of delivered orders whose region_tier is in "
        "`same_city_tiers`, dated by delivered_at",
        same_city_tiers=["city"],
    ),
    _m(
        "other_city_delivery_h",
        "外地平均配送时长",
        "Other-city delivery (h)",
        "hours",
        "lower",
        "order",
        _delivery_parts("other_city", _other_city),
        _hours("other_city_ms", "other_city_orders"),
        "mean delivered_at − created_at of delivered orders with a region_tier not in "
        "`same_city_tiers`, dated by delivered_at",
        same_city_tiers=["city"],
    ),
    _m(
        "complaints",
        "投诉量",
        "Complaints",
        "count",
        "lower",
        "ticket",
        (COMPLAINTS,),
        count("complaints"),
        "tickets of kind complaint, dated by received_at",
    ),
    _m(
        "complaint_rate",
        "投诉率",
        "Complaint rate",
        "ratio",
        "lower",
        "ticket",
        (COMPLAINTS, PAID_ORDERS),
        ratio("complaints", "paid_orders"),
        "complaints (dated by received_at) / paid orders (dated by paid_at); orders are "
        "shop-level, so null per agent",
    ),
    _m(
        "complaining_buyers",
        "投诉客户数",
        "Complaining buyers",
        "count",
        "lower",
        "buyer-day",
        (
            Part(
                "complaining_buyers",
                "ops_complaints",
                lambda t, p: t.buyer.notnull(),
                level="buyer_day",
            ),
        ),
        count("complaining_buyers"),
        "buyer-days with ≥1 complaint, dated by received_at",
    ),
    _m(
        "repeat_complaining_buyers",
        "重复投诉客户数",
        "Repeat complaining buyers",
        "count",
        "lower",
        "buyer",
        (Part("repeat_buyers", "ops_complaints", _repeat_buyers, combine=None),),
        count("repeat_buyers"),
        "distinct (shop, buyer) with ≥2 complaints to the shop received in the period, "
        "counted in each group holding one of their complaints",
    ),
    _m(
        "calls_handled",
        "接通量",
        "Calls handled",
        "count",
        "higher",
        "call",
        (HANDLED,),
        count("calls_handled"),
        "answered calls, inbound and outbound, dated by offered_at",
        source="seed 002",
    ),
    _m(
        "aht_s",
        "平均处理时长",
        "Average handling time (s)",
        "seconds",
        "lower",
        "call",
        (
            summing("handle_s", "ops_calls", lambda t, p: t.handle_s),
            counting("timed_calls", "ops_calls", lambda t, p: t.handle_s.notnull()),
        ),
        ratio("handle_s", "timed_calls"),
        "Σ (ended_at − answered_at + wrap_up_s) / answered calls with an end, dated by offered_at",
        source="seed 002",
    ),
    _m(
        "service_level_20s",
        "20秒服务水平",
        "Service level (20 s)",
        "ratio",
        "higher",
        "call",
        (
            counting(
                "answered_in_time",
                "ops_calls",
                lambda t, p: t.inbound & t.answered & (t.wait_s <= float(p["answer_s"])),
            ),
            OFFERED_IN,
        ),
        ratio("answered_in_time", "inbound_offered"),
        "inbound calls answered within `answer_s` seconds / inbound calls offered, dated by "
        "offered_at",
        source="seed 002",
        answer_s=20,
    ),
    _m(
        "abandon_rate",
        "放弃率",
        "Abandon rate",
        "ratio",
        "lower",
        "call",
        (counting("abandoned", "ops_calls", lambda t, p: t.inbound & ~t.answered), OFFERED_IN),
        ratio("abandoned", "inbound_offered"),
        "inbound calls never answered / inbound calls offered, dated by offered_at",
        source="seed 002",
    ),
    _m(
        "call_volume_index",
        "话务量指标",
        "Call volume index",
        "ratio",
        "higher",
        "call",
        (HANDLED, C_CALLS),
        _call_volume,
        "(answered calls − answered complaint calls) / `unit_target` (the seat's target for "
        "the period asked for) × 100 %, dated by offered_at",
        source="seed 002",
        unit_target=5000,
    ),
    _m(
        "service_quality_index",
        "服务质量指标",
        "Service quality index",
        "points",
        "higher",
        "agent-period",
        (*_mean_parts("assessment_score"), *_mean_parts("rating_score"), COMPLAINTS, C_CALLS),
        _service_quality,
        "seed 002 服务质量指标=((考核分数+评定分数)/2-客户投诉数*客户投诉系数)*100%: (mean "
        "metric_values `assessment_score` + mean `rating_score`) / 2 − 客户投诉数 × "
        "`complaint_coef`, where 客户投诉数 = complaint tickets (dated by received_at) + "
        "answered calls flagged as complaints (dated by offered_at, as call_volume_index "
        "counts them); `with_calls`=false counts tickets only (for a shop that files a ticket "
        "for every complaint call); scores dated by their period's first day",
        source="seed 002",
        complaint_coef=1.0,
        with_calls=True,
    ),
    _m(
        "training_index",
        "培训考核指标",
        "Training index",
        "points",
        "higher",
        "agent-period",
        (
            *_mean_parts("training_score"),
            _value_sum("training_absences"),
            _value_sum("training_sessions"),
        ),
        _training,
        "seed 002 培训考核指标=月平均培训成绩-(培训缺勤次数*培训考勤次数)*100%. `form`=literal "
        "(default, the seed as written): mean metric_values `training_score` − Σ "
        "`training_absences` × Σ `training_sessions` (the ×100 % keeps points as points); "
        "`coefficient`: mean `training_score` − Σ `training_absences` × `absence_coef`; "
        "`rate` (reading the * as a slip for ÷): mean score − absences ÷ sessions × 100. "
        "Absences without `training_sessions` give null (literal, rate); values dated by their "
        "period's first day",
        source="seed 002",
        form="literal",
        absence_coef=1.0,
    ),
    _m(
        "repeat_calls",
        "二次来电量",
        "Repeat calls",
        "count",
        "lower",
        "call",
        (counting("repeat_calls", "ops_call_contacts", lambda t, p: t.repeat),),
        count("repeat_calls"),
        "inbound calls that are a buyer's second contact: `is_repeat` where recorded, else "
        "another inbound call of the same buyer in the `repeat_days` days before; dated by "
        "offered_at, for the agent who took it (seed 002 首问负责制: 二次咨询)",
        source="seed 002",
        repeat_days=7,
    ),
    _m(
        "first_contact_resolution_rate",
        "首问解决率",
        "First-contact resolution",
        "ratio",
        "higher",
        "call",
        (
            counting(
                "resolved_first",
                "ops_call_contacts",
                lambda t, p: t.answered & ~t.repeat & ~t.followed,
            ),
            FIRST_CONTACTS,
        ),
        ratio("resolved_first", "first_contacts"),
        "answered inbound first contacts (not a repeat) with no repeat call of the same buyer "
        "within `repeat_days` after / answered inbound first contacts, charged to the agent "
        "of the first call (首问负责: who answers first owns the case); dated by offered_at; "
        "final `repeat_days` after the period; calls without a buyer left out",
        source="seed 002",
        repeat_days=7,
    ),
)
