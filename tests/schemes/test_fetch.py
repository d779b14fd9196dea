"""metric_rows: engine metrics from compute_kpis, the rest from metric_values."""

from kaohe.engine import compute_kpis
from kaohe.schemes import load_scheme, parse_scheme_text, score
from kaohe.schemes.fetch import metric_rows, roster_rows
from kaohe.store import Store


def insert(store, table, rows):
    for row in rows:
        cols = ", ".join(f'"{c}"' for c in row)
        marks = ", ".join("?" for _ in row)
        store.con.execute(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})', list(row.values()))


def value(period, subject, metric, v, source="manual"):
    return {"period": period, "subject": subject, "metric": metric, "value": v, "source": source}


def test_tmall_ops_from_metric_values():
    with Store(":memory:") as store:
        insert(store, "agents", [{"agent": "op1", "name": "运营甲", "role": "ops"}])
        insert(
            store,
            "metric_values",
            [
                value("2026-10", "op1", "ad_roi", 6.5),
                value("2026-10", "op1", "sales_target_completion", 0.95),
                value("2026-10", "op1", "plan_execution_rate", 0.85),
                value("2026-10", "op1", "team_progress_rate", 1.0),
                value("2026-10", "op1", "cooperation", 5),
                value("2026-10", "op1", "cooperation", 1, source="zz_other"),  # later source loses
                value("2026-10", "op1", "discipline", 4),
                value("2026-11", "op1", "discipline", 0),  # another period
            ],
        )
        scheme = load_scheme("tmall_ops_kpi")
        rows = metric_rows(store, scheme, "2026-10")
        assert rows == [
            {
                "agent": "op1",
                "ad_roi": 6.5,
                "cooperation": 5.0,
                "discipline": 4.0,
                "plan_execution_rate": 0.85,
                "sales_target_completion": 0.95,
                "team_progress_rate": 1.0,
            }
        ]
        roster = roster_rows(store)
        a = score(scheme, rows, roster, "2026-10").agent("op1")
        # 6.5 / 5 = 1.3 → 20; 0.95 → 25; 0.85 → 10; 1.0 → 20; 5; 4 → 84
        assert a.total == 84 and a.name == "运营甲"


def test_engine_metrics_and_imports_are_merged():
    text = """\
id: mix
name: 混合
items:
  - {id: r, rule: fixed, metric: received_buyers, points: 100}
  - {id: s, rule: fixed, metric: service_score, points: 100}
"""
    with Store(":memory:") as store:
        insert(
            store,
            "messages",
            [
                {
                    "shop": "s1",
                    "platform": "taobao",
                    "buyer": "b1",
                    "agent": None,
                    "sender": "buyer",
                    "time": "2026-10-05 10:00:00",
                    "text": "在吗",
                    "seq": 1,
                    "msg_key": "k1",
                },
                {
                    "shop": "s1",
                    "platform": "taobao",
                    "buyer": "b1",
                    "agent": "a1",
                    "sender": "agent",
                    "time": "2026-10-05 10:00:20",
                    "text": "在的",
                    "seq": 2,
                    "msg_key": "k2",
                },
            ],
        )
        insert(store, "metric_values", [value("2026-10", "a1", "service_score", 88)])
        rows = metric_rows(store, parse_scheme_text(text, "mix.yaml"), "2026-10")
        engine = compute_kpis(store, by="agent", period="2026-10", metrics=["received_buyers"])
        assert len(rows) == 1
        # b1 wrote to the shop and a1 answered: one received buyer, as the engine says
        assert rows[0]["received_buyers"] == engine[0]["received_buyers"] == 1
        assert rows[0]["service_score"] == 88


def test_an_engine_value_wins_over_an_imported_one():
    text = (
        "id: s\nname: 服务\nitems:\n  - {id: s, rule: fixed, metric: service_score, points: 100}\n"
    )
    with Store(":memory:") as store:
        insert(
            store,
            "qa_review_scores",
            [
                {
                    "review_id": "r1",
                    "session": "x",
                    "shop": "s1",
                    "agent": "a1",
                    "day": "2026-10-05",
                    "reviewer": "qa1",
                    "scorecard": "c",
                    "score": 0.9,
                    "pass_line": 0.8,
                    "passed": True,
                }
            ],
        )
        insert(store, "metric_values", [value("2026-10", "a1", "service_score", 60)])
        rows = metric_rows(store, parse_scheme_text(text, "s.yaml"), "2026-10")
        assert rows[0]["service_score"] == 90.0  # 100 × the one review's 0.9, not the 60


def test_platform_reported_figures_win_over_kaohes_own():
    from kaohe.schemes.fetch import merge_imported

    rows = {"a1": {"agent": "a1", "payment_reminder_rate": 0.5, "reply_rate": 0.9}}
    imported = [
        ("a1", "payment_reminder_rate", 0.7),  # 催付成功率 the shop's tool reports: wins
        ("a1", "reply_rate", 0.1),  # kaohe's own reply rate stays
        ("a2", "revised_ratings", 3.0),  # an agent kaohe has no row for
    ]
    assert merge_imported(rows, imported) == {
        "a1": {"agent": "a1", "payment_reminder_rate": 0.7, "reply_rate": 0.9},
        "a2": {"agent": "a2", "revised_ratings": 3.0},
    }
