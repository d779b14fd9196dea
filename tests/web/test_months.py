"""Months as a manager picks them: neighbours, the last complete month, days covered."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from kaohe.web.months import last_complete_month, months_back, shift_month


def test_shift_and_months_back():
    assert shift_month("2026-01", -1) == "2025-12"
    assert shift_month("2026-12", 1) == "2027-01"
    assert months_back("2026-02", 3) == ["2025-12", "2026-01", "2026-02"]


class FakeStore:
    """messages spanning `first`..`last` (all last_complete_month reads)."""

    def __init__(self, first: str | None, last: str | None) -> None:
        self.row = (
            None if first is None else datetime.fromisoformat(first),
            None if last is None else datetime.fromisoformat(last),
        )
        self.con = self

    def execute(self, sql: str, args: list | None = None) -> FakeStore:
        return self

    def fetchone(self) -> tuple:
        return self.row


@pytest.mark.parametrize(
    ("first", "last", "today", "expected"),
    [
        ("2026-10-01", "2026-12-06", date(2026, 12, 7), "2026-11"),  # December runs
        ("2026-10-01", "2026-11-04", date(2026, 12, 7), "2026-10"),  # the data stops in Nov
        ("2026-10-01", "2026-10-20", date(2026, 12, 7), "2026-10"),  # only a part month
        ("2026-10-01", "2026-10-31", date(2026, 10, 31), "2026-10"),  # nothing is over yet
        (None, None, date(2026, 12, 7), None),
    ],
)
def test_last_complete_month(first, last, today, expected):
    assert last_complete_month(FakeStore(first, last), today) == expected
