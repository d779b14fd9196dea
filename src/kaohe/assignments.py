"""Which assessment scheme and which pay plan each agent gets (方案分配), by population.

The assignments are a YAML data file read through the one loader (kaohe.datafile), by default
``assignments.yaml`` beside the store (the data directory the server may write), or the file
kaohe.toml names under ``[assignments] file`` (relative to kaohe.toml)::

    assignments:
      - name: 京东店全员
        when: {platform: jd}
        plan: jd_commission
      - when: {platform: [tmall, taobao], role: presales}
        scheme: presales_service
        plan: tmall_commission
      - when: {role: aftersales}
        scheme: aftersales_standard
      - when: {}                      # everyone else (the default)
        scheme: general

Each rule names who it covers (``when``: agent, shop, platform, team, level, role — a value or
a list; the keys together must all hold) and a ``scheme``, a ``plan`` or both. The scheme and
the plan are chosen separately: among the rules that cover the agent and name one, the most
specific wins — a rule naming an agent beats every rule that does not, then shop, platform,
team, level, role, in that order (``{shop, role}`` beats ``{shop}`` beats ``{platform, team,
level, role}``); ``when: {}`` covers everyone and loses to any other. Two rules equally
specific that cover the same agent and disagree are an error naming both.

Readers: ``kaohe score`` / ``kaohe pay`` without ``--scheme`` / ``--plan`` (each agent gets
their population's), the web (payslip print view, admin), the reports, the demo.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, model_validator

from kaohe import schema
from kaohe.datafile import FieldProblem, node_line, parse_model
from kaohe.errors import ConfigError
from kaohe.suggest import unknown

DEFAULT_FILE = "assignments.yaml"
Kind = Literal["scheme", "plan"]
# most specific first: the weight of a rule is the sum of the weights of the keys it names
KEYS: tuple[str, ...] = ("agent", "shop", "platform", "team", "level", "role")
WEIGHTS = {key: 1 << (len(KEYS) - 1 - i) for i, key in enumerate(KEYS)}
KEY_LABELS = {
    "agent": ("客服", "agent"),
    "shop": ("店铺", "shop"),
    "platform": ("平台", "platform"),
    "team": ("组", "team"),
    "level": ("级别", "level"),
    "role": ("岗位", "role"),
}
KIND_LABELS = {"scheme": ("考核方案", "scheme"), "plan": ("薪资方案", "pay plan")}
# the closed lists (codes, with the Chinese labels the roster import accepts)
CLOSED = {"platform": schema.PLATFORMS, "role": schema.ROLES, "level": schema.LEVELS}


def _as_list(value: Any) -> Any:
    """``platform: jd`` is short for ``platform: [jd]``."""
    if value is None:
        return []
    return [value] if isinstance(value, str | int | float) else value


Values = Annotated[list[str], BeforeValidator(_as_list)]


class When(BaseModel):
    """Who a rule covers: every key given must hold (a value, or any of a list)."""

    model_config = ConfigDict(extra="forbid")
    agent: Values = Field(default_factory=list, description="客服账号")
    shop: Values = Field(default_factory=list, description="店铺")
    platform: Values = Field(default_factory=list, description="平台 (tmall, jd, pdd …)")
    team: Values = Field(default_factory=list, description="组")
    level: Values = Field(default_factory=list, description="级别")
    role: Values = Field(default_factory=list, description="岗位")

    @model_validator(mode="after")
    def _closed_lists(self) -> When:
        for key, allowed in CLOSED.items():
            values = getattr(self, key)
            for i, value in enumerate(values):
                if value not in allowed:
                    codes = sorted(set(allowed.values()))
                    raise FieldProblem((key, i), unknown(*KEY_LABELS[key], value, codes))
                values[i] = allowed[value]  # a Chinese label becomes its code
        return self

    def keys(self) -> list[str]:
        return [key for key in KEYS if getattr(self, key)]

    @property
    def weight(self) -> int:
        return sum(WEIGHTS[key] for key in self.keys())

    def covers(self, member: Member) -> bool:
        return all(_holds(key, getattr(self, key), member) for key in self.keys())

    def text(self) -> str:
        """``平台 京东、店铺 云朵京东自营`` (``全部客服`` for everyone)."""
        parts = [
            f"{KEY_LABELS[key][0]} {'、'.join(label(key, v) for v in getattr(self, key))}"
            for key in self.keys()
        ]
        return "，".join(parts) or "全部客服"


class Assignment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field("", description="a label shown in the admin page and in errors")
    when: When = Field(default_factory=When)
    scheme: str | None = Field(None, description="scheme preset id or YAML file")
    plan: str | None = Field(None, description="pay plan preset id or YAML file")

    @model_validator(mode="after")
    def _names_something(self) -> Assignment:
        if not self.scheme and not self.plan:
            raise FieldProblem(
                ("plan",), "每条分配须给出 scheme 或 plan / a rule names a scheme, a plan or both"
            )
        return self

    def ref(self, kind: Kind) -> str | None:
        return self.scheme if kind == "scheme" else self.plan

    def title(self, index: int) -> str:
        """How errors and pages name the rule: its name, else its number and population."""
        return self.name or f"第 {index + 1} 条（{self.when.text()}）"


class Assignments(BaseModel):
    model_config = ConfigDict(extra="forbid")
    assignments: list[Assignment] = Field(default_factory=list)
    _base: Path | None = PrivateAttr(None)  # the file's folder: scheme/plan files are relative

    @model_validator(mode="after")
    def _no_twins(self) -> Assignments:
        seen: dict[str, int] = {}
        for i, rule in enumerate(self.assignments):
            key = rule.when.model_dump_json()
            if key in seen:
                raise FieldProblem(
                    ("assignments", i, "when"),
                    f"与第 {seen[key] + 1} 条覆盖同一人群，请合并 / covers the same population as "
                    f"rule {seen[key] + 1}: merge them",
                )
            seen[key] = i
        return self

    def resolve(self, ref: str) -> str:
        """A scheme/plan reference as load_scheme/load_plan take it: a preset id as is, a
        file relative to the assignments file."""
        path = Path(ref)
        if self._base is not None and path.suffix.lower() in (".yaml", ".yml"):
            if not path.is_absolute():
                return str(self._base / path)
        return ref

    def refs(self, kind: Kind) -> list[str]:
        """The distinct schemes (or plans) named, in file order."""
        return list(dict.fromkeys(r for a in self.assignments if (r := a.ref(kind))))


@dataclass(frozen=True)
class Member:
    """An agent as the rules see them: the roster's fields and the platforms of their shops."""

    agent: str
    name: str | None = None
    shops: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    team: str | None = None
    level: str | None = None
    role: str | None = None

    def values(self, key: str) -> tuple[str, ...]:
        if key == "shop":
            return self.shops
        if key == "platform":
            return self.platforms
        value = getattr(self, key)
        return (value,) if value else ()


@dataclass(frozen=True)
class Choice:
    """The scheme or plan chosen for an agent, and the rule that chose it."""

    ref: str
    index: int
    rule: Assignment

    @property
    def why(self) -> str:
        return self.rule.title(self.index)


# ---------------------------------------------------------------- choosing


def _holds(key: str, wanted: list[str], member: Member) -> bool:
    return bool(set(wanted) & set(member.values(key)))


def label(key: str, value: str) -> str:
    """A platform, role or level code in Chinese (the roster's first Chinese label for it);
    other values as they are."""
    return schema.code_label(CLOSED[key], value) if key in CLOSED else value


def choose(assignments: Assignments, member: Member, kind: Kind) -> Choice | None:
    """The scheme (or plan) of one agent: the most specific rule covering them that names
    one; None when no rule does. Equally specific rules that disagree are a ConfigError."""
    best: list[Choice] = []
    for i, rule in enumerate(assignments.assignments):
        ref = rule.ref(kind)
        if not ref or not rule.when.covers(member):
            continue
        if not best or rule.when.weight > best[0].rule.when.weight:
            best = [Choice(ref, i, rule)]
        elif rule.when.weight == best[0].rule.when.weight:
            best.append(Choice(ref, i, rule))
    if len({c.ref for c in best}) > 1:
        a, b = best[0], next(c for c in best if c.ref != best[0].ref)
        zh, en = KIND_LABELS[kind]
        raise ConfigError(
            f"客服 {member.agent} 的{zh}有两条同样具体的分配：{a.why} → {a.ref}，{b.why} → "
            f"{b.ref}；请加一条更具体的分配（例如按客服）/ agent {member.agent} gets two {en}s "
            f"from equally specific rules ({a.why} → {a.ref}, {b.why} → {b.ref}): add a more "
            "specific rule (e.g. for the agent)",
            field="assignments",
        )
    return best[0] if best else None


@dataclass
class Populations:
    """Agents grouped by the scheme (or plan) the assignments give them."""

    kind: Kind
    groups: dict[str, list[str]]  # reference -> agents, in roster order
    why: dict[str, Choice]  # agent -> the choice
    unassigned: list[str]  # agents no rule gives one
    unused: list[str]  # rules (titles) that name one but cover nobody

    def of(self, agent: str) -> str | None:
        choice = self.why.get(agent)
        return choice.ref if choice else None


def populations(assignments: Assignments, members: Iterable[Member], kind: Kind) -> Populations:
    """Every member's scheme (or plan), grouped; rules covering nobody are listed."""
    out = Populations(kind, {}, {}, [], [])
    used: set[int] = set()
    for member in members:
        choice = choose(assignments, member, kind)
        if choice is None:
            out.unassigned.append(member.agent)
            continue
        out.groups.setdefault(choice.ref, []).append(member.agent)
        out.why[member.agent] = choice
        used.add(choice.index)
    out.unused = [
        rule.title(i)
        for i, rule in enumerate(assignments.assignments)
        if rule.ref(kind) and i not in used
    ]
    return out


# what happens to an agent no rule gives a scheme (or plan) to
LEFT_OUT = {"scheme": ("未评分", "not scored"), "plan": ("未核算", "not paid")}


def unassigned_note(found: Populations) -> str | None:
    """One bilingual line listing the agents no rule covers (listed, never dropped in
    silence): the CLI's pay and score and the web's payslip page say the same."""
    if not found.unassigned:
        return None
    zh, en = KIND_LABELS[found.kind]
    left_zh, left_en = LEFT_OUT[found.kind]
    return (
        f"以下客服没有分配{zh}，{left_zh}：{'、'.join(found.unassigned)} / no {en} assigned, "
        f"{left_en}: {', '.join(found.unassigned)}"
    )


def unused_note(found: Populations) -> str | None:
    """One bilingual line listing the rules that cover nobody (nothing ignored in silence)."""
    if not found.unused:
        return None
    zh, en = KIND_LABELS[found.kind]
    names = "；".join(found.unused)
    return f"以下{zh}分配没有覆盖任何客服：{names} / these {en} assignments cover no agent: {names}"


# ---------------------------------------------------------------- members from a store

MEMBERS_SQL = """
WITH sp AS ({shop_platform}),
roster AS (
    SELECT agent, name, shops, team, level, role FROM agents
    WHERE coalesce(CAST(active AS VARCHAR), 'true') NOT IN ('false', '0')),
seen AS (
    SELECT agent, string_agg(DISTINCT shop, ',' ORDER BY shop) AS shops FROM messages
    WHERE agent IS NOT NULL AND agent NOT IN (SELECT agent FROM agents) GROUP BY agent)
SELECT agent, name, shops, team, level, role FROM roster
UNION ALL
SELECT agent, NULL, shops, NULL, NULL, NULL FROM seen
ORDER BY agent
"""


def members(store: Any) -> list[Member]:
    """The agents rules apply to: the active roster, and agents seen in chats who are not on
    it (their shops from the chats); platforms from the shops' chats and orders."""
    from kaohe.compliance.values import SHOP_PLATFORM_SQL

    platform = dict(store.con.execute(SHOP_PLATFORM_SQL).fetchall())
    rows = store.con.execute(MEMBERS_SQL.format(shop_platform=SHOP_PLATFORM_SQL)).fetchall()
    out = []
    for agent, name, shops, team, level, role in rows:
        listed = tuple(schema.split_shops(shops))
        platforms = tuple(dict.fromkeys(p for s in listed if (p := platform.get(s))))
        out.append(Member(str(agent), name, listed, platforms, team, level, role))
    return out


# open lists: the names a rule may use are those the store knows
OPEN = ("agent", "shop", "team")


def check_names(assignments: Assignments, people: Iterable[Member], shops: Iterable[str]) -> None:
    """Every agent, shop and team a rule names is one the store knows (the members, and the
    shops of the chats and orders): an unknown name is a ConfigError naming the rule's field,
    with the closest known name. For edits (the admin page); a file read by `kaohe score` may
    name a shop before its first import."""
    people = list(people)
    known = {
        "agent": {m.agent for m in people},
        "shop": {s for m in people for s in m.shops} | set(shops),
        "team": {m.team for m in people if m.team},
    }
    for i, rule in enumerate(assignments.assignments):
        for key in OPEN:
            for j, value in enumerate(getattr(rule.when, key)):
                if value not in known[key]:
                    raise ConfigError(
                        f"{rule.title(i)}: {unknown(*KEY_LABELS[key], value, known[key])}",
                        field=f"assignments.{i}.when.{key}.{j}",
                    )


def store_shops(store: Any) -> list[str]:
    """Every shop of the store's chats and orders (the shops a rule may name)."""
    from kaohe.compliance.values import SHOP_PLATFORM_SQL

    return [str(shop) for shop, _ in store.con.execute(SHOP_PLATFORM_SQL).fetchall() if shop]


# ---------------------------------------------------------------- the file


def assignments_path(config: Any) -> Path:
    """Where the assignments live: kaohe.toml ``[assignments] file`` (relative to
    kaohe.toml), else assignments.yaml beside the store."""
    named = config.section("assignments").get("file")
    if named:
        path = Path(str(named))
        base = Path(config.path).parent if config.path else Path.cwd()
        return path if path.is_absolute() else base / path
    return Path(config.db).parent / DEFAULT_FILE


def parse_assignments(text: str, file: str) -> Assignments:
    """Validate an assignments YAML; errors name file, line and field. Every scheme and plan
    named must load (a preset id, or a file relative to this one)."""
    what = "方案分配文件须为映射（assignments: [...]）/ an assignments file is a mapping"
    found, node = parse_model(Assignments, text, file, what)
    found._base = Path(file).parent
    _check_refs(found, file, node)
    return found


def load_assignments(path: str | Path) -> Assignments:
    """The assignments in `path`; none (an empty list) when the file does not exist."""
    path = Path(path)
    if not path.is_file():
        empty = Assignments()
        empty._base = path.parent
        return empty
    return parse_assignments(path.read_text("utf-8"), str(path))


def dump_assignments(assignments: Assignments) -> str:
    """The YAML text of `assignments` (empty keys left out), as save_assignments writes it."""
    rules = []
    for rule in assignments.assignments:
        out: dict[str, Any] = {}
        if rule.name:
            out["name"] = rule.name
        out["when"] = {k: _scalar(getattr(rule.when, k)) for k in rule.when.keys()}
        out.update({k: v for k in ("scheme", "plan") if (v := getattr(rule, k))})
        rules.append(out)
    head = "# 方案分配 / which scheme and pay plan each population gets (kaohe.assignments)\n"
    body = yaml.safe_dump({"assignments": rules}, allow_unicode=True, sort_keys=False)
    return head + body


def _scalar(values: list[str]) -> str | list[str]:
    return values[0] if len(values) == 1 else values


def save_assignments(path: str | Path, assignments: Assignments | Mapping[str, Any]) -> Path:
    """Validate and write the assignments atomically (a temporary file renamed over the old
    one, so a reader never sees half a file). `assignments` may be the plain mapping a form
    builds; it is validated exactly as a file would be."""
    path = Path(path)
    if not isinstance(assignments, Assignments):
        text = yaml.safe_dump(dict(assignments), allow_unicode=True, sort_keys=False)
        assignments = parse_assignments(text, str(path))
    text = dump_assignments(assignments)
    parse_assignments(text, str(path))  # what we write must read back
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".assignments-", suffix=".yaml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _check_refs(found: Assignments, file: str, node: yaml.Node) -> None:
    from kaohe.errors import KaoheError
    from kaohe.pay import load_plan
    from kaohe.schemes import load_scheme

    loaders: dict[Kind, Any] = {"scheme": load_scheme, "plan": load_plan}
    for i, rule in enumerate(found.assignments):
        for kind, load in loaders.items():
            ref = rule.ref(kind)
            if not ref:
                continue
            try:
                load(found.resolve(ref))
            except KaoheError as exc:
                loc = ("assignments", i, kind)
                raise ConfigError(
                    str(exc), file=file, line=node_line(node, loc), field=".".join(map(str, loc))
                ) from None


def needs(assignments: Assignments, kind: Kind, given: str | None) -> None:
    """Refuse a run that has neither a --scheme/--plan nor an assignment naming one."""
    if given or assignments.refs(kind):
        return
    zh, en = KIND_LABELS[kind]
    flag = "--scheme" if kind == "scheme" else "--plan"
    raise ConfigError(
        f"未指定{zh}：请用 {flag}，或在方案分配文件中为人群分配{zh} / no {en} given: use "
        f"{flag}, or assign {en}s to populations in the assignments file (docs/assignments.md)",
        field=flag,
    )
