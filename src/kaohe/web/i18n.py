"""UI labels, Chinese by default with an English switch.

Each key maps to {"zh": ..., "en": ...}. The agent, conversation, credit, import, scheme and
review pages keep their labels in `kaohe.web.page_labels.LABELS`, merged here.
"""

from __future__ import annotations

from collections.abc import Callable

from kaohe.web.page_labels import LABELS as PAGE_LABELS

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

LABELS: dict[str, dict[str, str]] = {
    "app.title": {"zh": "考核", "en": "kaohe"},
    "app.subtitle": {"zh": "客服绩效考核", "en": "Customer-service assessment"},
    "nav.overview": {"zh": "总览", "en": "Overview"},
    "nav.ranking": {"zh": "排名", "en": "Ranking"},
    "nav.me": {"zh": "我的考核", "en": "My page"},
    "nav.credit": {"zh": "订单归属", "en": "Order credit"},
    "nav.imports": {"zh": "导入", "en": "Import"},
    "nav.schemes": {"zh": "考核方案", "en": "Schemes"},
    "nav.reviews": {"zh": "人工质检", "en": "Reviews"},
    "nav.logout": {"zh": "退出", "en": "Log out"},
    "page.updating": {
        "zh": "新数据已导入，本页正在更新；显示的是更新前的结果，请稍后刷新。",
        "en": "New data was imported and this page is updating; it shows the results before "
        "the import — reload shortly.",
    },
    "nav.lang": {"zh": "English", "en": "中文"},
    "role.admin": {"zh": "管理员", "en": "Admin"},
    "role.supervisor": {"zh": "主管", "en": "Supervisor"},
    "role.lead": {"zh": "组长", "en": "Team lead"},
    "role.agent": {"zh": "客服", "en": "Agent"},
    "post.presales": {"zh": "售前", "en": "presales"},
    "post.aftersales": {"zh": "售后", "en": "after-sales"},
    "post.general": {"zh": "综合", "en": "general"},
    "post.callcenter": {"zh": "呼叫中心", "en": "call centre"},
    "post.ops": {"zh": "运营", "en": "operations"},
    "post.unknown": {"zh": "未知", "en": "unknown"},
    "login.title": {"zh": "登录", "en": "Log in"},
    "login.username": {"zh": "用户名", "en": "Username"},
    "login.password": {"zh": "密码", "en": "Password"},
    "login.submit": {"zh": "登录", "en": "Log in"},
    "login.failed": {"zh": "用户名或密码错误", "en": "Wrong username or password"},
    "login.throttled": {
        "zh": "登录失败次数过多，请 15 分钟后再试",
        "en": "Too many failed attempts; try again in 15 minutes",
    },
    "common.period": {"zh": "期间", "en": "Period"},
    "common.apply": {"zh": "查看", "en": "Show"},
    "common.download": {"zh": "下载 Excel", "en": "Download Excel"},
    "common.total": {"zh": "合计", "en": "Total"},
    "common.all": {"zh": "全部", "en": "All"},
    "common.none": {"zh": "无", "en": "None"},
    "common.shop": {"zh": "店铺", "en": "Shop"},
    "common.team": {"zh": "组", "en": "Team"},
    "common.role": {"zh": "岗位", "en": "Role"},
    "common.agent": {"zh": "客服", "en": "Agent"},
    "common.name": {"zh": "姓名", "en": "Name"},
    "common.count": {"zh": "次数", "en": "Count"},
    "common.no_data": {"zh": "该期间没有数据", "en": "No data for this period"},
    "error.title": {"zh": "出错了", "en": "Error"},
    "error.back": {"zh": "返回总览", "en": "Back to the overview"},
    "error.400": {"zh": "请求无效", "en": "Bad request"},
    "error.401": {"zh": "请先登录", "en": "Please log in"},
    "error.403": {"zh": "没有权限", "en": "Forbidden"},
    "error.404": {"zh": "未找到", "en": "Not found"},
    "error.405": {"zh": "不支持的请求方法", "en": "Method not allowed"},
    "error.429": {"zh": "请求过于频繁", "en": "Too many requests"},
    "error.500": {"zh": "服务器内部错误", "en": "Internal error"},
    "overview.title": {"zh": "团队总览", "en": "Team overview"},
    "overview.kpis": {"zh": "核心指标", "en": "Headline KPIs"},
    "overview.my_kpis": {"zh": "我的指标", "en": "My KPIs"},
    "overview.team_kpis": {"zh": "本组指标", "en": "My team's KPIs"},
    "overview.trend": {"zh": "每日趋势", "en": "Daily trend"},
    "overview.compliance": {"zh": "平台合规", "en": "Platform compliance"},
    "overview.failing_cases": {"zh": "未达标案例", "en": "Failing cases"},
    "overview.findings": {"zh": "质检发现（前十）", "en": "Top QA findings"},
    "overview.rule": {"zh": "规则", "en": "Rule"},
    "overview.severity": {"zh": "严重度", "en": "Severity"},
    "severity.info": {"zh": "提示", "en": "info"},
    "severity.minor": {"zh": "轻微", "en": "minor"},
    "severity.major": {"zh": "严重", "en": "major"},
    "severity.redline": {"zh": "红线", "en": "red line"},
    "compliance.preset": {"zh": "规则", "en": "Rule"},
    "compliance.check": {"zh": "检查项", "en": "Check"},
    "compliance.platform": {"zh": "平台", "en": "Platform"},
    "compliance.subject": {"zh": "对象", "en": "Subject"},
    "compliance.value": {"zh": "实际", "en": "Value"},
    "compliance.threshold": {"zh": "标准", "en": "Threshold"},
    "compliance.status": {"zh": "状态", "en": "Status"},
    "compliance.consequence": {"zh": "后果", "en": "Consequence"},
    "status.pass": {"zh": "达标", "en": "Pass"},
    "status.at_risk": {"zh": "有风险", "en": "At risk"},
    "status.fail": {"zh": "未达标", "en": "Fail"},
    "status.not_applicable": {"zh": "不适用", "en": "N/A"},
    "ranking.title": {"zh": "考核排名", "en": "Ranking"},
    "ranking.scheme": {"zh": "方案", "en": "Scheme"},
    "ranking.rank": {"zh": "名次", "en": "Rank"},
    "ranking.total": {"zh": "总分", "en": "Total"},
    "ranking.grade": {"zh": "等级", "en": "Grade"},
    "ranking.status": {"zh": "状态", "en": "Status"},
    "ranking.pk": {"zh": "PK 排名", "en": "PK ranking"},
    "ranking.place": {"zh": "名次", "en": "Place"},
    "ranking.value": {"zh": "数值", "en": "Value"},
    "ranking.reward": {"zh": "奖励", "en": "Reward"},
    "ranking.unranked": {"zh": "未排名", "en": "Not ranked"},
    "ranking.sort": {"zh": "排序", "en": "Sort"},
    "score.scored": {"zh": "已评分", "en": "Scored"},
    "score.insufficient_data": {"zh": "数据不足", "en": "Insufficient data"},
    "score.gated_out": {"zh": "不适用", "en": "Not covered"},
}


for _key, _value in PAGE_LABELS.items():
    LABELS.setdefault(_key, _value)


def translate(key: str, lang: str = DEFAULT_LANG) -> str:
    """The label of `key` in `lang`; a missing key (or language) shows the key itself."""
    entry = LABELS.get(key)
    if entry is None:
        return key
    return entry.get(lang) or entry.get(DEFAULT_LANG) or key


def translator(lang: str) -> Callable[[str], str]:
    chosen = lang if lang in LANGS else DEFAULT_LANG
    return lambda key: translate(key, chosen)
