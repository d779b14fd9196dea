"""Terminal tables of `kpi`, `score`, `pay` and `check` at 80 and 200 columns: nothing is cut
(no …), every line fits, every agent keeps a distinct readable label (`京东:小月` when the
shop names do not fit, the full id when they do), every header shows at least its first
four characters; piped, the same commands print plain TSV."""

from __future__ import annotations

import json
import re
from datetime import datetime

import pytest
from click.testing import CliRunner
from rich.cells import cell_len

from kaohe.cli import cli
from kaohe.compliance.report import HEADERS as CHECK_HEADERS
from kaohe.compliance.report import TERMINAL_COLUMNS
from kaohe.engine.registry import get
from kaohe.pay import load_plan
from kaohe.schemes import load_scheme
from kaohe.store import Store
from kaohe.terminal import short_names
from kaohe.units import header
from tests.compliance.helpers import chat
from tests.engine.conftest import fill, fill_table

SHOPS = {"云朵京东自营": "jd", "云朵天猫旗舰店": "tmall", "云朵拼多多店": "pdd"}
NAMES = ("小月", "小美")
AGENTS = [f"{shop}:{name}" for shop in SHOPS for name in NAMES]
METRICS = (
    "consult_buyers,reply_rate,avg_response_s,avg_session_minutes,items_per_buyer,"
    "online_hours,sales_amount,refund_duration_h"
)
ANSI = re.compile(r"\x1b\[[0-9;]*m")
BOX = re.compile(r"[┃│┏┓┗┛━─]")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Two agents in each of three shops, three buyers a day on two days (one answered
    after 6 minutes), and a roster of presales agents with names."""
    path = str(tmp_path_factory.mktemp("tables") / "k.duckdb")
    rows = []
    for n, agent in enumerate(AGENTS):
        shop = agent.split(":")[0]
        for day in (5, 6):
            for i in range(3):
                asked = datetime(2026, 10, day, 9 + i, n)
                wait = 360 if i == 2 else 20 + n
                rows += chat(
                    f"{agent}-b{day}{i}", asked, wait, shop=shop, platform=SHOPS[shop], agent=agent
                )
    roster = [
        {"agent": a, "name": f"员工{i}", "shops": a.split(":")[0], "role": "presales"}
        for i, a in enumerate(AGENTS)
    ]
    with Store(path) as store:
        fill(store, rows)
        fill_table(store, "agents", roster)
    return path


COMMANDS = {
    "kpi": (
        ["kpi", "--period", "2026-10", "--metrics", METRICS, "--no-facts"],
        [header(get(m).zh, get(m).unit) for m in METRICS.split(",")],
    ),
    "score": (
        ["score", "--scheme", "presales_standard", "--period", "2026-10"],
        [i.label for i in load_scheme("presales_standard").items] + ["总分", "等级"],
    ),
    "pay": (
        ["pay", "--plan", "jd_commission", "--period", "2026-10"],
        [line.name for line in load_plan("jd_commission").all_lines()] + ["应发合计"],
    ),
    "check": (
        ["check", "--period", "2026-10", "--preset", "pdd_daily_reply", "--preset", "jd_first_30s"],
        [CHECK_HEADERS["zh"][c] for c in TERMINAL_COLUMNS],
    ),
}


def run(db: str, args: list[str], env: dict[str, str] | None = None) -> str:
    result = CliRunner().invoke(cli, ["--db", db, *args], env=env)
    assert result.exit_code == 0, result.output
    return ANSI.sub("", result.stdout)


@pytest.mark.parametrize("width", [80, 200])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_tables_fit_and_stay_readable(db: str, command: str, width: int) -> None:
    args, headers = COMMANDS[command]
    out = run(db, args, {"TTY_COMPATIBLE": "1", "COLUMNS": str(width), "NO_COLOR": "1"})
    assert BOX.search(out), "a terminal gets a table"
    assert "…" not in out, "nothing is cut"
    assert max(cell_len(line) for line in out.splitlines()) <= width
    short, _ = short_names(AGENTS)
    agents = AGENTS if command != "check" else [a for a in AGENTS if a.startswith("云朵京东")]
    for agent in agents:
        assert agent in out or short[agent] in out, agent
    if width == 200:
        assert all(agent in out for agent in agents), "room enough: the full ids"
    for head in headers:
        start = head.split()[0][:4]
        assert start in out, f"header {head!r} cut below {start!r}"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_piped_output_is_plain_tsv(db: str, command: str) -> None:
    args, _ = COMMANDS[command]
    out = run(db, args)
    assert not BOX.search(out) and "…" not in out
    lines = out.splitlines()
    head, body = lines[0], lines[1 : lines.index("")] if "" in lines else lines[1:]
    assert head.count("\t") >= 3 and all(line.count("\t") == head.count("\t") for line in body)
    assert any(AGENTS[0] in line for line in body) or command == "check"


def test_one_shop_drops_its_name_and_says_so(db: str) -> None:
    jd = [a for a in AGENTS if a.startswith("云朵京东自营")]
    args = ["kpi", "--period", "2026-10", "--metrics", "consult_buyers", "--no-facts"]
    for agent in jd:
        args += ["--agent", agent]
    out = run(db, args, {"TTY_COMPATIBLE": "1", "COLUMNS": "80"})
    assert "· 云朵京东自营" in out.splitlines()[0]  # the title names the shop …
    assert "│ 小月" in out and "│ 小美" in out  # … and the labels drop it
    assert "云朵京东自营:" not in out


def test_totals_show_at_most_two_decimals(db: str) -> None:
    out = run(db, COMMANDS["score"][0], {"TTY_COMPATIBLE": "1", "COLUMNS": "200"})
    assert not re.search(r"\d\.\d{3,}", out)


def test_an_agent_without_a_grade_says_why(db: str) -> None:
    # every agent received fewer buyers than presales_standard's min_sample (30): 数据不足
    args = ["score", "--scheme", "presales_standard", "--period", "2026-10"]
    table = run(db, [*args, "--format", "csv"])
    assert table.count(",数据不足,") == len(AGENTS)
    rows = json.loads(run(db, [*args, "--format", "json"]))["rows"]
    assert {(r["grade"], r["status"]) for r in rows} == {(None, "insufficient_data")}
