"""Repository hygiene, run as tests so the one test command proves it: lint, format, the import
table of DESIGN.md, installed dependencies, and documentation kept true to the CLI."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("command", [("ruff", "check", "."), ("ruff", "format", "--check", ".")])
def test_ruff(command):
    result = _run(str(BIN / command[0]), *command[1:])
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_table_holds():
    result = _run(str(BIN / "lint-imports"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_ingest_lines_contract_forbids_every_other_ingest_module():
    """Its name says no other ingest module, but it listed three of thirteen: an import of
    ingest.archives into ingest.lines was kept. A new ingest module joins its list."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    (lines,) = [c for c in contracts if c["source_modules"] == ["ingest.lines"]]
    others = {f"ingest.{path.stem}" for path in (ROOT / "ingest").glob("*.py")}
    assert others - {"ingest.__init__", "ingest.lines"} <= set(lines["forbidden_modules"])


def test_installed_dependencies_are_consistent():
    result = _run(sys.executable, "-m", "pip", "check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_readme_opens_with_the_two_setup_commands_and_ci_runs_the_second():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", readme, re.S).group(1).strip().splitlines()
    assert len(block) == 2 and "moodcast demo" in block[0] and "pytest" in block[1]
    assert block[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_every_cli_command_and_option_is_documented_in_the_readme():
    from click import Group

    from moodcast.cli import main

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert isinstance(main, Group)
    for name, command in main.commands.items():
        assert f"moodcast {name}" in readme, f"`moodcast {name}` is not in the README"
        for param in command.params:
            opts = [o for o in getattr(param, "opts", []) if o.startswith("-")]
            if opts:
                assert any(f"{o} " in readme or f"{o}]" in readme for o in opts), (
                    f"`moodcast {name} {opts[-1]}` is not in the README"
                )
