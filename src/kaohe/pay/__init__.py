"""Pay plans (薪资方案): formula lines over metrics, scheme results and roster fields."""

from kaohe.pay.payslip import PayLine, PayResult, Payslip, pay, score_inputs
from kaohe.pay.plan import Plan, list_plans, load_plan, parse_plan_text

__all__ = [
    "PayLine",
    "PayResult",
    "Payslip",
    "Plan",
    "list_plans",
    "load_plan",
    "parse_plan_text",
    "pay",
    "score_inputs",
]
