"""What a plan's payslips read from the store: the team's pooled figures are computed for the
groups a payslip reads, and only those."""

from __future__ import annotations

import pytest

from kaohe.engine import compute_kpis
from kaohe.pay.fetch import team_rows
from kaohe.pay.plan import load_plan
from kaohe.store import Store
from tests.engine.conftest import fill, fill_table
from tests.engine.test_attribution import TWO_AGENTS, TWO_ORDER

METRICS = ["avg_order_value", "consult_to_pay_rate"]  # jd_commission's team.<metric>


@pytest.fixture(scope="module")
def store():
    with Store(":memory:") as s:
        fill(s, TWO_AGENTS, roster=[("a1", "t"), ("a2", "t")])
        fill_table(s, "orders", TWO_ORDER)
        yield s


def test_the_population_is_pooled_only_when_a_paid_agent_has_no_team(store):
    plan = load_plan("jd_commission")  # team_scope: team, team_stat: pooled
    teams = [{"agent": "a1", "team": "t"}, {"agent": "a2", "team": "t"}]
    pooled = team_rows(store, plan, "2026-10", ["a1", "a2"], {}, teams)
    assert set(pooled) == {"t"}  # every agent paid has a team: no payslip reads everyone
    by_team = compute_kpis(store, by="team", period="2026-10", metrics=METRICS)
    assert {k: pooled["t"][k] for k in METRICS} == {k: by_team[0][k] for k in METRICS}
    alone = [{"agent": "a1", "team": "t"}, {"agent": "a2", "team": None}]
    everyone = compute_kpis(store, by=(), period="2026-10", metrics=METRICS, agents=["a1", "a2"])
    assert team_rows(store, plan, "2026-10", ["a1", "a2"], {}, alone)[None] == everyone[0]
    assert None in team_rows(store, plan, "2026-10", ["a1", "a2"], {})  # no roster given
