"""Importing files with the rules of the tables' owners: the one entry for `kaohe import`, the
web's uploads and the demo.

kaohe.ingest reads, maps, validates and writes a file; a table that another part derives
figures from is imported with that part's rules inside the same transaction (qa_reviews: a
second review of a session must say 复核 or 校准, and the reviews are scored for the QA
metrics). kaohe.ingest refuses such a table without them, so no import can skip them.
"""

from __future__ import annotations

from functools import partial

from kaohe.ingest import load
from kaohe.ingest.load import ImportResult, TableRules
from kaohe.qa.reviews import review_rules

RULES: dict[str, TableRules] = {"qa_reviews": review_rules()}

import_file = partial(load.import_file, rules=RULES)
import_files = partial(load.import_files, rules=RULES)

__all__ = ["RULES", "ImportResult", "import_file", "import_files"]
