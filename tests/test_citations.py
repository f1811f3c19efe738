"""Citations of our code in prose stay true: a `package.module.name` in docs (every tracked
Markdown file) or in a docstring or comment names a module that defines `name` itself, not one
that imports it from elsewhere or lacks it. A pure move of code (a module split) leaves such
citations behind unless each is updated; nothing else would notice."""

from __future__ import annotations

import ast
import functools
import io
import re
import subprocess
import tokenize
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = (
    "transforms",
    "warehouse",
    "ingest",
    "moodcast",
    "forecasting",
    "dashboard",
    "benchmarks",
)
CITATION = re.compile(rf"(?<![\w./-])((?:{'|'.join(PACKAGES)})(?:\.[A-Za-z_]\w*)+)")


def _tracked(*patterns: str) -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", *patterns], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return [ROOT / name for name in listed.stdout.split()]


def _prose(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) of a Markdown file's lines, or of a Python file's docstrings
    (every bare string statement: module, class, function and attribute docstrings) and
    comments; string literals the code uses (patch targets, scripts) are not prose."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".md":
        yield from enumerate(text.splitlines(), 1)
        return
    for node in ast.walk(ast.parse(text)):
        string = node.value if isinstance(node, ast.Expr) else None
        if isinstance(string, ast.Constant) and isinstance(string.value, str):
            for offset, line in enumerate(string.value.splitlines()):
                yield node.lineno + offset, line
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.COMMENT:
            yield token.start[0], token.string


def _defined(body: list[ast.stmt]) -> set[str]:
    """The names a module or class body binds itself (not by import)."""
    names: set[str] = set()
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(node, ast.If | ast.Try):
            names |= _defined(node.body) | _defined(node.orelse)
    return names


@functools.cache
def _module(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


@functools.cache
def _wrong(citation: str) -> str | None:
    """Why `citation` is stale, or None. The longest prefix that is a module file decides; a
    package's names (its __init__ re-exports them on purpose) and class members past one level
    are not checked."""
    parts = citation.split(".")
    for end in range(len(parts), 0, -1):
        module = ROOT.joinpath(*parts[:end]).with_suffix(".py")
        if ROOT.joinpath(*parts[:end], "__init__.py").is_file():
            return None
        if not module.is_file():
            continue
        rest = parts[end:]
        if not rest:
            return None
        tree = _module(module)
        if rest[0] not in _defined(tree.body):
            return f"{'.'.join(parts[:end])} does not define {rest[0]}"
        if len(rest) > 1:
            cls = next(
                (n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == rest[0]), None
            )
            if cls is not None and rest[1] not in _defined(cls.body):
                return f"{'.'.join(parts[: end + 1])} does not define {rest[1]}"
        return None
    return None


def test_every_cited_name_lives_in_the_module_cited():
    stale = [
        f"{path.relative_to(ROOT)}:{line}: {match.group(1)} ({why})"
        for path in _tracked("*.md", "*.py")
        for line, text in _prose(path)
        for match in CITATION.finditer(text)
        if (why := _wrong(match.group(1)))
    ]
    assert not stale, "\n".join(stale)
