"""The canonical data model: tables, columns, Chinese header aliases and value labels.

This module is data. The store creates its tables from it, the importers map headers and
labels with it, and validation reads the column kinds from it (spec: data-model.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["str", "time", "date", "amount", "int", "float", "bool", "enum"]

SQL_TYPES: dict[str, str] = {
    "str": "VARCHAR",
    "time": "TIMESTAMP",
    "date": "DATE",
    "amount": "DECIMAL(14,2)",
    "int": "BIGINT",
    "float": "DOUBLE",
    "bool": "BOOLEAN",
    "enum": "VARCHAR",
}

BOOL_LABELS: dict[str, bool] = {
    "true": True,
    "false": False,
    "1": True,
    "0": False,
    "yes": True,
    "no": False,
    "y": True,
    "n": False,
    "t": True,
    "f": False,
    "是": True,
    "否": False,
    "true.0": True,
    "1.0": True,
    "0.0": False,
}

# how the pages and downloads name each platform (never its code)
PLATFORM_LABELS: dict[str, dict[str, str]] = {
    "taobao": {"zh": "淘宝", "en": "Taobao"},
    "tmall": {"zh": "天猫", "en": "Tmall"},
    "jd": {"zh": "京东", "en": "JD"},
    "pdd": {"zh": "拼多多", "en": "Pinduoduo"},
    "douyin": {"zh": "抖音", "en": "Douyin"},
    "kuaishou": {"zh": "快手", "en": "Kuaishou"},
    "other": {"zh": "其他", "en": "other"},
}


def platform_label(platform: str | None, lang: str = "zh") -> str:
    if not platform:
        return ""
    return PLATFORM_LABELS.get(platform, {}).get(lang, platform)


PLATFORMS: dict[str, str] = {
    "taobao": "taobao",
    "tmall": "tmall",
    "jd": "jd",
    "pdd": "pdd",
    "douyin": "douyin",
    "kuaishou": "kuaishou",
    "other": "other",
    "淘宝": "taobao",
    "天猫": "tmall",
    "京东": "jd",
    "拼多多": "pdd",
    "抖音": "douyin",
    "抖店": "douyin",
    "飞鸽": "douyin",
    "快手": "kuaishou",
    "其他": "other",
}
SENDERS: dict[str, str] = {
    "buyer": "buyer",
    "agent": "agent",
    "bot": "bot",
    "system": "system",
    "买家": "buyer",
    "客户": "buyer",
    "顾客": "buyer",
    "客服": "agent",
    "卖家": "agent",
    "商家": "agent",
    "机器人": "bot",
    "系统": "system",
}
MSG_TYPES: dict[str, str] = {
    "text": "text",
    "image": "image",
    "card": "card",
    "order": "order",
    "withdrawn": "withdrawn",
    "handoff": "handoff",
    "文本": "text",
    "文字": "text",
    "图片": "image",
    "卡片": "card",
    "商品卡片": "card",
    "订单": "order",
    "撤回": "withdrawn",
    "转人工": "handoff",
    "转交": "handoff",
}
ORDER_STATUS: dict[str, str] = {
    "created": "created",
    "paid": "paid",
    "shipped": "shipped",
    "completed": "completed",
    "closed": "closed",
    "等待买家付款": "created",
    "买家已付款": "paid",
    "等待卖家发货": "paid",
    "卖家已发货": "shipped",
    "等待买家确认收货": "shipped",
    "交易成功": "completed",
    "交易关闭": "closed",
    "交易完成": "completed",
}
REFUND_TYPES: dict[str, str] = {
    "refund_only": "refund_only",
    "return_refund": "return_refund",
    "exchange": "exchange",
    "repair": "repair",
    "reship": "reship",
    "仅退款": "refund_only",
    "退货退款": "return_refund",
    "换货": "exchange",
    "维修": "repair",
    "补发": "reship",
}
REFUND_STATUS: dict[str, str] = {
    "success": "success",
    "closed": "closed",
    "pending": "pending",
    "退款成功": "success",
    "退款关闭": "closed",
    "处理中": "pending",
    "售后成功": "success",
    "售后关闭": "closed",
}
REGION_TIERS: dict[str, str] = {
    "city": "city",
    "county": "county",
    "town": "town",
    "市区": "city",
    "县城": "county",
    "乡镇": "town",
}
RATING_LEVELS: dict[str, str] = {
    "5": "5",
    "4": "4",
    "3": "3",
    "2": "2",
    "1": "1",
    "非常满意": "5",
    "很满意": "5",
    "满意": "4",
    "一般": "3",
    "不满意": "2",
    "不满": "2",
    "失望": "2",
    "非常不满意": "1",
    "很不满": "1",
    "很不满意": "1",
}
RATING_SOURCES: dict[str, str] = {
    "invited": "invited",
    "active": "active",
    "system": "system",
    "客服邀评": "invited",
    "邀评": "invited",
    "主动评价": "active",
    "系统推送": "system",
}
ROLES: dict[str, str] = {
    "presales": "presales",
    "aftersales": "aftersales",
    "general": "general",
    "callcenter": "callcenter",
    "ops": "ops",
    "unknown": "unknown",
    "售前": "presales",
    "售后": "aftersales",
    "综合": "general",
    "呼叫中心": "callcenter",
    "运营": "ops",
}
LEVELS: dict[str, str] = {
    "trainee": "trainee",
    "regular": "regular",
    "senior": "senior",
    "lead": "lead",
    "supervisor": "supervisor",
    "见习": "trainee",
    "正式": "regular",
    "资深": "senior",
    "组长": "lead",
    "主管": "supervisor",
}
AGENT_STATUS: dict[str, str] = {
    "online": "online",
    "busy": "busy",
    "away": "away",
    "hangup": "hangup",
    "offline": "offline",
    "在线": "online",
    "忙碌": "busy",
    "离开": "away",
    "小休": "away",
    "挂起": "hangup",
    "离线": "offline",
}
TICKET_KINDS: dict[str, str] = {
    "email": "email",
    "complaint": "complaint",
    "邮件": "email",
    "投诉": "complaint",
}
CALL_DIRECTIONS: dict[str, str] = {"in": "in", "out": "out", "呼入": "in", "呼出": "out"}
# why a session is reviewed again: 复核 replaces the earlier score (audited), 校准 (calibration)
# is compared with it and counts toward no score; a first review needs none
REVIEW_INTENTS: dict[str, str] = {
    "first": "first",
    "recheck": "recheck",
    "calibration": "calibration",
    "首检": "first",
    "初检": "first",
    "复核": "recheck",
    "复检": "recheck",
    "校准": "calibration",
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind = "str"
    required: bool = False
    aliases: tuple[str, ...] = ()
    labels: dict[str, str] | None = None  # for enums: accepted label -> canonical value

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.kind]


@dataclass(frozen=True)
class Table:
    name: str
    label: str  # Chinese name, for reports
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # the identity used for de-duplication / upsert
    upsert: bool  # True: a later import updates the row; False: first write wins
    # (earlier, later) pairs of time columns: a row where later < earlier is rejected
    ordered: tuple[tuple[str, str], ...] = ()
    extra_sql: tuple[tuple[str, str], ...] = field(default=())  # stored, not imported

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _c(
    name: str,
    kind: Kind = "str",
    required: bool = False,
    aliases: str = "",
    labels: dict[str, str] | None = None,
) -> Column:
    alias_tuple = tuple(a.strip() for a in aliases.split(",") if a.strip())
    return Column(name, kind, required, alias_tuple, labels)


MESSAGES = Table(
    "messages",
    "聊天记录",
    (
        _c("shop", required=True, aliases="店铺,店铺名称,seller_nick"),
        _c("platform", "enum", aliases="平台", labels=PLATFORMS),
        _c("buyer", required=True, aliases="买家,客户,顾客,客户名,买家昵称,cnick"),
        _c("agent", aliases="客服,客服账号,子账号,旺旺,客服昵称,snick"),
        _c("sender", "enum", True, "发送方,角色,账号类型,source", SENDERS),
        _c("time", "time", True, "时间,发送时间,消息时间"),
        _c("text", aliases="内容,消息内容,发送内容,content"),
        _c("msg_id", aliases="消息ID,消息序号"),
        _c("auto_reply", "bool", aliases="自动回复,auto_send"),
        _c("msg_type", "enum", aliases="消息类型", labels=MSG_TYPES),
    ),
    key=("msg_key",),
    upsert=False,
    extra_sql=(("msg_key", "VARCHAR"), ("seq", "BIGINT")),
)

ORDERS = Table(
    "orders",
    "订单",
    (
        _c("order_id", required=True, aliases="订单号,订单编号,主订单编号"),
        _c("shop", required=True, aliases="店铺,店铺名称"),
        _c("platform", "enum", aliases="平台", labels=PLATFORMS),
        _c("buyer", required=True, aliases="买家,买家会员名,买家昵称"),
        _c("created_at", "time", True, "下单时间,创建时间,订单创建时间"),
        _c("paid_at", "time", aliases="付款时间,支付时间"),
        _c("amount", "amount", aliases="实付金额,支付金额,买家实际支付金额"),
        _c("items", "int", aliases="件数,购买数量,宝贝总数量"),
        _c("status", "enum", aliases="订单状态", labels=ORDER_STATUS),
        _c("sku", aliases="商品,SKU,商品ID"),
        _c("shipped_at", "time", aliases="发货时间"),
        _c("promised_ship_at", "time", aliases="承诺发货时间,最晚发货时间,预计发货时间"),
        _c("delivered_at", "time", aliases="签收时间"),
        _c("cancelled_at", "time", aliases="取消时间"),
        _c("region_tier", "enum", aliases="地区类型", labels=REGION_TIERS),
        _c("error", "bool", aliases="处理差错"),
    ),
    key=("order_id",),
    upsert=True,
    ordered=(
        ("created_at", "paid_at"),
        ("created_at", "shipped_at"),
        ("created_at", "delivered_at"),
        ("created_at", "cancelled_at"),
    ),
)

REFUNDS = Table(
    "refunds",
    "售后",
    (
        _c("refund_id", required=True, aliases="退款编号,售后单号"),
        _c("order_id", required=True, aliases="订单号,订单编号"),
        _c("shop", required=True, aliases="店铺,店铺名称"),
        _c("buyer", required=True, aliases="买家,买家会员名,买家昵称"),
        _c("type", "enum", True, "售后类型,退款类型", REFUND_TYPES),
        _c("applied_at", "time", True, "申请时间"),
        _c("first_response_at", "time", aliases="商家首次处理时间"),
        _c("agreed_at", "time", aliases="同意时间"),
        _c("rejected_at", "time", aliases="拒绝时间"),
        _c("return_received_at", "time", aliases="退货签收时间"),
        _c("completed_at", "time", aliases="完结时间,退款成功时间"),
        _c("status", "enum", aliases="退款状态,售后状态", labels=REFUND_STATUS),
        _c("amount", "amount", aliases="退款金额"),
        _c("platform_intervened", "bool", aliases="平台介入"),
        _c("merchant_liable", "bool", aliases="商责,判定商家责任"),
        _c("agent", aliases="处理客服"),
        _c("reason", aliases="退款原因"),
    ),
    key=("refund_id",),
    upsert=True,
    ordered=(
        ("applied_at", "first_response_at"),
        ("applied_at", "agreed_at"),
        ("applied_at", "rejected_at"),
        ("applied_at", "completed_at"),
    ),
)

RATINGS = Table(
    "ratings",
    "服务评价",
    (
        _c("shop", required=True, aliases="店铺,店铺名称"),
        _c("buyer", required=True, aliases="买家,客户,买家昵称"),
        _c("agent", required=True, aliases="客服,客服账号,客服昵称"),
        _c("time", "time", True, "评价时间,时间"),
        _c("level", "enum", True, "评价,评价等级,满意度", RATING_LEVELS),
        _c("reason", aliases="评价原因,评价标签"),
        _c("source", "enum", aliases="评价来源", labels=RATING_SOURCES),
        _c("rating_id", aliases="评价ID"),
    ),
    key=("rating_key",),
    upsert=True,
    extra_sql=(("rating_key", "VARCHAR"), ("level_label", "VARCHAR")),
)

# 改评: a rating changed after it was given (seed 004 售后 改评数). One row per change; the
# agent is who handled it (处理客服), which may differ from the agent rated.
RATING_REVISIONS = Table(
    "rating_revisions",
    "评价修改记录",
    (
        _c("rating_id", required=True, aliases="评价ID,评价编号"),
        _c("shop", required=True, aliases="店铺,店铺名称"),
        _c("buyer", aliases="买家,客户,买家昵称"),
        _c("agent", aliases="处理客服,客服,客服账号"),
        _c("revised_at", "time", True, "修改时间,改评时间"),
        _c("level_before", "enum", True, "修改前评价,原评价,原评价等级", RATING_LEVELS),
        _c("level_after", "enum", True, "修改后评价,现评价,新评价,修改后评价等级", RATING_LEVELS),
    ),
    key=("rating_id", "revised_at"),
    upsert=True,
)


def code_label(codes: dict[str, str], code: str) -> str:
    """The Chinese label of a code of a closed list (PLATFORMS, ROLES, LEVELS …): the first
    Chinese label the list maps to it (抖音 for douyin); the code itself when it has none."""
    return next((label for label, c in codes.items() if c == code and label != code), code)


# the roster's `shops` cell may list several shops: 店铺A,店铺B / 店铺A、店铺B / 店铺A；店铺B
SHOP_SEPARATORS = re.compile(r"[,，、;；]+")


def split_shops(cell: object) -> list[str]:
    """The shops a roster `shops` cell lists (empty for none)."""
    if cell is None:
        return []
    return [s.strip() for s in SHOP_SEPARATORS.split(str(cell)) if s.strip()]


AGENTS = Table(
    "agents",
    "客服名单",
    (
        _c("agent", required=True, aliases="客服,客服账号,子账号,旺旺"),
        _c("name", aliases="姓名"),
        _c("shops", aliases="店铺"),
        _c("team", aliases="组,旺旺分组,技能组"),
        _c("role", "enum", aliases="岗位,角色", labels=ROLES),
        _c("level", "enum", aliases="级别,职级", labels=LEVELS),
        _c("hired_on", "date", aliases="入职日期"),
        _c("level_since", "date", aliases="定级日期"),
        _c("base_salary", "amount", aliases="底薪"),
        _c("region", aliases="地区"),
        _c("active", "bool", aliases="在职"),
    ),
    key=("agent",),
    upsert=True,
)

AGENT_STATUS_TABLE = Table(
    "agent_status",
    "在线状态",
    (
        _c("agent", required=True, aliases="客服,客服账号"),
        _c("start", "time", True, "开始时间"),
        _c("end", "time", True, "结束时间"),
        _c("status", "enum", True, "状态", AGENT_STATUS),
    ),
    key=("agent", "start", "status"),
    upsert=True,
    ordered=(("start", "end"),),
)

SERVICE_ORDERS = Table(
    "service_orders",
    "服务单",
    (
        _c("id", required=True, aliases="服务单号"),
        _c("shop", required=True, aliases="店铺"),
        _c("agent", aliases="客服,处理客服"),
        _c("applied_at", "time", True, "申请时间"),
        _c("first_reviewed_at", "time", aliases="首次审核时间"),
        _c("ready_at", "time", aliases="转入待处理时间"),
        _c("first_result_at", "time", aliases="首次处理结果时间"),
        _c("awaiting_feedback", "bool", aliases="是否转入过待客户反馈"),
        _c("result", aliases="处理结果"),
    ),
    key=("id",),
    upsert=True,
    ordered=(("applied_at", "first_reviewed_at"), ("ready_at", "first_result_at")),
)

TICKETS = Table(
    "tickets",
    "工单",
    (
        _c("id", required=True, aliases="工单号"),
        _c("shop", required=True, aliases="店铺"),
        _c("kind", "enum", True, "类型", TICKET_KINDS),
        _c("category", aliases="分类"),
        _c("buyer", aliases="买家,客户"),
        _c("agent", aliases="客服"),
        _c("received_at", "time", True, "接收时间"),
        _c("replied_at", "time", aliases="回复时间"),
        _c("resolved_at", "time", aliases="解决时间"),
    ),
    key=("id",),
    upsert=True,
    ordered=(("received_at", "replied_at"), ("received_at", "resolved_at")),
)

CALLS = Table(
    "calls",
    "通话记录",
    (
        _c("call_id", required=True, aliases="通话ID"),
        _c("agent", aliases="客服,坐席"),
        _c("direction", "enum", True, "呼叫方向", CALL_DIRECTIONS),
        _c("offered_at", "time", True, "呼入时间"),
        _c("answered_at", "time", aliases="接通时间"),
        _c("ended_at", "time", aliases="结束时间"),
        _c("wrap_up_s", "float", aliases="话后处理时长"),
        _c("is_complaint", "bool", aliases="是否投诉"),
        _c("is_repeat", "bool", aliases="是否重复来电"),
        _c("buyer", aliases="客户"),
    ),
    key=("call_id",),
    upsert=True,
    ordered=(
        ("offered_at", "answered_at"),
        ("offered_at", "ended_at"),
        ("answered_at", "ended_at"),
    ),
)

QA_REVIEWS = Table(
    "qa_reviews",
    "人工质检",
    (
        _c("review_id", required=True, aliases="质检ID,抽检ID"),
        _c("session", aliases="会话"),
        _c("shop", aliases="店铺"),
        _c("buyer", aliases="买家"),
        _c("agent", aliases="客服"),
        _c("date", "date", aliases="日期"),
        _c("reviewer", aliases="质检员"),
        _c("scorecard", aliases="评分表"),
        _c("item", aliases="项目"),
        _c("score", "float", aliases="得分"),
        _c("passed", "bool", aliases="是否通过"),
        _c("comment", aliases="备注"),
        _c("reviewed_at", "time", aliases="质检时间"),
        _c("intent", "enum", aliases="复核类型,抽检类型", labels=REVIEW_INTENTS),
    ),
    key=("review_id", "item"),
    upsert=True,
)

METRIC_VALUES = Table(
    "metric_values",
    "手工或平台指标",
    (
        _c("period", required=True, aliases="周期,日期,统计周期"),
        _c("subject", required=True, aliases="对象,客服,店铺"),
        _c("metric", required=True, aliases="指标"),
        _c("value", "float", aliases="值,数值"),
        _c("source", aliases="来源"),
        _c("provisional", "bool", aliases="延迟统计"),
    ),
    key=("period", "subject", "metric", "source"),
    upsert=True,
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        MESSAGES,
        ORDERS,
        REFUNDS,
        RATINGS,
        RATING_REVISIONS,
        AGENTS,
        AGENT_STATUS_TABLE,
        SERVICE_ORDERS,
        TICKETS,
        CALLS,
        QA_REVIEWS,
        METRIC_VALUES,
    )
}


def table(name: str) -> Table:
    try:
        return TABLES[name]
    except KeyError:
        known = ", ".join(TABLES)
        raise KeyError(f"unknown table {name!r} (known: {known})") from None
