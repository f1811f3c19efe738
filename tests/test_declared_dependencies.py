"""Every distribution the product's code imports is one pyproject.toml declares: an import that
arrives only as another package's dependency breaks the day that package stops needing it.
`requests` and `websockets` (moodcast/connect.py) came that way, through apache-beam and
google-cloud-pubsub."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("ingest", "transforms", "warehouse", "forecasting", "dashboard", "moodcast")


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _imported_top_levels() -> set[str]:
    found = set()
    for package in PRODUCT:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    found |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - set(PRODUCT) - {"__future__"}


def test_every_imported_distribution_is_declared():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared = {_name(r) for r in config["project"]["dependencies"]}
    for extra in config["project"].get("optional-dependencies", {}).values():
        declared |= {_name(r) for r in extra}
    distributions = packages_distributions()
    undeclared = {
        module: sorted(d.lower().replace("_", "-") for d in distributions.get(module, [module]))
        for module in _imported_top_levels()
    }
    missing = {m: ds for m, ds in undeclared.items() if not declared & set(ds)}
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"
