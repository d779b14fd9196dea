"""Operations, complaints and call-centre metrics (spec: metrics.md, "Operations, …")."""

from __future__ import annotations
