"""Manual review (supervisor, lead, admin): the sampled queue (kaohe.qa.sampling with the
flagged share), the scorecard form of one session (items with their scale, N/A where the
scorecard allows it), the stored review and its score, and calibration (sessions several
reviewers scored, with their spread). A lead reviews only their team's sessions; reviews are
audited.

Sessions are named in URLs by their first message's key, so a lead's links do not carry the
buyer account; the stored `session` is the inspection's readable id (shop/buyer/agent/start)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import polars as pl
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from kaohe.engine.periods import parse_period
from kaohe.errors import UsageError
from kaohe.privacy import mask_buyer, mask_text
from kaohe.qa.findings import session_id
from kaohe.web import audit, views
from kaohe.web.auth import (
    User,
    can_see_agent,
    csrf_protect,
    require_roles,
    sees_buyer_pii,
    visible_agents,
)
from kaohe.web.i18n import translate
from kaohe.web.render import render

if TYPE_CHECKING:
    from kaohe.store import Store

router = APIRouter()

ROLES = ("admin", "supervisor", "lead")
Allowed = Annotated[User, Depends(require_roles(*ROLES))]
NOT_FOUND = "未找到该会话 / session not found"
DEFAULT_PER_AGENT = 2
DEFAULT_SHARE = 0.5
MAX_OPTIONS = 21  # a scale with more steps is a number field, not a list
INSERT = (
    "INSERT INTO qa_reviews (review_id, session, shop, buyer, agent, date, reviewer, "
    "scorecard, item, score, passed, comment, reviewed_at, intent) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)"
)
INTENTS = ("recheck", "calibration")  # a second review of a session says which it is
NEED_INTENT = (
    "该会话已有评分：请选择复核（取代原评分）或校准（不计分） / this session is already "
    "reviewed: choose recheck (replaces that score) or calibration (not counted)"
)


def mask_session(session: str | None, sees_pii: bool) -> str | None:
    """A readable session id (shop/buyer/agent/start) with the buyer masked for a role
    without PII rights."""
    if sees_pii or not session:
        return session
    parts = session.split("/")
    if len(parts) >= 4:
        parts[1] = mask_buyer(parts[1]) or ""
        return "/".join(parts)
    return mask_text(session)


# ---------------------------------------------------------------- the queue


def queue(
    st: Store,
    user: User,
    period: str,
    n: int,
    seed: int,
    share: float,
    params: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The sessions drawn for review among those of the agents the user may see."""
    from kaohe.qa.findings import flagged_sessions
    from kaohe.qa.sampling import sample_sessions

    sessions = flagged_sessions(st, parse_period(period), params)
    allowed = visible_agents(user, st)
    if allowed is not None:
        sessions = sessions.filter(pl.col("agent").is_in(sorted(allowed)))
    if sessions.is_empty():
        return []
    chosen = sample_sessions(sessions, n, seed=seed, flagged_share=share)
    return _with_keys(st, chosen, sessions, sees_buyer_pii(user))


def _with_keys(
    st: Store, chosen: pl.DataFrame, sessions: pl.DataFrame, sees_pii: bool
) -> list[dict[str, Any]]:
    """The drawn sessions with a message key each (for links) and their review counts."""
    keys = {
        r["session"]: (r["key"], r["shop"], r["buyer"], r["agent"], r["session_start"])
        for r in sessions.iter_rows(named=True)
    }
    counts = dict(
        st.con.execute(
            "SELECT session, count(DISTINCT review_id) FROM qa_reviews GROUP BY session"
        ).fetchall()
    )
    out = []
    for row in chosen.iter_rows(named=True):
        key, shop, buyer, agent, s0 = keys[row["session"]]
        out.append(
            {
                "key": key,
                "session": session_id(shop, views.shown_buyer(buyer, sees_pii), agent, s0),
                "agent": agent,
                "shop": shop,
                "day": views.when(row["day"]),
                "flagged": row["flagged"],
                "why": row["why"],
                "reviews": int(counts.get(row["session"], 0)),
            }
        )
    return out


def calibration(st: Store, user: User) -> tuple[list[dict[str, Any]], str | None]:
    """Sessions several reviewers scored (of agents the user may see): reviewers, min, max,
    spread and mean; or the reason stored reviews cannot be scored."""
    from kaohe.qa.review import calibration_spread, review_scores, stored_reviews

    rows = stored_reviews(st.con)
    allowed = visible_agents(user, st)
    if allowed is not None:
        rows = rows.filter(pl.col("agent").is_in(sorted(allowed)))
    try:
        spread = calibration_spread(review_scores(rows))
    except UsageError as exc:
        return [], str(exc)
    pii = sees_buyer_pii(user)
    return [
        {**r, "session": mask_session(r["session"], pii)} for r in spread.iter_rows(named=True)
    ], None


# ---------------------------------------------------------------- one review


def session_or_404(
    st: Store, user: User, key: str, params: dict[str, Any] | None = None
) -> views.Session:
    session = views.session_by_key(st, key, params)
    if session is None or session.agent is None or not can_see_agent(user, session.agent, st):
        raise HTTPException(404, NOT_FOUND)
    return session


def scale_options(category: Any) -> list[float] | None:
    """The values a category's scale offers, or None when it is a free number field."""
    scale = category.scale
    if scale.step is None:
        return None
    count = int(round((scale.max - scale.min) / scale.step)) + 1
    if count > MAX_OPTIONS:
        return None
    return [round(scale.min + i * scale.step, 9) for i in range(count)]


def ratings_from_form(card: Any, form: Any) -> dict[str, float | None]:
    """category id -> selected value (None: N/A) from fields `cat_<id>`; a missing value or
    N/A where the card does not allow it is a UsageError."""
    out: dict[str, float | None] = {}
    for cat in card.categories:
        raw = str(form.get(f"cat_{cat.id}") or "").strip()
        if raw == "na" and cat.allow_na:
            out[cat.id] = None
            continue
        try:
            out[cat.id] = float(raw)
        except ValueError:
            raise UsageError(f"{cat.name}: 请选择分值 / choose a value") from None
    return out


def existing_reviews(st: Store, session: views.Session) -> list[dict[str, Any]]:
    """The reviews already stored for the session, each with its score."""
    from kaohe.qa.review import review_scores

    rows = st.con.execute(
        "SELECT * FROM qa_reviews WHERE session = ? ORDER BY review_id, item", [session.id]
    ).pl()
    if rows.is_empty():
        return []
    try:
        scored = review_scores(rows)
    except UsageError:
        return []
    return [
        {
            "review_id": r["review_id"],
            "reviewer": r["reviewer"],
            "scorecard": r["scorecard"],
            "score": r["score"],
            "passed": r["passed"],
            "status": "calibration"
            if r["calibration"]
            else "superseded"
            if r["superseded_by"]
            else "counted",
        }
        for r in scored.iter_rows(named=True)
    ]


def counted_of(existing: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The stored review of the session whose score counts now (the one a recheck replaces)."""
    return next((r for r in existing if r["status"] == "counted"), None)


def intent_from_form(form: Any, existing: list[dict[str, Any]]) -> str | None:
    """The review's intent: none for a session's first review; 复核 or 校准, chosen, when a
    review of it already counts (never guessed: a score must not move unannounced)."""
    if counted_of(existing) is None:
        return None
    chosen = str(form.get("intent") or "")
    if chosen not in INTENTS:
        raise UsageError(NEED_INTENT)
    return chosen


def store_review(
    st: Store,
    user: User,
    session: views.Session,
    card: Any,
    ratings: dict[str, float | None],
    comment: str,
    intent: str | None = None,
) -> str:
    """qa_reviews rows, one per category (N/A as no score), with the review's intent; then
    the stored review scores are refreshed. Returns the new review id."""
    review_id = f"web-{uuid.uuid4().hex[:12]}"
    now = datetime.now().replace(microsecond=0)
    rows = [
        [
            review_id,
            session.id,
            session.shop,
            session.buyer,
            session.agent,
            session.day,
            user.username,
            card.id,
            cat.id,
            ratings.get(cat.id),
            comment or None,
            now,
            intent,
        ]
        for cat in card.categories
    ]
    from kaohe.qa.reviews import refresh_review_scores

    def job(writer: Store) -> None:
        with writer.transaction() as con:
            con.executemany(INSERT, rows)
        refresh_review_scores(writer, sessions=[session.id])  # only the reviewed session moves

    st.write(job)  # on the one writer (st is a reader)
    return review_id


def _form_context(
    st: Store, user: User, session: views.Session, card_id: str | None
) -> dict[str, Any]:
    from kaohe.qa.review import list_scorecards

    cards = list_scorecards()  # presets only: a scorecard name is never a server path
    card = next((c for c in cards if card_id in (c.id, c.name)), None) if card_id else cards[0]
    if card is None:
        raise UsageError(f"未知的评分表 / unknown scorecard {card_id!r}")
    pii = sees_buyer_pii(user)
    return {
        "c": views.conversation(st, session, pii),
        "card": card,
        "cards": [(c.id, c.name) for c in cards],
        "options": {cat.id: scale_options(cat) for cat in card.categories},
        "existing": existing_reviews(st, session),
        "intents": INTENTS,
        "intent": "",
        "key": session.key,
        "period": session.start.strftime("%Y-%m"),
        "error": None,
        "saved": None,
        "values": {},
        "comment": "",
    }


# ---------------------------------------------------------------- routes


@router.get("/reviews")
def reviews_page(
    request: Request, user: Allowed, st: views.StoreDep, period: views.PeriodDep
) -> Response:
    query = request.query_params
    try:
        n = max(0, min(50, int(query.get("n") or DEFAULT_PER_AGENT)))
        seed = int(query.get("seed") or 0)
        share = min(1.0, max(0.0, float(query.get("share") or DEFAULT_SHARE)))
    except ValueError:
        raise HTTPException(400, "n、seed、share 需为数字 / n, seed, share: numbers") from None
    rows = queue(st, user, period, n, seed, share, views.overrides(request))
    spread, problem = calibration(st, user)
    if views.wants_xlsx(request):
        return _download(request, st, user, rows, spread, query.get("table") or "queue")
    return render(
        request,
        "reviews.html",
        {
            "period": period,
            "rows": rows,
            "n": n,
            "seed": seed,
            "share": share,
            "spread": spread,
            "problem": problem,
        },
    )


@router.get("/reviews/{key}")
def review_form(request: Request, key: str, user: Allowed, st: views.StoreDep) -> Response:
    session = session_or_404(st, user, key, views.overrides(request))
    card_id = request.query_params.get("scorecard")
    try:
        context = _form_context(st, user, session, card_id)
    except UsageError as exc:
        raise HTTPException(400, str(exc)) from None
    return render(request, "review_form.html", context)


@router.post("/reviews/{key}", dependencies=[Depends(csrf_protect)])
async def submit_review(request: Request, key: str, user: Allowed, st: views.StoreDep) -> Response:
    from starlette.concurrency import run_in_threadpool

    form = await request.form()
    # the store work runs in the thread pool: never on the event loop, which serves everyone
    return await run_in_threadpool(_submit_review, request, key, user, st, form)


def _submit_review(request: Request, key: str, user: User, st: Store, form: Any) -> Response:
    from kaohe.qa.review import review_passes, score_review

    session = session_or_404(st, user, key, views.overrides(request))
    try:
        context = _form_context(st, user, session, str(form.get("scorecard") or "") or None)
    except UsageError as exc:
        raise HTTPException(400, str(exc)) from None
    card = context["card"]
    comment = str(form.get("comment") or "").strip()
    context.update(
        values={c.id: str(form.get(f"cat_{c.id}") or "") for c in card.categories},
        comment=comment,
        intent=str(form.get("intent") or ""),
    )
    replaced = counted_of(context["existing"])
    try:
        ratings = ratings_from_form(card, form)
        score = score_review(card, ratings)
        intent = intent_from_form(form, context["existing"])
    except UsageError as exc:
        context["error"] = str(exc)
        return render(request, "review_form.html", context, status=400)
    review_id = store_review(st, user, session, card, ratings, comment, intent)
    shown = session_id(session.shop, mask_buyer(session.buyer), session.agent, session.start)
    how = f" intent={intent} of={replaced['review_id']}" if intent and replaced else ""
    audit.record(st, user, "review", f"{review_id} {card.id} {shown} score={score}{how}")
    context.update(
        existing=existing_reviews(st, session),
        values={},
        comment="",
        intent="",
        saved={
            "review_id": review_id,
            "score": score,
            "passed": None if score is None else review_passes(score, card.pass_line),
            "intent": intent,
            "replaced": replaced if intent == "recheck" else None,
        },
    )
    return render(request, "review_form.html", context)


def _download(
    request: Request,
    st: Store,
    user: User,
    rows: list[dict[str, Any]],
    spread: list[dict[str, Any]],
    table: str,
) -> Response:
    lang = views.lang_of(request)
    t = lambda k: translate(k, lang)  # noqa: E731
    if table == "calibration":
        cols = [
            ("session", t("session.session")),
            ("reviewers", t("reviews.reviewers")),
            ("min", t("reviews.min")),
            ("max", t("reviews.max")),
            ("spread", t("reviews.spread")),
            ("mean", t("reviews.mean")),
        ]
        return views.export(st, user, spread, cols, "calibration.xlsx", "calibration")
    cols = [
        ("session", t("session.session")),
        ("agent", t("common.agent")),
        ("shop", t("common.shop")),
        ("day", t("reviews.day")),
        ("flagged", t("reviews.flagged")),
        ("why", t("reviews.why")),
        ("reviews", t("reviews.reviewed")),
    ]
    return views.export(st, user, rows, cols, "review_queue.xlsx", "review queue")
