"""Structured logs: one JSON object per line, the caller's fields kept, buyer data masked."""

from __future__ import annotations

import json
import logging

from kaohe.service.logs import JsonFormatter


def test_a_log_line_is_json_with_its_fields_and_no_phone_number():
    record = logging.LogRecord("kaohe.inbox", logging.WARNING, __file__, 1, "rejected", None, None)
    record.file = "买家13812345678.csv"
    record.rows = 3
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "warning" and line["logger"] == "kaohe.inbox"
    assert line["message"] == "rejected" and line["rows"] == 3
    assert "13812345678" not in line["file"] and line["file"].endswith(".csv")
