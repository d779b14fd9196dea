"""The ranking: a preset scheme's scores, grades and ranks for a period, filterable by shop,
team and role, sortable, with the scheme's PK and an Excel download. Ranks are over the whole
population; a lead sees their team's rows, an agent their own."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from kaohe.schemes import list_schemes, pk_rank, with_params
from kaohe.schemes.fetch import metric_rows, roster_rows
from kaohe.schemes.score import result_rows, score
from kaohe.spreadsheet import Column
from kaohe.units import Unit
from kaohe.web import audit, views
from kaohe.web.auth import UserDep, visible_agents
from kaohe.web.cache import cached
from kaohe.web.deps import PeriodDep, StoreDep, parse_period_text
from kaohe.web.downloads import xlsx_response
from kaohe.web.i18n import translate
from kaohe.web.render import render, request_lang

if TYPE_CHECKING:
    from kaohe.store import Store

router = APIRouter()

DEFAULT_SCHEME = "presales_standard"
SORTS = ("rank", "total", "agent", "name", "team", "shop", "grade")
COLUMNS = ("rank", "agent", "name", "team", "shops", "role", "total", "grade", "status")
HEADER_KEYS = {
    "rank": "ranking.rank",
    "agent": "common.agent",
    "name": "common.name",
    "team": "common.team",
    "shops": "common.shop",
    "role": "common.role",
    "total": "ranking.total",
    "grade": "ranking.grade",
    "status": "ranking.status",
}


def find_scheme(scheme_id: str) -> Any:
    for scheme in list_schemes():
        if scheme.id == scheme_id:
            return scheme
    raise HTTPException(400, f"未知方案 / unknown scheme: {scheme_id!r}")


def _shops(text: Any) -> list[str]:
    return [s.strip() for s in re.split(r"[,，;；]", str(text or "")) if s.strip()]


def ranked_rows(
    scheme: Any, period: str, st: Store, params: dict[str, Any] | None = None
) -> tuple[list[dict], dict[str, list], list]:
    """(rows with roster fields, PK entries by metric, roster) — one engine call for all,
    under the engine parameters `params` (the ones `kaohe score` reads)."""
    metrics = metric_rows(st, scheme, period, params)
    roster = roster_rows(st)
    result = score(scheme, metrics, roster, period)
    info = {r["agent"]: r for r in roster}
    rows = []
    for row in result_rows(result):
        who = info.get(row["agent"], {})
        rows.append(
            {
                **row,
                "team": who.get("team"),
                "role": who.get("role"),
                "shops": ", ".join(_shops(who.get("shops"))),
            }
        )
    pk = pk_rank(metrics, scheme.pk) if scheme.pk else {}
    return rows, pk, roster


def apply_filters(
    rows: list[dict], shop: str, team: str, role: str, scope: set[str] | None
) -> list[dict]:
    def keep(row: dict) -> bool:
        return (
            (scope is None or row["agent"] in scope)
            and (not shop or shop in _shops(row["shops"]))
            and (not team or row["team"] == team)
            and (not role or row["role"] == role)
        )

    return [r for r in rows if keep(r)]


def sort_rows(rows: list[dict], sort: str) -> list[dict]:
    """`sort` is a column of SORTS, '-' first for descending; missing values go last."""
    key = sort.lstrip("-")
    if key not in SORTS:
        raise HTTPException(400, f"无效的排序 / invalid sort: {sort!r}")
    key = "shops" if key == "shop" else key
    present = [r for r in rows if r.get(key) is not None]
    missing = [r for r in rows if r.get(key) is None]
    present.sort(key=lambda r: (r[key], r["agent"]), reverse=sort.startswith("-"))
    return present + missing


def pk_tables(
    pk: dict[str, list], scheme: Any, scope: set[str] | None, lang: str
) -> list[dict[str, Any]]:
    labels = {m.metric: m.label or m.metric for m in scheme.pk.metrics} if scheme.pk else {}
    out = []
    for metric, entries in pk.items():
        shown = [e for e in entries if scope is None or e.agent in scope]
        out.append({"metric": metric, "label": labels.get(metric, metric), "entries": shown})
    return out


def _options(roster: list[dict]) -> dict[str, list[str]]:
    return {
        "shops": sorted({s for r in roster for s in _shops(r.get("shops"))}),
        "teams": sorted({str(r["team"]) for r in roster if r.get("team")}),
        "roles": sorted({str(r["role"]) for r in roster if r.get("role")}),
    }


@router.get("/ranking")
def ranking(
    request: Request,
    user: UserDep,
    st: StoreDep,
    period: PeriodDep,
    scheme: str = DEFAULT_SCHEME,
    shop: str = "",
    team: str = "",
    role: str = "",
    sort: str = "rank",
    format: str = "",
) -> Response:  # noqa: A002 - the query name
    chosen = find_scheme(scheme)
    params = views.params(request, owners=[chosen])
    chosen = with_params(chosen, params.of(chosen))
    scope = visible_agents(user, st)
    lang = request_lang(request)
    rows, pk, roster = cached(
        request,
        st,
        ("ranking", chosen.id, period),
        parse_period_text(period).end,
        lambda: ranked_rows(chosen, period, st, params.engine),
    )
    rows = sort_rows(apply_filters(rows, shop, team, role, scope), sort)
    if scope is not None:  # a lead or agent picks among what they may see
        roster = [r for r in roster if r["agent"] in scope]
    if format == "xlsx":
        units: dict[str, Unit] = {"total": "points"}
        columns = [Column(c, translate(HEADER_KEYS[c], lang), units.get(c)) for c in COLUMNS]
        audit.record(
            st, user, "export", f"ranking scheme={chosen.id} period={period} rows={len(rows)}"
        )
        return xlsx_response(rows, columns, f"ranking_{chosen.id}_{period}", "ranking")
    return render(
        request,
        "ranking.html",
        {
            "period": period,
            "schemes": list_schemes(),
            "scheme": chosen,
            "rows": rows,
            "filters": {"shop": shop, "team": team, "role": role, "sort": sort},
            "options": _options(roster),
            "columns": COLUMNS,
            "header_keys": HEADER_KEYS,
            "pk": pk_tables(pk, chosen, scope, lang),
            "sorts": SORTS,
        },
    )
