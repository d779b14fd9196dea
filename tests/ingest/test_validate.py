from datetime import date, datetime
from decimal import Decimal

import polars as pl
import pytest

from kaohe.ingest import validate as v
from kaohe.schema import AGENTS, MESSAGES, ORDERS, RATINGS


def frame(**cols: list[str | None]) -> pl.DataFrame:
    return (
        pl.DataFrame(cols, schema={k: pl.String for k in cols})
        .with_row_index("_row", offset=2)
        .with_columns(pl.col("_row").cast(pl.Int64))
    )


def order(**over: str | None) -> dict[str, list[str | None]]:
    base = {"order_id": "o1", "shop": "s", "buyer": "b", "created_at": "2026-10-01 10:00:00"}
    return {k: [val] for k, val in {**base, **over}.items()}


def reasons(rejects: pl.DataFrame) -> dict[str, str]:
    return {r["column"]: r["reason"] for r in rejects.iter_rows(named=True)}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-10-01 10:00:00", datetime(2026, 10, 1, 10, 0, 0)),
        ("2026/1/5 9:05", datetime(2026, 1, 5, 9, 5)),
        ("2026/1/5 9:05:07", datetime(2026, 1, 5, 9, 5, 7)),
        ("2026-10-01T10:00:00", datetime(2026, 10, 1, 10, 0)),
        ("2026-10-01T02:00:00+00:00", datetime(2026, 10, 1, 10, 0)),
        ("2026-10-01T02:00:00Z", datetime(2026, 10, 1, 10, 0)),
        ("2026-10-01 10:00:00.500000", datetime(2026, 10, 1, 10, 0, 0, 500000)),
        ("46296.5", datetime(2026, 10, 1, 12, 0)),
    ],
)
def test_accepted_time_forms(text: str, expected: datetime) -> None:
    typed, rejects = v.validate(ORDERS, frame(**order(created_at=text)))
    assert rejects.is_empty()
    assert typed["created_at"][0] == expected


@pytest.mark.parametrize("text", ["12", "2026-02-30 10:00:00", "10:00", "1e5"])
def test_implausible_times_are_rejected(text: str) -> None:
    _, rejects = v.validate(ORDERS, frame(**order(created_at=text)))
    assert reasons(rejects) == {"created_at": v.R_TIME}


def test_unparsable_time_is_rejected_with_value_and_reason() -> None:
    typed, rejects = v.validate(ORDERS, frame(**order(created_at="昨天下午")))
    assert typed.is_empty()
    assert rejects.row(0, named=True) == {
        "row": 2,
        "column": "created_at",
        "value": "昨天下午",
        "reason": v.R_TIME,
    }


def test_missing_required_value() -> None:
    _, rejects = v.validate(ORDERS, frame(**order(buyer="  ")))
    assert reasons(rejects) == {"buyer": v.R_MISSING}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("¥1,234.50", Decimal("1234.50")),
        ("88元", Decimal("88.00")),
        (" 12.345 ", Decimal("12.35")),
    ],
)
def test_amounts_are_cleaned_to_two_decimals(text: str, expected: Decimal) -> None:
    typed, rejects = v.validate(ORDERS, frame(**order(amount=text)))
    assert rejects.is_empty()
    assert typed["amount"][0] == expected


def test_unparsable_and_negative_amounts() -> None:
    _, rejects = v.validate(ORDERS, frame(**order(amount="十元")))
    assert reasons(rejects) == {"amount": v.R_AMOUNT}
    _, rejects = v.validate(ORDERS, frame(**order(amount="-5")))
    assert reasons(rejects) == {"amount": v.R_NEGATIVE}


def test_unparsable_number() -> None:
    _, rejects = v.validate(ORDERS, frame(**order(items="three")))
    assert reasons(rejects) == {"items": v.R_NUMBER}
    typed, _ = v.validate(ORDERS, frame(**order(items="3.0")))
    assert typed["items"][0] == 3


def test_enum_labels_map_and_unknown_is_rejected() -> None:
    typed, _ = v.validate(ORDERS, frame(**order(status="交易成功", platform="TaoBao")))
    assert (typed["status"][0], typed["platform"][0]) == ("completed", "taobao")
    _, rejects = v.validate(ORDERS, frame(**order(status="飞走了")))
    assert reasons(rejects) == {"status": v.R_ENUM}


def test_unknown_boolean_is_rejected() -> None:
    typed, _ = v.validate(ORDERS, frame(**order(error="是")))
    assert typed["error"][0] is True
    _, rejects = v.validate(ORDERS, frame(**order(error="maybe")))
    assert reasons(rejects) == {"error": v.R_BOOL}


def test_paid_before_created_and_end_before_start() -> None:
    _, rejects = v.validate(ORDERS, frame(**order(paid_at="2026-10-01 09:00:00", amount="1")))
    assert reasons(rejects) == {"paid_at": v.R_PAID}
    _, rejects = v.validate(ORDERS, frame(**order(shipped_at="2026-09-30 09:00:00")))
    assert reasons(rejects) == {"shipped_at": v.R_ORDER}


def test_amount_required_when_paid() -> None:
    _, rejects = v.validate(ORDERS, frame(**order(paid_at="2026-10-01 11:00:00")))
    assert reasons(rejects) == {"amount": v.R_AMOUNT_PAID}


def test_agent_required_on_agent_messages_and_text_may_be_empty() -> None:
    msgs = frame(
        shop=["s", "s"],
        buyer=["b", "b"],
        agent=[None, None],
        sender=["agent", "买家"],
        time=["2026-10-01 10:00:00"] * 2,
        text=["hi", ""],
    )
    typed, rejects = v.validate(MESSAGES, msgs)
    assert reasons(rejects) == {"agent": v.R_AGENT}
    assert typed["sender"].to_list() == ["buyer"]


def test_one_reject_per_failing_column_and_good_rows_pass() -> None:
    data = frame(
        order_id=["o1", "o2"],
        shop=["s", "s"],
        buyer=["b", "b"],
        created_at=["bad", "2026-10-01 10:00:00"],
        status=["bad", "paid"],
        amount=["x", "1"],
    )
    typed, rejects = v.validate(ORDERS, data)
    assert typed["order_id"].to_list() == ["o2"]
    assert sorted(rejects["column"].to_list()) == ["amount", "created_at", "status"]
    assert set(rejects["row"].to_list()) == {2}


def test_rating_keeps_original_label_and_dates_parse() -> None:
    rating = frame(
        shop=["s"], buyer=["b"], agent=["a"], time=["2026-10-01 10:00:00"], level=["很满意"]
    )
    typed, _ = v.validate(RATINGS, rating)
    assert (typed["level"][0], typed["level_label"][0]) == ("5", "很满意")
    typed, rejects = v.validate(AGENTS, frame(agent=["a"], hired_on=["2026/3/1"]))
    assert rejects.is_empty() and typed["hired_on"][0] == date(2026, 3, 1)
