"""Every scheduled run of infra/ gives moodcast a scratch HOME that is gone after each run
(systemd's RuntimeDirectory, a tmpfs /tmp), so a user cache under it was never found again:
py3langid's decompressed model (transforms.langid_model) was rebuilt and written by every
process of every run (about 1.6 CPU s against the 0.5 s of loading it as py3langid does), and a
finetune head's ONNX export redone. Their XDG_CACHE_HOME is a persistent place beside the numba
cache: the unit's CacheDirectory, the data volume."""

from __future__ import annotations

from pathlib import Path

import yaml

INFRA = Path(__file__).resolve().parents[2] / "infra"


def _unit_environment(unit: Path) -> dict[str, str]:
    """The variables a systemd unit's `Environment=` lines set."""
    pairs = [
        word.split("=", 1)
        for line in unit.read_text().splitlines()
        if line.startswith("Environment=")
        for word in line.removeprefix("Environment=").split()
    ]
    return dict(pairs)


def _unit_setting(unit: Path, key: str) -> str:
    """The value of a systemd unit's one `key=` line."""
    (value,) = [
        line.split("=", 1)[1]
        for line in unit.read_text().splitlines()
        if line.startswith(f"{key}=")
    ]
    return value


def test_the_systemd_runs_keep_the_user_cache_in_their_cache_directory():
    for name in ("moodcast-run.service", "moodcast-follow.service"):
        unit = INFRA / "systemd" / name
        env = _unit_environment(unit)
        kept = f"/var/cache/{_unit_setting(unit, 'CacheDirectory')}"
        assert env.get("XDG_CACHE_HOME", "").startswith(kept), (name, env)
        assert env["NUMBA_CACHE_DIR"].startswith(kept)


def test_the_compose_run_keeps_the_user_cache_on_the_data_volume():
    run = yaml.safe_load((INFRA / "container" / "compose.yaml").read_text())["services"]["run"]
    assert "moodcast-data:/data" in run["volumes"]
    assert run["environment"].get("XDG_CACHE_HOME", "").startswith("/data/"), run["environment"]


def test_the_kubernetes_run_keeps_the_user_cache_on_the_data_volume():
    documents = yaml.safe_load_all((INFRA / "kubernetes" / "cronjob.yaml").read_text())
    (job,) = [d for d in documents if d and d["kind"] == "CronJob"]
    (container,) = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    env = {item["name"]: item.get("value") for item in container["env"]}
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert not mounts["/data"].get("readOnly")
    assert (env.get("XDG_CACHE_HOME") or "").startswith("/data/"), env
