"""Manual review: the sampled queue (flagged share), the scorecard form, storing a review (one
qa_reviews row per category) with its score, calibration spread; supervisor, lead (their
team) and admin only; CSRF-protected and audited."""

from __future__ import annotations

import re

import pytest

from kaohe.engine.periods import parse_period
from kaohe.errors import UsageError
from kaohe.qa.findings import flagged_sessions
from kaohe.qa.review import parse_scorecard_text
from kaohe.qa.sampling import sample_sessions
from kaohe.web.pages.reviews import mask_session, ratings_from_form, scale_options

PERIOD = "2026-10"
CARD = "kaohe1_skills"  # 9 categories rated 1–5, equal weights, N/A allowed
# the demo reviews its seed-0 sample itself: another seed leaves sessions nobody reviewed
QUEUE = f"/reviews?period={PERIOD}&seed=11"


def queue_keys(html: str) -> list[str]:
    return re.findall(r'href="/reviews/([0-9a-f]+)"', html)


def fresh_keys(html: str) -> list[str]:
    """Queue sessions nobody reviewed yet (the demo imports a few reviews of its own)."""
    return re.findall(
        r'<td class="num">0</td>\s*<td><a class="review-link" '
        r'href="/reviews/([0-9a-f]+)"',
        html,
    )


def categories(html: str) -> list[str]:
    return re.findall(r'<tr data-category="([^"]+)">', html)


def submit(user, csrf, key: str, values: dict[str, str], card: str = CARD, intent: str = ""):
    data = {"csrf_token": csrf(user), "scorecard": card, "comment": "web test"}
    data.update({f"cat_{k}": v for k, v in values.items()})
    if intent:
        data["intent"] = intent
    return user.post(f"/reviews/{key}", data=data)


def test_queue_is_the_library_sample(app, client):
    html = client("supervisor").get(f"/reviews?period={PERIOD}&n=2&share=0.5&seed=3").text
    sessions = flagged_sessions(app.state.store, parse_period(PERIOD))
    expected = sample_sessions(sessions, 2, seed=3, flagged_share=0.5)
    assert len(queue_keys(html)) == len(expected)
    # round(2 × 0.5) = 1 flagged session per agent first, where the agent has one
    assert html.count("<td>命中优先</td>") == expected.filter(expected["why"] == "flagged").height


def test_lead_queue_holds_the_team_only(app, client, accounts):
    team = accounts["lead"]["team"]
    html = client("lead").get(f"/reviews?period={PERIOD}").text
    members = {
        r[0]
        for r in app.state.store.con.execute(
            "SELECT agent FROM agents WHERE team = ?", [team]
        ).fetchall()
    }
    agents = set(re.findall(r"</small></td><td>([^<]+)</td>", html))
    assert agents and agents <= members


def test_submit_a_review_scores_and_stores_it(app, client, csrf, accounts):
    admin = client("admin")
    key = fresh_keys(admin.get(QUEUE).text)[0]
    form = admin.get(f"/reviews/{key}")
    cats = categories(form.text)
    assert len(cats) == 9
    # 4 on a 1–5 scale is (4 − 1) / (5 − 1) = 0.75 in every rated category; the first is N/A
    values = dict.fromkeys(cats, "4")
    values[cats[0]] = "na"
    response = submit(admin, csrf, key, values)
    assert response.status_code == 200
    assert 'data-score="0.75"' in response.text and "75%" in response.text
    review_id = re.search(r'data-review="([^"]+)"', response.text)[1]
    st = app.state.store
    rows = st.con.execute(
        "SELECT item, score, reviewer, scorecard FROM qa_reviews WHERE review_id = ? ORDER BY item",
        [review_id],
    ).fetchall()
    assert len(rows) == 9
    assert {(r[2], r[3]) for r in rows} == {(accounts["admin"]["username"], CARD)}
    assert sorted(r[1] for r in rows if r[1] is not None) == [4.0] * 8
    assert (
        st.con.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'review' AND detail LIKE ?",
            [f"{review_id}%"],
        ).fetchone()[0]
        == 1
    )


def test_a_value_off_the_scale_is_refused_and_nothing_stored(app, client, csrf):
    admin = client("admin")
    key = fresh_keys(admin.get(QUEUE).text)[1]
    cats = categories(admin.get(f"/reviews/{key}").text)
    before = app.state.store.count("qa_reviews")
    values = dict.fromkeys(cats, "3")
    values[cats[1]] = "7"
    response = submit(admin, csrf, key, values)
    assert response.status_code == 400 and 'id="review-error"' in response.text
    assert app.state.store.count("qa_reviews") == before


def test_calibration_shows_the_spread(app, client, csrf):
    from kaohe.web.workers import settle

    settle(app.state.store)  # the tests' own reads on the main connection end their snapshot
    supervisor, admin = client("supervisor"), client("admin")
    key = fresh_keys(admin.get(QUEUE).text)[2]
    cats = categories(admin.get(f"/reviews/{key}").text)
    submit(admin, csrf, key, dict.fromkeys(cats, "5"))  # (5 − 1) / 4 = 100 %
    calibration = dict.fromkeys(cats, "3")  # (3 − 1) / 4 = 50 %
    assert submit(supervisor, csrf, key, calibration, intent="calibration").status_code == 200
    html = admin.get(f"/reviews?period={PERIOD}").text.split('id="calibration"', 1)[1]
    # reviewers 2, min 50 %, max 100 %, spread 50 %, mean 75 %
    assert re.search(
        r'<td class="num">2</td>\s*<td class="num">50%</td><td class="num">'
        r'100%</td>\s*<td class="num">50%</td><td class="num">75%</td>',
        html,
    )


def test_a_second_review_says_recheck_or_calibration(app, client, csrf):
    supervisor, admin = client("supervisor"), client("admin")
    st = app.state.store
    key = fresh_keys(admin.get(QUEUE).text)[4]
    cats = categories(admin.get(f"/reviews/{key}").text)
    first = submit(admin, csrf, key, dict.fromkeys(cats, "5"))  # 100 %
    first_id = re.search(r'data-review="([^"]+)"', first.text)[1]
    form = supervisor.get(f"/reviews/{key}").text
    assert 'id="intent"' in form and first_id in form.split('id="intent"')[1]
    # without an intent the second review is refused: nothing stored, nothing moves
    before = st.count("qa_reviews")
    refused = submit(supervisor, csrf, key, dict.fromkeys(cats, "3"))
    assert refused.status_code == 400 and "复核" in refused.text and "校准" in refused.text
    assert st.count("qa_reviews") == before
    # 复核 replaces the first score: the reviewer is told which, the store and audit say so
    recheck = submit(supervisor, csrf, key, dict.fromkeys(cats, "3"), intent="recheck")
    assert recheck.status_code == 200 and 'data-intent="recheck"' in recheck.text
    assert first_id in recheck.text.split('id="saved-intent"')[1].split("</p>")[0]
    second_id = re.search(r'data-review="([^"]+)"', recheck.text)[1]
    assert st.con.execute(
        "SELECT superseded_by FROM qa_review_scores WHERE review_id = ?", [first_id]
    ).fetchone() == (second_id,)
    assert st.con.execute(
        "SELECT count(*) FROM audit_log WHERE detail LIKE ?",
        [f"{second_id}% intent=recheck of={first_id}"],
    ).fetchone() == (1,)
    # 校准 is stored and shown as calibration; the recheck still counts
    calibration = submit(admin, csrf, key, dict.fromkeys(cats, "4"), intent="calibration")
    assert 'data-intent="calibration"' in calibration.text
    statuses = re.findall(r'<tr data-status="([a-z]+)"><td>([^<]+)</td>', calibration.text)
    by_id = {review: status for status, review in statuses}
    assert by_id[first_id] == "superseded" and by_id[second_id] == "counted"
    assert sorted(by_id.values()) == ["calibration", "counted", "superseded"]


def test_the_library_refresh_is_called_when_present(app, client, csrf, monkeypatch):
    import kaohe.qa.reviews as reviews_module

    calls: list[object] = []
    sessions: list[object] = []

    def record(st: object, sessions_: object = None) -> None:
        calls.append(st)
        sessions.append(sessions_)

    monkeypatch.setattr(
        reviews_module,
        "refresh_review_scores",
        lambda st, sessions=None: record(st, sessions),
        raising=False,
    )
    admin = client("admin")
    key = fresh_keys(admin.get(QUEUE).text)[3]
    cats = categories(admin.get(f"/reviews/{key}").text)
    submit(admin, csrf, key, dict.fromkeys(cats, "2"))
    # called once, with a connection to the app's store (one of its read pool), and only for
    # the reviewed session (no other session's scores are recomputed)
    assert [c.path for c in calls] == [app.state.store.path]
    assert len(sessions) == 1 and len(sessions[0]) == 1


def test_roles_teams_and_csrf(app, client, csrf, accounts):
    agent = client("agent")
    assert agent.get("/reviews").status_code == 403
    admin = client("admin")
    st = app.state.store
    outsider_key = st.con.execute(
        "SELECT msg_key FROM messages WHERE agent IN (SELECT agent FROM agents WHERE team <> ?) "
        "AND sender = 'buyer' ORDER BY time LIMIT 1",
        [accounts["lead"]["team"]],
    ).fetchone()[0]
    lead = client("lead")
    assert lead.get(f"/reviews/{outsider_key}").status_code == 404
    assert submit(lead, csrf, outsider_key, {}).status_code == 404
    assert agent.get(f"/reviews/{outsider_key}").status_code == 403
    key = queue_keys(admin.get(f"/reviews?period={PERIOD}").text)[0]
    assert admin.post(f"/reviews/{key}", data={"scorecard": CARD}).status_code == 403
    assert admin.get(f"/reviews/{key}?scorecard=/etc/hosts").status_code == 400


def test_lead_sees_masked_buyers(client):
    html = client("lead").get(f"/reviews?period={PERIOD}").text
    sessions = re.findall(r"<td><small>([^<]+)</small></td>", html)
    assert sessions and all(s.split("/")[1].count("*") >= 1 for s in sessions)


# ---------------------------------------------------------------- form helpers

STRICT_CARD = """\
id: strict
name: 严格
categories:
  - {id: politeness, name: 礼貌, scale: 1-5, allow_na: false}
  - {id: accuracy, name: 准确, scale: 0-100}
"""


def test_form_values_and_scales():
    card = parse_scorecard_text(STRICT_CARD, "strict.yaml")
    assert scale_options(card.categories[0]) == [1, 2, 3, 4, 5]
    assert scale_options(card.categories[1]) is None  # 0–100 in any step: a number field
    assert ratings_from_form(card, {"cat_politeness": "4", "cat_accuracy": "na"}) == {
        "politeness": 4.0,
        "accuracy": None,
    }
    with pytest.raises(UsageError):
        ratings_from_form(card, {"cat_politeness": "na", "cat_accuracy": "80"})
    with pytest.raises(UsageError):
        ratings_from_form(card, {"cat_accuracy": "80"})


def test_mask_session():
    assert (
        mask_session("店/buyer_1/店:小王/2026-10-05 10:00:00", False)
        == "店/b***1/店:小王/2026-10-05 10:00:00"
    )
    assert (
        mask_session("店/buyer_1/店:小王/2026-10-05 10:00:00", True)
        == "店/buyer_1/店:小王/2026-10-05 10:00:00"
    )
