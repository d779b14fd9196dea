"""The demo's manual reviews: a reproducible sample of each agent's sessions (half of it
reserved for sessions the automatic inspection flagged) rated on 考核表2 服务态度 by two
simulated reviewers, one session reviewed by both: the second review is marked 校准
(calibration) and counts toward no score. Written as a
Chinese-headed CSV and imported like a real reviewer's export, so service_score (IQS) and
spot_check_pass_rate have something to show."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

if TYPE_CHECKING:
    from kaohe.store import Store

SCORECARD = "kaohe2_attitude"
REVIEWERS = ("质检-小林", "质检-阿梅")
PER_AGENT = 3
HEADERS = {
    "review_id": "质检ID",
    "session": "会话",
    "shop": "店铺",
    "agent": "客服",
    "date": "日期",
    "reviewer": "质检员",
    "scorecard": "评分表",
    "item": "项目",
    "score": "得分",
    "intent": "复核类型",
}


def _ratings(rng: np.random.Generator, items: list[str], flagged: bool) -> list[int]:
    """1–5 per category: mostly 4–5, a point or two lower where the rules flagged something."""
    base = rng.choice([4, 5, 5], size=len(items)) - (rng.random(len(items)) < 0.5) * flagged
    return [int(v) for v in np.clip(base, 1, 5)]


def review_rows(sample: pl.DataFrame, items: list[str], seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []
    for i, s in enumerate(sample.iter_rows(named=True)):
        reviewers = REVIEWERS if i == 0 else (REVIEWERS[i % 2],)  # the first: calibration
        for j, reviewer in enumerate(reviewers):
            review_id = f"DEMO-{i + 1:04d}-{j + 1}"
            for item, score in zip(items, _ratings(rng, items, bool(s["flagged"])), strict=True):
                rows.append(
                    {
                        "review_id": review_id,
                        "session": s["session"],
                        "shop": s["shop"],
                        "agent": s["agent"],
                        "date": s["day"],
                        "reviewer": reviewer,
                        "scorecard": SCORECARD,
                        "item": item,
                        "score": score,
                        "intent": "校准" if j else None,
                    }
                )
    return rows


def review_demo(store: Store, out_dir: Path, period: Any, seed: int = 0) -> str:
    """Sample, rate, write 人工质检.csv and import it; returns a summary line."""
    from kaohe.qa.findings import flagged_sessions
    from kaohe.qa.review import load_scorecard
    from kaohe.qa.reviews import import_reviews
    from kaohe.qa.sampling import sample_sessions

    sessions = flagged_sessions(store, period)
    sample = sample_sessions(sessions, PER_AGENT, seed=seed, flagged_share=0.5)
    scorecard = load_scorecard(SCORECARD)
    items = [c.id for c in scorecard.categories]
    frame = pl.DataFrame(review_rows(sample, items, seed), infer_schema_length=None)
    path = out_dir / "人工质检.csv"
    frame.rename(HEADERS).write_csv(path)
    result = import_reviews(store, path)
    reviews = frame["review_id"].n_unique() if frame.height else 0
    return (
        f"人工抽检 {reviews} 份（评分表「{scorecard.name}」，含 1 组校准），"
        f"导入 {result.inserted} 行"
        f"{'，拒收 ' + str(result.rejected) + ' 行' if result.rejected else ''}"
    )
