"""Every masking variant, in the pages and downloads that show chat text: the conversation page,
its Excel download and the review page. Masked for the lead and the agent, shown to the admin.
A store of one hand-built conversation (one buyer message per variant)."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kaohe.privacy import mask_text
from kaohe.store import Store
from kaohe.web.app import close_app, create_app
from kaohe.web.users import add_user

from .conftest import log_in

PASSWORD = "correct-horse-1"
AGENT = "店A:小王"
VARIANTS = [
    "１３８１２３４５６７８",
    "138.1234.5678",
    "1 3 8 1 2 3 4 5 6 7 8",
    "＋86 139 8765 4321",
    "(010) 12345678",
    "0571-8888888",
    "张江路123弄",
    "幸福小区5幢1201室",
    "身份证110101199003074514",
    "卡号6222021234567890128",
    "邮箱zhangsan@qq.com",
]
START = datetime(2026, 10, 8, 10, 0, 0)


@pytest.fixture(scope="module")
def masking_app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    db = tmp_path_factory.mktemp("masking") / "k.duckdb"
    with Store(db) as st:
        st.con.execute("INSERT INTO agents (agent, team) VALUES (?, 'T1')", [AGENT])
        for i, text in enumerate([*VARIANTS, "好的，已记录"]):
            sender = "agent" if i == len(VARIANTS) else "buyer"
            st.con.execute(
                "INSERT INTO messages (shop, platform, buyer, agent, sender, time, text, msg_key, "
                "seq) VALUES ('店A', 'taobao', 'buyer_amy', ?, ?, ?, ?, ?, ?)",
                [AGENT, sender, START + timedelta(minutes=i), text, f"k{i:02d}", i],
            )
        add_user(st, "boss", "admin", PASSWORD)
        add_user(st, "lead", "lead", PASSWORD, team="T1")
        add_user(st, "amy", "agent", PASSWORD, agent=AGENT)
    app = create_app(db, secret_key="k" * 40)
    yield app
    close_app(app)


def _client(app: Any, username: str) -> TestClient:
    client = TestClient(app)
    assert log_in(client, username, PASSWORD).status_code == 303
    return client


def _xlsx_texts(content: bytes) -> list[str]:
    import polars as pl

    frame = pl.read_excel(io.BytesIO(content))
    column = next(c for c in frame.columns if c in ("text", "内容", "消息", "消息内容", "Text"))
    return [str(v) for v in frame[column].to_list() if v is not None]


def _check(texts: str, masked: bool) -> None:
    for variant in VARIANTS:
        if masked:
            assert variant not in texts, variant
            assert mask_text(variant) in texts, mask_text(variant)
        else:
            assert variant in texts, variant


@pytest.mark.parametrize(("username", "masked"), [("lead", True), ("amy", True), ("boss", False)])
def test_the_conversation_page_and_its_download(masking_app: Any, username: str, masked: bool):
    client = _client(masking_app, username)
    page = client.get("/conversation?msg=k00")
    assert page.status_code == 200
    import html

    _check(html.unescape(page.text), masked)
    download = client.get("/conversation?msg=k00&format=xlsx")
    assert download.status_code == 200
    _check("\n".join(_xlsx_texts(download.content)), masked)


@pytest.mark.parametrize(("username", "masked"), [("lead", True), ("boss", False)])
def test_the_review_page(masking_app: Any, username: str, masked: bool):
    import html

    page = _client(masking_app, username).get("/reviews/k00")
    assert page.status_code == 200
    _check(html.unescape(page.text), masked)


def test_pages_with_buyer_data_are_not_cached_by_browsers(masking_app: Any):
    page = _client(masking_app, "lead").get("/conversation?msg=k00")
    assert page.headers["cache-control"] == "no-store"
