"""One writer (issue 18): while `kaohe serve` holds the store, `kaohe import`, `kaohe users
add`, `kaohe qa run` and `kaohe kpi` go through its API, `kaohe score`, `pay` and `quarantine`
read a snapshot the server makes (the same figures as the store gives after it stops); a
command that can do neither says so in one line (exit 4); stopping the server releases the
store and its server file."""

from __future__ import annotations

import json
from pathlib import Path

from kaohe.store import Store
from tests.service.conftest import Served, kaohe

ORDERS = (
    "order_id,shop,buyer,created_at,paid_at,amount,status\n"
    "o1,s1,b1,2026-10-05 10:00:00,2026-10-05 10:05:00,10,paid\n"
)
KPI = ("kpi", "--period", "2026-10", "--metrics", "rounds", "--format", "json")
SCORE = ("score", "--period", "2026-10", "--scheme", "presales_standard", "--format", "json")
PAY = ("pay", "--period", "2026-10", "--plan", "tmall_commission", "--format", "json")


def test_cli_commands_go_through_the_running_server(served: Served, tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text(ORDERS, encoding="utf-8")

    imported = kaohe(served.db, "import", str(orders), "--format", "json")
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["files"][0]["inserted"] == 1
    assert "through the server" in imported.stderr

    added = kaohe(
        served.db, "users", "add", "lin", "--role", "supervisor", "--password", "pw-12345678"
    )
    assert added.returncode == 0, added.stderr
    assert "lin (supervisor)" in added.stdout and "through the server" in added.stdout

    kpi = kaohe(served.db, "kpi", "--period", "2026-10", "--metrics", "rounds", "--format", "json")
    assert kpi.returncode == 0, kpi.stderr
    rounds = {r["agent"]: r["rounds"] for r in json.loads(kpi.stdout)["rows"]}
    month = ("--from", "2026-10-01", "--to", "2026-10-31")  # not through the API: a snapshot
    ranged = kaohe(served.db, "kpi", *month, "--metrics", "rounds", "--format", "json")
    assert ranged.returncode == 0, ranged.stderr
    assert "snapshot made by the server" in ranged.stderr
    assert {r["agent"]: r["rounds"] for r in json.loads(ranged.stdout)["rows"]} == rounds

    inspected = kaohe(served.db, "qa", "run", "--period", "2026-10")
    assert inspected.returncode == 0, inspected.stderr
    assert "through the server" in inspected.stderr
    findings = int(inspected.stdout.split(": ", 1)[1].split()[0].replace(",", ""))
    assert findings > 0  # the tiny store's chats miss greetings and farewells

    served_reads = {}
    for args in (SCORE, PAY, ("quarantine", "--format", "json")):
        read = kaohe(served.db, *args)
        assert read.returncode == 0, read.stderr
        assert "snapshot made by the server" in read.stderr and "Traceback" not in read.stderr
        served_reads[args[0]] = json.loads(read.stdout)
    assert served_reads["pay"]["rows"]  # every agent's payslip

    # a command with no way through the server: one line, exit 4, no traceback
    refused = kaohe(served.db, "alerts", "evaluate", "--no-send")
    assert refused.returncode == 4, refused.stderr
    assert "kaohe serve" in refused.stderr and "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1

    assert served.stop() == 0
    assert not Path(f"{served.db}.server.json").exists()
    local = kaohe(
        served.db, "kpi", "--period", "2026-10", "--metrics", "rounds", "--format", "json"
    )
    assert local.returncode == 0, local.stderr
    kaohe_after_stop_rounds = {r["agent"]: r["rounds"] for r in json.loads(local.stdout)["rows"]}
    assert rounds == kaohe_after_stop_rounds  # the same figures through the API as locally
    for args in (SCORE, PAY):  # and from the snapshot as from the store itself
        after = kaohe(served.db, *args)
        assert after.returncode == 0, after.stderr
        assert json.loads(after.stdout) == served_reads[args[0]]
    with Store(served.db) as st:
        assert st.con.execute("SELECT count(*) FROM orders").fetchone()[0] == 1
        assert st.con.execute("SELECT role FROM web_users WHERE username = 'lin'").fetchone() == (
            "supervisor",
        )
        audit = [r[0] for r in st.con.execute("SELECT action FROM audit_log").fetchall()]
        assert "user.add" in audit and "import" in audit and "qa.run" in audit
        assert audit.count("backup") == 4  # the four snapshots
        stored = st.con.execute("SELECT count(*) FROM qa_findings").fetchone()[0]
        assert stored == findings


def test_tokens_act_as_their_user_and_stop_when_revoked(served: Served) -> None:
    import httpx

    kaohe(
        served.db,
        "users",
        "add",
        "ann",
        "--role",
        "agent",
        "--agent",
        "a1",
        "--password",
        "pw-12345678",
    )
    made = kaohe(served.db, "users", "token", "ann")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    headers = {"Authorization": f"Bearer {token}"}
    me = httpx.get(f"{served.url}/api/v1/me", headers=headers, timeout=30)
    assert me.json() == {"username": "ann", "role": "agent", "agent": "a1", "team": None}
    signed_out = kaohe(served.db, "users", "signout", "ann")
    assert signed_out.returncode == 0, signed_out.stderr
    assert "signed out: ann" in signed_out.stdout and "through the server" in signed_out.stdout
    listed = kaohe(served.db, "users", "tokens", "ann")
    token_id = listed.stdout.split()[0].lstrip("#")
    assert kaohe(served.db, "users", "revoke", token_id).returncode == 0
    gone = httpx.get(f"{served.url}/api/v1/me", headers=headers, timeout=30)
    assert gone.status_code == 401
    served.stop()
