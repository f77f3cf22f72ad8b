"""House rule 5: user-facing Chinese text lives only in engine/locale/zh_CN/*.toml; every key used exists.

The first check parses every module of the product packages with `ast` and fails on a string constant that
contains CJK characters (ideographs, CJK punctuation or full-width forms) outside docstrings and outside an
explicit allow-list of module-level constants holding stored data or input vocabulary (values that are
written to or read from records, not messages). Comments are not part of the syntax tree.

The second check collects the catalog keys named in code — `t("literal")`, the codes of errors raised
without an explicit message (`errors.<CODE>`), `Rule(...)` codes and `Verdict.fail/warn(rule, "CODE")`
codes — and fails on any key the catalog lacks. Rule codes are also collected at runtime from every
`Rule` object of `workflows/guards/*.py`, which covers rules built in ways the syntax scan cannot see.
"""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine import errors, text
from engine.spec import Rule

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("engine", "workflows", "storage", "notifications")
CJK = re.compile("[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")

# Module-level constants whose Chinese is data, not a message (each carries a comment saying so).
STORED_DATA: dict[str, frozenset[str]] = {
    "engine/admin.py": frozenset({"EDUCATION_LEVELS", "DEFAULT_HIRING_METHOD", "URBAN_WORDS"}),
    "engine/payload.py": frozenset({"BOOL_TRUE_WORDS", "BOOL_FALSE_WORDS"}),
    "engine/spec.py": frozenset({"CITATION_SEPARATOR"}),
    "engine/diagram.py": frozenset({"_UNSAFE"}),
    "storage/records.py": frozenset({"STREET_KINDS"}),
    "workflows/guards/exam_hiring.py": frozenset({"EDUCATION_LEVELS", "HIRING_METHOD"}),
    "workflows/guards/rehiring.py": frozenset({"METHOD_REHIRE"}),
}

# Article references: every constant of workflows/citations.py named like ART6_2 / P5_8_1 (seed 000) or
# S001_ART27_3 / S002_CHZ_EXIT (other seeds) holds the article as the source document writes it (stored in
# audit entries and error details). Named by pattern because each newly cited article adds one.
STORED_DATA_PATTERNS: dict[str, re.Pattern[str]] = {
    "workflows/citations.py": re.compile(r"(ART|P5_)\d+(_\d+)*|S\d{3}_[A-Z0-9_]+"),
}

def modules() -> list[Path]:
    found: list[Path] = []
    for package in PACKAGES:
        found += sorted(p for p in (ROOT / package).rglob("*.py") if "__pycache__" not in p.parts)
    return found


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _docstring_ids(tree: ast.Module) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                ids.add(id(first.value))
    return ids


def _assigned_names(node: ast.stmt) -> set[str]:
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, ast.AnnAssign):
        targets = [node.target]
    return {t.id for t in targets if isinstance(t, ast.Name)}


def _allowed_ids(tree: ast.Module, allowed: frozenset[str], pattern: re.Pattern[str] | None) -> set[int]:
    """Ids of the string constants inside the values of the allow-listed module-level constants."""
    ids: set[int] = set()
    for node in tree.body:
        names = _assigned_names(node)
        if names & allowed or (pattern is not None and any(pattern.fullmatch(n) for n in names)):
            ids |= {id(n) for n in ast.walk(node)}
    return ids


def inline_text(path: Path) -> Iterator[tuple[int, str]]:
    """(line, literal) of every CJK string constant of the module that is not a docstring or stored data."""
    module = rel(path)
    return inline_text_in(parse(path), STORED_DATA.get(module, frozenset()), STORED_DATA_PATTERNS.get(module))


def inline_text_in(tree: ast.Module, allowed: frozenset[str],
                   pattern: re.Pattern[str] | None = None) -> Iterator[tuple[int, str]]:
    skip = _docstring_ids(tree) | _allowed_ids(tree, allowed, pattern)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip \
                and CJK.search(node.value):
            yield node.lineno, node.value


@pytest.mark.parametrize("path", modules(), ids=rel)
def test_no_inline_chinese_outside_the_catalog(path: Path) -> None:
    """A product module holds no Chinese string literal except docstrings and allow-listed stored data."""
    found = [f"{rel(path)}:{line}: {value!r}" for line, value in inline_text(path)]
    assert not found, "move these to engine/locale/zh_CN/*.toml and use engine.text.t():\n" + "\n".join(found)


def test_stored_data_allow_list_names_existing_commented_constants() -> None:
    """Every allow-listed constant exists at module level and a comment next to it says it is data."""
    problems: list[str] = []
    for module, names in STORED_DATA.items():
        path = ROOT / module
        lines = path.read_text(encoding="utf-8").splitlines()
        tree = parse(path)
        seen: set[str] = set()
        for index, node in enumerate(tree.body):
            for name in _assigned_names(node) & names:
                seen.add(name)
                if not _has_data_comment(lines, tree.body, index):
                    problems.append(f"{module}: {name} has no comment saying it is data")
        problems += [f"{module}: no module-level constant {name}" for name in sorted(names - seen)]
    assert not problems, "\n".join(problems)


def _has_data_comment(lines: list[str], body: list[ast.stmt], index: int) -> bool:
    """A comment mentioning data on the constant's own lines, or in the comment lines just above it (or
    above the run of adjacent constants it belongs to)."""
    node = body[index]
    end = node.end_lineno or node.lineno
    if any("data" in line.split("#", 1)[1].lower() for line in lines[node.lineno - 1:end] if "#" in line):
        return True
    row = node.lineno - 2
    while row >= 0:
        stripped = lines[row].strip()
        if stripped.startswith("#"):
            if "data" in stripped.lower():
                return True
            row -= 1
        elif stripped and index > 0 and row + 1 == (body[index - 1].end_lineno or 0):
            index -= 1  # the previous statement is an adjacent constant of the same run: look above it
            row = body[index].lineno - 2
        else:
            break
    return False


# ---------------------------------------------------------------- catalog keys named in code

# Errors whose constructor is ShequFlowError's: (code, message=None) takes its message from errors.<code>.
_CODED_ERRORS = {
    name for name, cls in vars(errors).items()
    if isinstance(cls, type) and issubclass(cls, errors.ShequFlowError)
    and cls.__init__ is errors.ShequFlowError.__init__
}


def _str_arg(call: ast.Call, position: int, keyword: str | None = None) -> str | None:
    if len(call.args) > position:
        arg = call.args[position]
        return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None
    for kw in call.keywords:
        if keyword is not None and kw.arg == keyword and isinstance(kw.value, ast.Constant) \
                and isinstance(kw.value.value, str):
            return kw.value.value
    return None


def _callee(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        owner = func.value.id if isinstance(func.value, ast.Name) else ""
        return f"{owner}.{func.attr}"
    return ""


def keys_named(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """(line, catalog key) for every literal key the module's code names."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        callee = _callee(node)
        if callee in {"t", "text.t"}:
            key = _str_arg(node, 0)
            if key is not None:
                yield node.lineno, key
        elif callee.split(".")[-1] in _CODED_ERRORS:
            has_message = len(node.args) > 1 or any(kw.arg == "message_zh" for kw in node.keywords)
            code = _str_arg(node, 0, "code")
            if code is not None and not has_message:
                yield node.lineno, f"errors.{code}"
        elif callee in {"Rule", "Verdict.fail", "Verdict.warn"}:
            code = _str_arg(node, 1, "code")
            if code is not None:
                yield node.lineno, f"errors.{code}"


def test_every_literal_key_used_in_code_is_in_the_catalog() -> None:
    """Each t("…") key and each errors.<CODE> of a raised error, Rule or Verdict exists in the catalog."""
    missing = [
        f"{rel(path)}:{line}: {key}"
        for path in modules()
        for line, key in keys_named(parse(path))
        if not text.has(key)
    ]
    assert not missing, "\n".join(missing)


def test_key_scan_sees_each_kind_of_use() -> None:
    """The key scan finds t() keys, raised-error codes, Rule codes and Verdict codes (guards the scanner)."""
    sample = ast.parse(
        't("a.b")\n'
        'raise InvalidInput("X_CODE", details={})\n'
        'raise InvalidInput("Y_CODE", "explicit message")\n'
        'R = Rule("R-1", "R_CODE", ())\n'
        'Verdict.fail(R, "V_CODE")\n'
        'Verdict.warn(R, code="W_CODE")\n'
    )
    assert [key for _, key in keys_named(sample)] == [
        "a.b", "errors.X_CODE", "errors.R_CODE", "errors.V_CODE", "errors.W_CODE",
    ]


def guard_rules() -> list[tuple[str, Rule]]:
    found: list[tuple[str, Rule]] = []
    for path in sorted((ROOT / "workflows" / "guards").glob("*.py")):
        if path.name == "__init__.py":
            continue
        module = importlib.import_module(f"workflows.guards.{path.stem}")
        found += [(f"{path.stem}.{name}", v) for name, v in vars(module).items() if isinstance(v, Rule)]
    return found


def test_every_guard_rule_code_has_a_message() -> None:
    """Every Rule declared in workflows/guards/*.py has an errors.<code> message in the catalog."""
    rules = guard_rules()
    assert len(rules) > 20  # the scan found the procedures' rules, not an empty module list
    missing = [f"{where} ({rule.id}): errors.{rule.code}" for where, rule in rules
               if not text.has(f"errors.{rule.code}")]
    assert not missing, "\n".join(missing)


def test_inline_text_scan_flags_messages_but_not_docstrings_or_stored_data() -> None:
    """The scanner reports Chinese message literals and CJK punctuation, and skips docstrings and the
    allow-listed constants."""
    sample = ast.parse(
        '"""模块说明。"""\n'
        'LEVELS = ("大专", "本科")  # stored data\n'
        'OTHER = ("硕士",)\n'
        'ART6_2 = art("第六条2")\n'
        'def f() -> str:\n'
        '    """函数说明。"""\n'
        '    return "、".join(["未通过", "ok", f"{LEVELS}（x）"])\n'
    )
    found = inline_text_in(sample, frozenset({"LEVELS"}), re.compile(r"ART\d+(_\d+)*"))
    assert sorted(value for _, value in found) == ["、", "未通过", "硕士", "（x）"]
