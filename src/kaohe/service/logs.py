"""Structured logs of the server: one JSON object per line on stderr (time, level, logger,
message and the fields a call passes as `extra`), for journald or any log shipper.

No buyer personal data: the server logs ids of jobs, runs, imports and alerts, counts and
durations, never a row of data; every string field still passes kaohe.privacy.mask_text,
so a message that quotes user input (an error naming a bad value) cannot carry a phone
number, an address or a name through."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime
from typing import Any

# attributes every LogRecord has: what is left on a record is the caller's `extra`
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def _clean(value: Any) -> Any:
    from kaohe.privacy import mask_text

    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, int | float | bool) or value is None:
        return value
    return mask_text(str(value))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "at": datetime.fromtimestamp(record.created).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": _clean(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = _clean(value)
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = _clean(f"{record.exc_info[0].__name__}: {record.exc_info[1]}")
        return json.dumps(entry, ensure_ascii=False)


def configure(level: int = logging.INFO) -> None:
    """JSON lines on stderr for kaohe's loggers (and APScheduler's warnings)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name, chosen in (("kaohe", level), ("apscheduler", logging.WARNING)):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(chosen)
        logger.propagate = False
