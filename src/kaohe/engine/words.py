"""Every metric's formula in words (issue 19.5), in Chinese and in English: what a manager
reads next to the formula's symbols, e.g. 回复率 = 接待人数 ÷ 咨询人数.

The words say the definition of spec/metrics.md and the seeds with the metrics' Chinese
names, never an id or a code; parameters are named with their defaults (a named platform
instance with the values it fixes). `registry.register` puts them on each metric
(`Metric.words`, `Metric.words_en`); tests/engine/test_words.py checks that every metric has
them and that they name no internal code."""

from __future__ import annotations

_ROUND = "对话轮次（买家发起、到客服首次有效回复为止的一轮）"
_ATTR = "按落实客服归属（下单前 48 小时内最后一次有效回复的客服，可改为付款前或首次回复）"
_ATTR_EN = (
    "credited to the agent of the last valid reply in the 48 hours before the order "
    "(configurable: before payment, or the first reply)"
)
_PAID = "下单后 3 天内付款的订单"
_PAID_EN = "orders paid within 3 days of creation"

WORDS: dict[str, tuple[str, str]] = {
    # Reception and workload
    "consult_buyers": (
        "当天给该客服发过至少一条消息的买家数（同一买家同一天只算一次）",
        "buyers who sent the agent at least one message, counted once a day",
    ),
    "received_buyers": (
        "咨询人数中至少有一轮对话得到有效回复的买家数（按买家-天计）",
        "consulting buyers (per day) with at least one answered round",
    ),
    "unreplied_buyers": ("咨询人数 − 接待人数", "consulting buyers − received buyers"),
    "reply_rate": ("接待人数 ÷ 咨询人数", "received buyers ÷ consulting buyers"),
    "sessions": (
        "含至少一条买家消息的会话数（相邻消息间隔不超过会话间隔，默认 30 分钟）",
        "sessions with at least one buyer message (messages at most 30 minutes apart by default)",
    ),
    "buyer_messages": ("买家发出的消息条数", "messages sent by buyers"),
    "agent_messages": (
        "有效回复条数（不含自动回复、机器人、系统消息和撤回的消息）",
        "valid replies (not automatic, not from a bot or the system, not withdrawn)",
    ),
    "answer_ratio": ("客服消息数 ÷ 买家消息数", "agent messages ÷ buyer messages"),
    "agent_chars": ("有效回复的总字数", "characters in the valid replies"),
    "max_concurrent": (
        "同一时刻该客服同时进行的会话数的最大值",
        "the most sessions the agent had open at one moment",
    ),
    "avg_session_minutes": ("会话时长之和 ÷ 会话量", "total session duration ÷ sessions"),
    "long_sessions": (
        "时长超过长接待阈值（默认 30 分钟）的会话数",
        "sessions longer than the long-session limit (30 minutes by default)",
    ),
    "transfers_out": (
        "会话间隔内由该客服转给其他客服的买家数（按买家-天计）",
        "buyers (per day) handed from the agent to another agent within a session gap",
    ),
    "transfers_in": (
        "会话间隔内由其他客服转给该客服的买家数（按买家-天计）",
        "buyers (per day) handed to the agent from another agent within a session gap",
    ),
    # Response
    "rounds": (
        f"期间内开始的{_ROUND}数（可限定服务时段）",
        "rounds (a buyer's messages up to the first valid reply) started in the period, "
        "optionally within service hours",
    ),
    "avg_response_s": (
        "已回复轮次的响应时长之和 ÷ 已回复轮次数（可设单轮封顶，未回复轮次可按封顶值计入）",
        "total response time of answered rounds ÷ answered rounds (optionally each capped, "
        "unanswered rounds counted at the cap)",
    ),
    "median_response_s": (
        "已回复轮次响应时长的中位数",
        "the median response time of answered rounds",
    ),
    "p90_response_s": (
        "已回复轮次响应时长的第 90 百分位数（九成轮次不超过此值）",
        "the 90th percentile of the response times of answered rounds",
    ),
    "first_response_s": (
        "买家发起的会话中，已回复的第一轮的响应时长之和 ÷ 第一轮已回复的会话数（可限定服务时段）",
        "total response time of the answered first rounds of sessions a buyer started ÷ "
        "those sessions, optionally within service hours",
    ),
    "slow_rounds": (
        "响应时长超过慢响应阈值（默认 100 秒，淘宝的提醒时间）的已回复轮次数",
        "answered rounds slower than the slow limit (100 seconds by default, Taobao's reminder)",
    ),
    "slow_buyers": (
        "当天至少有一轮慢响应或未回复的买家数（按买家-天计）",
        "buyers (per day) with at least one slow or unanswered round",
    ),
    "unanswered_rounds": (
        "回复时限（默认 24 小时）内没有有效回复的轮次数",
        "rounds with no valid reply within the reply horizon (24 hours by default)",
    ),
    "reply_within_rate": (
        "在规定秒数（默认 180 秒）内得到回复的轮次 ÷ 轮次；按买家计时为没有超时或未回复轮次的"
        "买家-天 ÷ 有轮次的买家-天",
        "rounds answered within the set seconds (180 by default) ÷ rounds; by buyer: "
        "buyer-days with no round unanswered or slower ÷ buyer-days with rounds",
    ),
    "first_within_rate": (
        "首轮在规定秒数（默认 30 秒）内得到回复的会话 ÷ 买家发起的会话",
        "sessions whose first round was answered within the set seconds (30 by default) ÷ "
        "sessions a buyer started",
    ),
    "taobao_avg_response_s": (
        "08:00–23:00 内开始的轮次，每轮响应时长封顶 600 秒、未回复按 600 秒计，"
        "响应时长之和 ÷ 轮次数",
        "rounds started 08:00–23:00, each response capped at 600 s and an unanswered round "
        "counted as 600 s: total ÷ rounds",
    ),
    "taobao_3min_rate": (
        "08:00–24:00 内开始、3 分钟内得到回复的轮次 ÷ 该时段的轮次",
        "rounds started 08:00–24:00 answered within 3 minutes ÷ those rounds",
    ),
    "jd_first_30s_rate": (
        "首轮在 30 秒内得到应答的会话 ÷ 买家发起的会话（会话间隔 10 分钟，23:00–09:00 开始的"
        "会话不计）",
        "sessions whose first round was answered within 30 seconds ÷ sessions a buyer started "
        "(10-minute session gap; sessions starting 23:00–09:00 left out)",
    ),
    "kuaishou_3min_rate": (
        "08:00–23:00 内每一轮都在 3 分钟内得到回复的买家-天 ÷ 该时段有轮次的买家-天",
        "buyer-days whose every round 08:00–23:00 was answered within 3 minutes ÷ buyer-days "
        "with rounds then",
    ),
    "douyin_3min_rate": (
        "08:00–23:00 内开始、3 分钟内得到人工回复的轮次 ÷ 该时段的轮次",
        "rounds started 08:00–23:00 answered by a person within 3 minutes ÷ those rounds",
    ),
    "pdd_effective_reply_rate": (
        "08:00–23:00 内没有任何一轮未回复或等待超过 1 小时的买家-天 ÷ 该时段有轮次的买家-天",
        "buyer-days 08:00–23:00 with no round unanswered or waiting over an hour ÷ buyer-days "
        "with rounds then",
    ),
    "pdd_5min_reply_rate": (
        "5 分钟内得到回复的轮次 ÷ 轮次（超过 5 分钟算慢回复）",
        "rounds answered within 5 minutes ÷ rounds (later is a late reply)",
    ),
    "greet_30s_rate": (
        "首轮在 30 秒内得到问候的会话 ÷ 买家发起的会话",
        "sessions greeted within 30 seconds ÷ sessions a buyer started",
    ),
    "reply_60s_rate": (
        "60 秒内得到回复的轮次 ÷ 轮次（买家最多等 1 分钟）",
        "rounds answered within 60 seconds ÷ rounds (a buyer waits at most a minute)",
    ),
    # Sales, conversion and attribution
    "inquiry_buyers": (
        "询单的买家-天：不是售后咨询的接待（售后咨询 = 接待前 15 天内在本店付过款且此后没有"
        "新订单）",
        "buyer-days of receptions that are inquiries: not after-sales (a buyer who paid the "
        "shop in the 15 days before and placed no new order)",
    ),
    "order_buyers": (
        f"询单后 48 小时内下单、且订单{_ATTR}到该客服的询单买家-天",
        "inquiry buyer-days with an order within 48 hours after, credited to the agent",
    ),
    "paid_buyers": (
        "询单→下单人数中订单在下单后 3 天内付款的买家-天",
        "inquiry buyer-days whose credited order was paid within 3 days of creation",
    ),
    "consult_to_order_rate": ("询单→下单人数 ÷ 询单人数", "ordering inquiries ÷ inquiries"),
    "order_to_pay_rate": (
        "询单→最终付款人数 ÷ 询单→下单人数",
        "paying inquiries ÷ ordering inquiries",
    ),
    "consult_to_pay_rate": ("询单→最终付款人数 ÷ 询单人数", "paying inquiries ÷ inquiries"),
    "lost_buyers": ("询单人数 − 询单→最终付款人数", "inquiries − paying inquiries"),
    "sales_amount": (
        f"{_PAID}的付款金额之和，{_ATTR}，按付款日计",
        f"paid amount of {_PAID_EN}, {_ATTR_EN}; dated by payment",
    ),
    "paid_orders": (
        f"{_PAID}的笔数，{_ATTR}，按付款日计",
        f"number of {_PAID_EN}, {_ATTR_EN}; dated by payment",
    ),
    "items_sold": (
        f"{_PAID}的商品件数之和（缺件数按 1 件），{_ATTR}",
        f"items (1 when missing) of {_PAID_EN}, {_ATTR_EN}",
    ),
    "paying_buyers": (
        f"{_PAID}的买家数（按付款日的买家-天计），{_ATTR}",
        f"buyers (per payment day) of {_PAID_EN}, {_ATTR_EN}",
    ),
    "avg_order_value": ("客服销售额 ÷ 成交人数", "sales ÷ paying buyers"),
    "items_per_buyer": ("销售量 ÷ 成交人数", "items sold ÷ paying buyers"),
    "refund_amount": (
        "落实到该客服的订单在付款后 15 天内完成的退款（仅退款、退货退款）与取消金额，"
        "每单不超过订单金额，按付款日计",
        "refunds (money only or with a return) and cancellations completed within 15 days of "
        "payment on the agent's credited orders, at most each order's amount; dated by payment",
    ),
    "net_sales": ("客服销售额 − 完成退款金额", "sales − refunds"),
    "refund_rate": (
        "付款后 15 天内退款的落实订单 ÷ 落实的已付款订单（按金额计时：完成退款金额 ÷ 客服销售额）",
        "credited paid orders refunded within 15 days ÷ credited paid orders (by amount: "
        "refunds ÷ sales)",
    ),
    "assist_order_buyers": (
        "该客服在下单前回复过、但订单落实给其他客服的已付款订单的买家数（按付款日的买家-天计）",
        "buyers (per payment day) of paid orders credited to another agent that this agent "
        "replied to before the order",
    ),
    "assist_followup_buyers": (
        "该客服在下单后、付款前回复过、但订单落实给其他客服的已付款订单的买家数"
        "（按付款日的买家-天计）",
        "buyers (per payment day) of paid orders credited to another agent that this agent "
        "replied to between order and payment",
    ),
    "silent_orders": (
        "店铺级：没有任何客服接触（无落实客服）的已付款订单数，按付款日计",
        "shop level: paid orders no agent touched, dated by payment",
    ),
    "silent_sales": ("店铺级：静默订单的付款金额之和", "shop level: paid amount of silent orders"),
    "silent_refund_amount": (
        "店铺级：静默订单在付款后 15 天内完成的退款与取消金额，按付款日计",
        "shop level: refunds and cancellations within 15 days of payment on silent orders",
    ),
    "silent_net_sales": (
        "店铺级：静默销售额 − 静默退款金额（买家没有咨询客服就直接拍下的订单，月底减去退货）",
        "shop level: silent sales − silent refunds (orders placed without asking an agent, "
        "returns taken off at month end)",
    ),
    "silent_followed_orders": (
        "店铺级：下单前 48 小时内无人接触、下单后付款前得到有效回复的已付款订单数",
        "shop level: paid orders untouched in the 48 hours before the order that got a valid "
        "reply between order and payment",
    ),
    # Satisfaction
    "ratings": ("收到的评价数，按评价时间计", "ratings received, dated by rating time"),
    "good_rate": (
        "满意及以上的评价 ÷ 评价量（快手：满意 ÷（满意 + 一般 + 失望））",
        "ratings of 满意 or better ÷ ratings (Kuaishou: 满意 ÷ (满意 + 一般 + 失望))",
    ),
    "satisfaction_rate": (
        "（非常满意 + 满意）÷ 评价量",
        "(非常满意 + 满意) ÷ ratings",
    ),
    "bad_ratings": (
        "不满意、失望、非常不满意的评价数",
        "ratings of 不满意, 失望 or 非常不满意",
    ),
    "bad_attitude_rate": (
        "原因为服务态度差的一般及以下评价 ÷ 一般及以下评价（快手每月不超过 6%）",
        "ratings of 一般 or worse given for 服务态度差 ÷ ratings of 一般 or worse (Kuaishou: at "
        "most 6 % a month)",
    ),
    "revised_ratings": (
        "由差评改为满意及以上的评价修改记录数，按修改时间计，记给处理的客服（无则被评价的客服）；"
        "有导入数值时以导入为准",
        "rating revisions from a bad rating to 满意 or better, dated by revision, for the agent "
        "who handled them (else the agent rated); an imported figure wins",
    ),
    "review_handling_rate": (
        "差评后 72 小时内本店客服联系了买家或评价已修改的差评 ÷ 差评量；有导入数值时以导入为准",
        "bad ratings followed up (the shop wrote to the buyer within 72 hours, or the rating "
        "was revised) ÷ bad ratings; an imported figure wins",
    ),
    "invite_rate": (
        "来自客服邀评的评价数 ÷ 接待人数（只记录了邀评带来的评价，所以是发送率的下限）",
        "ratings that came from an agent's invitation ÷ received buyers (a lower bound: only "
        "invited ratings are recorded, not invitations)",
    ),
    # Online time
    "online_hours": (
        "在线与忙碌状态的时长之和（跨零点按天拆分）",
        "time online or busy, split at midnight",
    ),
    "hangup_hours": ("挂起状态的时长之和（跨零点按天拆分）", "time hung up, split at midnight"),
    "hangups_over_15min": (
        "超过 15 分钟（正好 15 分钟不算）的挂起次数，按开始时间计",
        "hang-ups longer than 15 minutes (exactly 15 is not over), dated by their start",
    ),
    "workdays": (
        "有在线或忙碌时长、或有有效回复的天数",
        "days with time online or busy, or a valid reply",
    ),
    "avg_daily_online_hours": ("在线时长 ÷ 上班天数", "hours online ÷ working days"),
    # After-sales
    "aftersales_cases": ("期间内申请的售后单数，按申请时间计", "after-sales cases applied for"),
    "refund_duration_h": (
        "退款成功的售后单从申请到完结的平均时长",
        "mean time from application to completion of successful refunds",
    ),
    "refund_only_self_h": (
        "未经平台介入完结的仅退款单从申请到完结的平均时长",
        "mean time from application to completion of money-only refunds closed without the "
        "platform stepping in",
    ),
    "return_refund_self_h": (
        "未经平台介入完结的退货退款单：（同意 − 申请）+（完结 − 收到退货）的平均时长",
        "returns closed without the platform: mean (agreed − applied) + (completed − return "
        "received)",
    ),
    "merchant_liable_disputes": (
        "完结售后单中被判为商家责任的纠纷单数",
        "completed cases judged the merchant's fault",
    ),
    "merchant_liable_rate": (
        "商责纠纷单量 ÷ 完结的售后单（快手：不超过 4 单或不超过 0.35% 达标）",
        "merchant-liable disputes ÷ completed cases (Kuaishou passes at ≤ 4 cases or ≤ 0.35 %)",
    ),
    "intervention_rate": (
        "近 30 天平台介入的售后单 ÷ 近 30 天的售后单（拼多多近30天介入率取期间最后一天的值）",
        "cases the platform stepped into over the last 30 days ÷ cases over those days "
        "(Pinduoduo's 近30天介入率 is the period's last day)",
    ),
    "response_48h_rate": (
        "申请后 48 小时内商家首次响应的售后单 ÷ 售后单（拼多多超过 48 小时自动同意退款）",
        "cases the merchant first answered within 48 hours ÷ cases (Pinduoduo approves the "
        "refund itself after 48 hours)",
    ),
    "resolution_rate": (
        "未经平台介入完结的售后单 ÷ 售后单，按申请时间计",
        "cases completed without the platform stepping in ÷ cases, dated by application",
    ),
    "so_review_20min_rate": (
        "申请后 20 分钟内（只计 09:00–21:00）首次审核的服务单 ÷ 已审核的服务单",
        "service orders first reviewed within 20 minutes of application (counting only "
        "09:00–21:00) ÷ reviewed service orders",
    ),
    "so_process_20min_rate": (
        "待处理后 20 分钟内（只计 09:00–21:00）给出首次处理结果的服务单 ÷ 已处理的服务单",
        "service orders with a first result within 20 minutes of being ready (counting only "
        "09:00–21:00) ÷ processed service orders",
    ),
    "so_awaiting_feedback_rate": (
        "曾转为待客户反馈的服务单 ÷ 已审核的服务单",
        "service orders ever put into awaiting the customer ÷ reviewed service orders",
    ),
    "spot_check_pass_rate": (
        "抽查达标量 ÷ 抽查总数（得分不低于合格线 80%，或无不合格项；校准与被复核替换的抽检不计）；"
        "有导入数值时以导入为准",
        "spot checks passed (score at or above the 80 % pass line, or no failed item) ÷ spot "
        "checks (calibrations and replaced reviews left out); an imported figure wins",
    ),
    "spot_checks": (
        "有得分或合格判定的人工抽检数（校准不计）；有导入数值时以导入为准",
        "manual spot checks with a score or a verdict (calibrations left out); an imported "
        "figure wins",
    ),
    "failed_spot_checks": (
        "未达标的抽检数（按服务规范达标率的判定）；有导入数值时以导入为准",
        "spot checks that did not pass (as the pass rate judges them); an imported figure wins",
    ),
    "email_on_time_rate": (
        "16:00 前收到、当天 18:00 前回复，以及 16:00 后收到、次日 18:00 前回复的邮件 ÷ 邮件数",
        "e-mails received before 16:00 answered by 18:00 that day, or after 16:00 by 18:00 the "
        "next day ÷ e-mails",
    ),
    "ticket_3h_rate": (
        "收到后 3 小时内回复的投诉工单 ÷ 投诉工单",
        "complaint tickets answered within 3 hours ÷ complaint tickets",
    ),
    # Quality
    "qa_auto_score": (
        "各会话（100 − 自动质检扣分，最低 0，触红线记 0；无违规记 100）的平均值",
        "mean over the agent's sessions of 100 − automatic QA deductions (at least 0; a red "
        "line scores 0; no finding scores 100)",
    ),
    "qa_violations": (
        "自动质检命中的违规次数（可按严重程度筛选）",
        "automatic QA findings (optionally of one severity)",
    ),
    "qa_violations_per_1k": ("违规次数 × 1000 ÷ 客服消息数", "findings × 1000 ÷ agent messages"),
    "service_score": (
        "人工质检评分的平均值 × 100（各评分表类目加权平均，关键类目低于 50% 记 0；校准与被复核"
        "替换的不计）",
        "100 × the mean manual review score (weighted scorecard categories; a critical "
        "category under 50 % scores 0; calibrations and replaced reviews left out)",
    ),
    "qa_redline_sessions": ("触犯红线的会话数", "sessions with a red-line finding"),
    # Operations, complaints, call centre
    "orders_placed": ("创建的订单数（含未支付），按下单时间计", "orders created, paid or not"),
    "valid_orders": (
        "已付款且未取消、未关闭的订单数，按付款时间计",
        "orders paid and neither cancelled nor closed, dated by payment",
    ),
    "order_payment_conversion": (
        "期间内创建并已付款的订单 ÷ 期间内创建的订单（在线销售量 ÷ 下单量）",
        "orders created in the period and paid ÷ orders created",
    ),
    "order_conversion": (
        "已付款订单 ÷ 官网访问量（在线销售量 ÷ 官网访问量）",
        "paid orders ÷ site visits",
    ),
    "order_accuracy_rate": (
        "（已付款订单 − 处理有差错的订单）÷ 已付款订单",
        "(paid orders − orders handled with an error) ÷ paid orders",
    ),
    "order_timeliness_rate": (
        "在承诺工作日内送达的订单（市区 3 个、县城 5 个、乡镇 7 个工作日，按法定节假日与调休）"
        "÷ 已送达的订单",
        "orders delivered within the promised working days (city 3, county 5, town 7, on the "
        "holiday calendar) ÷ delivered orders",
    ),
    "same_city_delivery_h": (
        "同城（市区）送达订单从下单到送达的平均时长",
        "mean time from order to delivery of same-city orders",
    ),
    "other_city_delivery_h": (
        "外地送达订单从下单到送达的平均时长",
        "mean time from order to delivery of orders to other cities",
    ),
    "complaints": ("投诉类工单数，按收到时间计", "complaint tickets, dated by receipt"),
    "complaint_rate": ("投诉量 ÷ 已付款订单（店铺级）", "complaints ÷ paid orders (shop level)"),
    "complaining_buyers": (
        "至少投诉一次的买家数（按买家-天计）",
        "buyers (per day) with at least one complaint",
    ),
    "repeat_complaining_buyers": (
        "期间内对同一店铺投诉两次及以上的买家数",
        "buyers who complained to the shop twice or more in the period",
    ),
    "calls_handled": ("接通的来电与外呼数", "calls answered, inbound and outbound"),
    "aht_s": (
        "（通话结束 − 接通 + 话后处理时长）之和 ÷ 有结束时间的接通电话",
        "total (end − answer + wrap-up) ÷ answered calls with an end",
    ),
    "service_level_20s": (
        "20 秒内接通的来电 ÷ 来电总数",
        "inbound calls answered within 20 seconds ÷ inbound calls offered",
    ),
    "abandon_rate": ("未接通的来电 ÷ 来电总数", "inbound calls never answered ÷ inbound calls"),
    "call_volume_index": (
        "（接通量 − 接通的投诉电话）÷ 单位话务目标（默认每月 5000）× 100%",
        "(answered calls − answered complaint calls) ÷ the unit target (5000 a month by "
        "default) × 100 %",
    ),
    "service_quality_index": (
        "（考核分数 + 评定分数）÷ 2 − 客户投诉数 × 客户投诉系数（默认 1）；客户投诉数 = 投诉工单 "
        "+ 标为投诉的接通电话",
        "(assessment score + rating score) ÷ 2 − complaints × the complaint coefficient (1 by "
        "default); complaints = complaint tickets + answered complaint calls",
    ),
    "training_index": (
        "月平均培训成绩 − 培训缺勤次数 × 培训考勤次数（按原考核办法；可改为 × 缺勤系数，或 "
        "缺勤次数 ÷ 考勤次数 × 100）",
        "mean training score − absences × training sessions (as the scheme writes it; or × an "
        "absence coefficient, or absences ÷ sessions × 100)",
    ),
    "repeat_calls": (
        "买家的二次来电：记录为重复来电的，或同一买家 7 天内再次来电，记给接听的客服",
        "inbound calls that are a buyer's second contact (marked so, or another call of the "
        "buyer in the 7 days before), for the agent who took it",
    ),
    "first_contact_resolution_rate": (
        "接通的首次来电中此后 7 天内同一买家没有再来电的 ÷ 接通的首次来电（首问负责：记给首次"
        "接听的客服）",
        "answered first calls with no further call of the buyer within 7 days ÷ answered first "
        "calls, for the agent who answered first",
    ),
    "late_shipments": (
        "店铺级：超过发货时限才发货、或过了时限仍未发货的已付款订单数；时限为订单承诺发货时间，"
        "否则付款后 72 小时（可改为若干工作日）",
        "shop level: paid orders shipped late or not shipped by their deadline (the order's "
        "promised time, else 72 hours after payment, or a number of working days)",
    ),
    "late_shipment_rate": (
        "店铺级：延迟发货单量 ÷ 到期应发货的已付款订单",
        "shop level: late shipments ÷ paid orders due to ship",
    ),
    "quality_refund_rate": (
        "退款原因含质量问题（质量、破损、瑕疵、做工、假货、与描述不符、故障、变质等）的成功退款 "
        "÷ 已付款订单；有导入数值时以导入为准",
        "successful refunds whose reason is a quality fault (damage, flaw, fake, not as "
        "described, broken, spoiled …) ÷ paid orders; an imported figure wins",
    ),
    "repeat_buyer_rate": (
        "店铺级：此前 180 天内在本店付过款的买家的付款买家-天 ÷ 付款买家-天；"
        "有导入数值时以导入为准",
        "shop level: paying buyer-days of buyers who had paid the shop in the 180 days before ÷ "
        "paying buyer-days; an imported figure wins",
    ),
    "payment_reminder_rate": (
        "客服催付（下单后付款前的首次回复含付款、支付、还需要吗等话术）后 3 天内付款的订单 ÷ "
        "催付的订单",
        "orders paid within 3 days after an agent's reminder (the first reply after the order "
        "asking for payment) ÷ orders reminded",
    ),
    # Alert handling
    "alerts_fired": ("触发的预警数，按触发日计", "alerts fired, dated by firing"),
    "alerts_acknowledged": (
        "已被确认（或被人工解决）的预警数",
        "alerts acknowledged (or resolved by a person)",
    ),
    "alert_ack_minutes": (
        "已确认预警的（确认时间 − 触发时间）之和 ÷ 已确认预警数",
        "total (acknowledged − fired) over acknowledged alerts ÷ acknowledged alerts",
    ),
    "alert_ack_median_minutes": (
        "已确认预警的（确认时间 − 触发时间）的中位数",
        "the median of acknowledged − fired over acknowledged alerts",
    ),
    "alerts_resolved": (
        "已解决（人工或系统）的预警数",
        "alerts resolved, by a person or by the system",
    ),
    "alerts_self_resolved": (
        "条件消除后由系统自动解除的预警数",
        "alerts the system resolved when their condition cleared",
    ),
    "alert_resolve_minutes": (
        "已解决预警的（解决时间 − 触发时间）之和 ÷ 已解决预警数",
        "total (resolved − fired) over resolved alerts ÷ resolved alerts",
    ),
    "alert_resolve_median_minutes": (
        "已解决预警的（解决时间 − 触发时间）的中位数",
        "the median of resolved − fired over resolved alerts",
    ),
}
