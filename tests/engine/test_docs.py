"""The metric registry holds every metric of the issue (the doc: tests/test_docs_files.py)."""

from __future__ import annotations

from kaohe.engine.registry import all_metrics

REQUIRED = (
    "consult_buyers",
    "received_buyers",
    "unreplied_buyers",
    "reply_rate",
    "sessions",
    "buyer_messages",
    "agent_messages",
    "answer_ratio",
    "agent_chars",
    "max_concurrent",
    "avg_session_minutes",
    "long_sessions",
    "transfers_out",
    "transfers_in",
    "rounds",
    "avg_response_s",
    "median_response_s",
    "p90_response_s",
    "first_response_s",
    "slow_rounds",
    "slow_buyers",
    "unanswered_rounds",
    "reply_within_rate",
    "first_within_rate",
    "taobao_avg_response_s",
    "taobao_3min_rate",
    "jd_first_30s_rate",
    "kuaishou_3min_rate",
    "douyin_3min_rate",
    "pdd_effective_reply_rate",
    "pdd_5min_reply_rate",
    "greet_30s_rate",
    "reply_60s_rate",
)


def test_registry_has_every_metric_of_the_issue():
    ids = [m.id for m in all_metrics()]
    assert len(ids) == len(set(ids))
    assert set(REQUIRED) <= set(ids)
    for metric in all_metrics():
        assert metric.zh and metric.en and metric.unit and metric.direction and metric.grain
