"""After-sales metrics (spec: metrics.md, "After-sales")."""

from __future__ import annotations
