"""`kaohe users add|list|passwd` and `kaohe serve` refusing a missing store."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kaohe.cli import cli
from kaohe.store import Store
from kaohe.web import users


@pytest.fixture()
def db(tmp_path: Path) -> str:
    path = tmp_path / "k.duckdb"
    with Store(path) as st:
        st.con.execute("INSERT INTO agents (agent, name, team) VALUES ('s:amy', 'Amy', 'A组')")
    return str(path)


def run(*args: str, input: str | None = None):  # noqa: A002 - click's name
    return CliRunner().invoke(cli, list(args), input=input)


def test_add_list_and_passwd(db):
    assert (
        run(
            "--db",
            db,
            "users",
            "add",
            "amy",
            "--role",
            "agent",
            "--agent",
            "s:amy",
            "--password",
            "password-1",
        ).exit_code
        == 0
    )
    # prompted password, typed twice
    added = run(
        "--db",
        db,
        "users",
        "add",
        "lee",
        "--role",
        "lead",
        "--team",
        "A组",
        input="password-2\npassword-2\n",
    )
    assert added.exit_code == 0, added.output
    listed = run("--db", db, "users", "list")
    assert "amy" in listed.output and "lee" in listed.output and "argon2" not in listed.output
    assert run("--db", db, "users", "passwd", "amy", "--password", "password-3").exit_code == 0
    with Store(db) as st:
        assert users.authenticate(st, "amy", "password-3") is not None
        assert users.authenticate(st, "lee", "password-2").team == "A组"


def test_add_errors(db):
    dup = ("--db", db, "users", "add", "x", "--role", "admin", "--password", "password-1")
    assert run(*dup).exit_code == 0
    assert run(*dup).exit_code == 1  # exists
    short = run("--db", db, "users", "add", "y", "--role", "admin", "--password", "short")
    assert short.exit_code == 1 and "8" in short.output
    no_agent = run("--db", db, "users", "add", "z", "--role", "agent", "--password", "password-1")
    assert no_agent.exit_code == 1
    unknown = run(
        "--db",
        db,
        "users",
        "add",
        "z",
        "--role",
        "agent",
        "--agent",
        "nobody",
        "--password",
        "password-1",
    )
    assert unknown.exit_code == 2
    assert run("--db", db, "users", "passwd", "ghost", "--password", "password-1").exit_code == 2


def test_serve_refuses_a_missing_store(tmp_path):
    result = run("--db", str(tmp_path / "none.duckdb"), "serve")
    assert result.exit_code == 2
    assert "store not found" in result.output


def test_users_on_a_missing_store(tmp_path):
    result = run("--db", str(tmp_path / "none.duckdb"), "users", "list")
    assert result.exit_code == 2
    assert not (tmp_path / "none.duckdb").exists()


def test_disable_enable_signout_and_rotate_secret(db):
    import stat

    from kaohe.web import sessions

    assert (
        run(
            "--db", db, "users", "add", "amy", "--role", "admin", "--password", "password-1"
        ).exit_code
        == 0
    )
    with Store(db) as st:
        sid = sessions.start(st, "amy", hours=1)
    assert run("--db", db, "users", "signout", "amy").exit_code == 0
    with Store(db) as st:
        assert sessions.user_of(st, sid) is None
        sid = sessions.start(st, "amy", hours=1)
    assert run("--db", db, "users", "disable", "amy").exit_code == 0
    with Store(db) as st:
        assert sessions.user_of(st, sid) is None and users.get_user(st, "amy") is None
    assert run("--db", db, "users", "enable", "amy").exit_code == 0
    with Store(db) as st:
        assert users.get_user(st, "amy") is not None
    missing = run("--db", db, "users", "disable", "amx")
    assert missing.exit_code == 2 and "did you mean 'amy'" in missing.output
    assert run("--db", db, "users", "signout").exit_code == 1  # a name or --all
    key = Path(f"{db}.key")
    assert run("--db", db, "users", "rotate-secret").exit_code == 0
    first = key.read_text()
    assert run("--db", db, "users", "rotate-secret").exit_code == 0
    assert key.read_text() != first and stat.S_IMODE(key.stat().st_mode) == 0o600
