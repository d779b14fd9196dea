"""Sales, conversion and attribution metrics (spec: metrics.md, "Sales, …")."""

from __future__ import annotations
