"""The scheme page (admin and supervisor): choose a preset or upload a scheme YAML (validated:
a mistake shows its file, line and field), and preview its scores on a past period side by
side with the current scheme (kaohe.schemes.compare, as `kaohe score --compare`). Nothing is
saved."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response

from kaohe.errors import ConfigError, KaoheError, UsageError
from kaohe.web import views
from kaohe.web.auth import User, csrf_protect, require_roles
from kaohe.web.deps import parse_period_text, period_param
from kaohe.web.i18n import translate
from kaohe.web.render import render

if TYPE_CHECKING:
    from kaohe.store import Store

router = APIRouter()

ROLES = ("admin", "supervisor")
Allowed = Annotated[User, Depends(require_roles(*ROLES))]
DEFAULT_CURRENT = "general"  # the current scheme unless kaohe.toml [web] scheme names one
MAX_UPLOAD = 1_000_000  # bytes: a scheme file is a few kilobytes


def current_scheme(request: Request) -> str:
    config = getattr(request.app.state, "config", None)
    chosen = config.section("web").get("scheme") if config is not None else None
    return str(chosen or DEFAULT_CURRENT)


def preset_scheme(scheme_id: str) -> Any:
    """A shipped scheme by id (never a path on the server: uploads go through the form)."""
    from kaohe.schemes import list_schemes

    found = next((s for s in list_schemes() if s.id == scheme_id), None)
    if found is None:
        raise UsageError(f"未知的方案 / unknown scheme {scheme_id!r}")
    return found


def presets() -> list[dict[str, Any]]:
    from kaohe.schemes import list_schemes

    return [
        {
            "id": s.id,
            "name": s.name,
            "items": len(s.items),
            "max_total": s.max_total,
            "grades": " / ".join(g.label for g in s.grades),
            "source": s.source,
        }
        for s in list_schemes()
    ]


def preview(
    st: Store,
    new: Any,
    current: Any,
    period: str,
    params: dict[str, Any] | None = None,
    keep: Any = None,
) -> dict[str, Any]:
    """Both schemes scored on the period (engine parameters `params`, as `kaohe score`);
    rows: agent, name, total/grade of the current (_a) and the new (_b) scheme,
    difference = new − current. `keep(key, compute)`: where a preset's scores are kept (the
    page cache, per data version)."""
    from kaohe.schemes import compare
    from kaohe.schemes.fetch import is_settled

    now = scores(st, current, period, params, keep)
    then = scores(st, new, period, params, keep)
    return {
        "rows": compare(now, then),
        "current": current,
        "new": new,
        "settled": is_settled(new, period, params) and is_settled(current, period, params),
        "notes": [*now.notes, *then.notes],
    }


def scores(
    st: Store, scheme: Any, period: str, params: dict[str, Any] | None, keep: Any = None
) -> Any:
    """The scheme scored on the period (kaohe.schemes.fetch.score_period); a preset's result
    kept by `keep` (an uploaded scheme's never: its id is the uploader's to choose)."""
    from kaohe.schemes.fetch import score_period

    run = lambda: score_period(st, scheme, period, params)  # noqa: E731
    if keep is None or scheme.id not in {s.id for s in _presets()}:
        return run()
    return keep(("scheme_scores", scheme.id, period, repr(sorted((params or {}).items()))), run)


def _presets() -> list[Any]:
    from kaohe.schemes import list_schemes

    return list(list_schemes())


def keeper(request: Any, st: Store, period: str) -> Any:
    """`keep(key, compute)` on the page cache for values of the period."""
    from kaohe.web.cache import cached

    end = parse_period_text(period).end
    return lambda key, run: cached(request, st, key, end, run)


def warm(app: Any, st: Store, period: str) -> None:
    """Every preset scheme scored on the period (after an import, on the writer): a
    comparison of two presets then only lays them side by side."""
    from types import SimpleNamespace

    request: Any = SimpleNamespace(app=app, query_params={})
    params = views.overrides(request)
    keep = keeper(request, st, period)
    for scheme in _presets():
        try:
            scores(st, scheme, period, params, keep)
        except KaoheError:  # a scheme the data cannot score: the page says why when asked
            continue


def config_error(exc: ConfigError, text: str) -> dict[str, Any]:
    """A scheme file's mistake for the page: file, line, field, message and the line itself."""
    lines = text.splitlines()
    shown = lines[exc.line - 1] if exc.line and 0 < exc.line <= len(lines) else None
    return {
        "file": exc.file,
        "line": exc.line,
        "field": exc.field,
        "message": str(exc),
        "source_line": shown,
    }


def _context(request: Request, period: str, **extra: Any) -> dict[str, Any]:
    query = request.query_params
    return {
        "presets": presets(),
        "period": period,
        "scheme": query.get("scheme") or "",
        "compare": query.get("compare") or current_scheme(request),
        "result": None,
        "error": None,
        "invalid": None,
        "uploaded": None,
        **extra,
    }


@router.get("/schemes")
def schemes_page(
    request: Request, user: Allowed, st: views.StoreDep, period: views.PeriodDep
) -> Response:
    context = _context(request, period)
    if not context["scheme"] and views.wants_xlsx(request):
        lang = views.lang_of(request)
        cols = [  # no internal id nor seed reference in a manager's download
            ("name", translate("ranking.scheme", lang)),
            *[(k, translate(f"schemes.{k}", lang)) for k in ("items", "max_total", "grades")],
        ]
        return views.export(st, user, context["presets"], cols, "schemes.xlsx", "presets")
    if not context["scheme"]:
        return render(request, "schemes.html", context)
    try:
        result = preview(
            st,
            preset_scheme(context["scheme"]),
            preset_scheme(context["compare"]),
            period,
            views.overrides(request),
            keeper(request, st, period),
        )
    except KaoheError as exc:
        return render(request, "schemes.html", {**context, "error": str(exc)}, status=400)
    if views.wants_xlsx(request):
        return _download(request, st, user, result, period)
    return render(request, "schemes.html", {**context, "result": result})


@router.post("/schemes", dependencies=[Depends(csrf_protect)])
def upload_scheme(
    request: Request,
    user: Allowed,
    st: views.StoreDep,
    file: Annotated[UploadFile, File()],
    compare: Annotated[str, Form()] = "",
    period: Annotated[str, Form()] = "",
) -> Response:
    from kaohe.schemes import parse_scheme_text

    chosen = period.strip() or period_param(request, st)
    parse_period_text(chosen)
    context = _context(request, chosen, compare=compare or current_scheme(request))
    name = (file.filename or "scheme.yaml").replace("\\", "/").rsplit("/", 1)[-1]
    data = file.file.read(MAX_UPLOAD + 1)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return render(
            request,
            "schemes.html",
            {**context, "error": f"{name}: 不是 UTF-8 文本 / not UTF-8 text"},
            status=400,
        )
    if len(data) > MAX_UPLOAD:
        return render(
            request,
            "schemes.html",
            {**context, "error": f"{name}: 文件过大 / file too large"},
            status=400,
        )
    try:
        new = parse_scheme_text(text, name)
    except ConfigError as exc:
        return render(
            request, "schemes.html", {**context, "invalid": config_error(exc, text)}, status=400
        )
    try:
        result = preview(
            st, new, preset_scheme(context["compare"]), chosen, views.overrides(request)
        )
    except KaoheError as exc:
        return render(request, "schemes.html", {**context, "error": str(exc)}, status=400)
    return render(
        request, "schemes.html", {**context, "result": result, "uploaded": name, "scheme": new.id}
    )


def _download(
    request: Request, st: Store, user: User, result: dict[str, Any], period: str
) -> Response:
    lang = views.lang_of(request)
    t = lambda key: translate(key, lang)  # noqa: E731
    current, new = result["current"], result["new"]
    cols = [
        ("agent", t("common.agent")),
        ("name", t("common.name")),
        ("total_a", f"{current.name} {t('schemes.total')}"),
        ("grade_a", f"{current.name} {t('schemes.grade')}"),
        ("total_b", f"{new.name} {t('schemes.total')}"),
        ("grade_b", f"{new.name} {t('schemes.grade')}"),
        ("difference", t("schemes.difference")),
    ]
    return views.export(
        st,
        user,
        result["rows"],
        cols,
        f"scheme_{new.id}_vs_{current.id}_{period}.xlsx",
        "scheme preview",
    )
