"""The ranking: a preset scheme's scores, grades and ranks for a period, filterable by shop,
team and role, sortable, with the scheme's PK and an Excel download. Ranks are over the whole
population; a lead sees their team's rows, an agent their own."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from kaohe.schemes import list_schemes, with_params
from kaohe.schemes.fetch import metric_rows, roster_rows
from kaohe.schemes.score import SCORED, result_rows, scheme_pk, score
from kaohe.schemes.why import Scored, scored, why
from kaohe.spreadsheet import Column
from kaohe.units import Unit
from kaohe.web import audit, views
from kaohe.web.auth import UserDep, visible_agents
from kaohe.web.cache import COMPUTE, cached_on
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


def schemes_for(agent: str, roster: list[dict]) -> list[Any]:
    """The preset schemes whose population covers the agent, the role's standard one first."""
    return covering_schemes([agent], roster)[agent]


def covering_schemes(agents: list[str], roster: list[dict]) -> dict[str, list[Any]]:
    """`schemes_for` of many agents at once: each preset's population is taken once over all
    of them (whether it covers an agent reads only that agent's row and the roster), not once
    per agent (a roster of 1,000 read 12,000 times)."""
    from kaohe.schemes.score import population_rows

    rows = [{"agent": a} for a in agents]
    schemes = list_schemes()
    covered = {s.id: {r["agent"] for r in population_rows(s, rows, roster)} for s in schemes}
    return {
        a: sorted(
            (s for s in schemes if a in covered[s.id]),
            key=lambda s: not s.id.endswith("_standard"),
        )
        for a in agents
    }


def _shops(text: Any) -> list[str]:
    return [s.strip() for s in re.split(r"[,，;；]", str(text or "")) if s.strip()]


@dataclass
class Ranked:
    """A scheme scored on a period: rows with roster fields, PK tables over the scheme's
    population, the roster, and what explaining any agent needs (kaohe.schemes.why)."""

    rows: list[dict]
    pk: dict[str, list]
    roster: list[dict]
    scored: Scored


def ranked_rows(
    scheme: Any, period: str, st: Store, params: dict[str, Any] | None = None
) -> Ranked:
    """One engine call for all, under the engine parameters `params` (the ones `kaohe score`
    reads)."""
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
    pk = scheme_pk(scheme, metrics, roster)
    return Ranked(rows, pk, roster, scored(scheme, result, metrics, roster))


def scheme_ranking(
    request: Request, st: Any, scheme_id: str, period: str, absent: Any = COMPUTE
) -> tuple[Any, Ranked]:
    """The scheme (with the request's parameters) and its ranking of the period, computed
    once per data version (kaohe.web.cache); `absent` while an import holds the readers and
    the period was never ranked (kaohe.web.cache.cached)."""
    chosen = find_scheme(scheme_id)
    params = views.params(request, owners=[chosen])
    chosen = with_params(chosen, params.of(chosen))
    key = ("ranking", chosen.id, period, repr(sorted(params.engine.items())))
    end = parse_period_text(period).end
    return chosen, cached_on(
        request, st, key, end, lambda st: ranked_rows(chosen, period, st, params.engine), absent
    )


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
    chosen, ranked = scheme_ranking(request, st, scheme, period)
    scope = visible_agents(user, st)
    lang = request_lang(request)
    rows = sort_rows(apply_filters(ranked.rows, shop, team, role, scope), sort)
    roster = ranked.roster
    if scope is not None:  # a lead or agent picks among what they may see
        roster = [r for r in roster if r["agent"] in scope]
    if format == "xlsx":
        units: dict[str, Unit] = {"total": "points"}
        columns = [Column(c, translate(HEADER_KEYS[c], lang), units.get(c)) for c in COLUMNS]
        audit.record(
            st, user, "export", f"ranking scheme={chosen.id} period={period} rows={len(rows)}"
        )
        shown = [_in_words(r, lang) for r in rows]
        return xlsx_response(shown, columns, f"ranking_{chosen.id}_{period}", "ranking")
    return render(
        request,
        "ranking.html",
        {
            "period": period,
            "schemes": list_schemes(),
            "scheme": chosen,
            "rows": [r for r in rows if r["status"] == SCORED],
            "apart": [r for r in rows if r["status"] != SCORED],
            "filters": {"shop": shop, "team": team, "role": role, "sort": sort},
            "options": _options(roster),
            "columns": COLUMNS,
            "header_keys": HEADER_KEYS,
            "pk": pk_tables(ranked.pk, chosen, scope, lang),
            "sorts": SORTS,
        },
    )


def _in_words(row: dict, lang: str) -> dict:
    """A download row with the role and status as the page shows them, not their codes."""
    role = row.get("role")
    return {
        **row,
        "role": translate(f"post.{role}", lang) if role else "",
        "status": translate(f"score.{row['status']}", lang),
    }


@router.get("/ranking/why")
def ranking_why(
    request: Request,
    user: UserDep,
    st: StoreDep,
    period: PeriodDep,
    agent: str,
    scheme: str = DEFAULT_SCHEME,
) -> Response:
    """One agent's items, grade and next-grade hint: the fragment a ranking row expands to."""
    scope = visible_agents(user, st)
    chosen, ranked = scheme_ranking(request, st, scheme, period)
    found = why(ranked.scored, agent, request_lang(request))
    if found is None or (scope is not None and agent not in scope):
        raise HTTPException(404, f"该方案不考核此客服 / the scheme does not cover {agent!r}")
    return render(request, "_why.html", {"why": found, "scheme": chosen, "period": period})
