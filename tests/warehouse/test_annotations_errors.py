"""Why an event cannot be saved, in true words for each real file-system condition (each made
here as root or not: no permission bits, which root ignores), and no temporary file left
behind by a failed write."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from tests.mounts import on_tmpfs
from warehouse.annotations import (
    AnnotationError,
    add_annotation,
    annotations_path,
    read_annotations,
    remove_annotation,
)

REPO = Path(__file__).parents[2]
DAY = date(2025, 3, 1)
READ_ONLY = "read-only"


def _refused(data_dir: Path) -> str:
    """The message of adding an event in `data_dir`, which must be refused."""
    with pytest.raises(AnnotationError) as refused:
        add_annotation(data_dir, day=DAY, label="Heatwave")
    message = str(refused.value)
    assert message.startswith("Events cannot be saved: ")
    assert f"They are kept in {annotations_path(data_dir)}" in message
    return message


def test_a_file_above_the_data_directory_is_named_not_called_read_only(tmp_path):
    """Regression: a data directory under a file (ENOTDIR) was told that events need write
    access and that infra/ mounts the data directory read-only."""
    (tmp_path / "moodcast").write_text("not a directory")
    message = _refused(tmp_path / "moodcast" / "data")
    assert f"{tmp_path / 'moodcast'} is not a directory" in message
    assert READ_ONLY not in message


def test_a_file_in_place_of_the_data_directory_is_named(tmp_path):
    (tmp_path / "data").write_text("not a directory")
    message = _refused(tmp_path / "data")
    assert f"{tmp_path / 'data'} is not a directory" in message
    assert READ_ONLY not in message


@pytest.mark.parametrize("name", ["annotations.jsonl", "annotations.lock"])
def test_a_directory_in_place_of_a_file_is_named(name, tmp_path):
    (tmp_path / name).mkdir()
    message = _refused(tmp_path)
    assert f"{tmp_path / name} is a directory, where a file belongs" in message
    assert READ_ONLY not in message


def test_a_lock_that_links_into_a_missing_directory_says_a_directory_is_missing(tmp_path):
    (tmp_path / "annotations.lock").symlink_to(tmp_path / "gone" / "annotations.lock")
    message = _refused(tmp_path)
    assert f"a directory on the way to {tmp_path / 'annotations.lock'} does not exist" in message
    assert READ_ONLY not in message


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_says_so_and_leaves_no_temporary_file(tmp_path):
    """Regression: a write that failed for want of space was told the data directory is
    read-only, and left its temporary file beside the events. The temporary file is made a
    link to /dev/full, where every write fails with ENOSPC, the kernel's own full disk."""
    add_annotation(tmp_path, day=DAY, label="Before")
    tmp = tmp_path / ".annotations.jsonl.tmp"
    tmp.symlink_to("/dev/full")
    message = _refused(tmp_path)
    assert f"the disk holding {tmp_path}" in message and "is full" in message
    assert READ_ONLY not in message
    assert not tmp.is_symlink() and not tmp.exists(), "the temporary file outlived the failure"
    assert read_annotations(tmp_path).get_column("label").to_list() == ["Before"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["annotations.jsonl", "annotations.lock"]


def test_a_directory_in_place_of_the_temporary_file_is_named_and_left_alone(tmp_path):
    """The temporary file is removed only where the write opened it: a directory in its place
    stays, and is named."""
    add_annotation(tmp_path, day=DAY, label="Before")
    (tmp_path / ".annotations.jsonl.tmp").mkdir()
    message = _refused(tmp_path)
    assert f"{tmp_path / '.annotations.jsonl.tmp'} is a directory, where a file belongs" in message
    assert (tmp_path / ".annotations.jsonl.tmp").is_dir()
    assert read_annotations(tmp_path).get_column("label").to_list() == ["Before"]


@pytest.fixture
def immutable():
    """`immutable(path)` makes `path` immutable (`chattr +i`: no user, root included, may
    change or replace it) until the test ends; skips where the machine does not allow it."""
    made = []

    def make(path: Path) -> None:
        chattr = shutil.which("chattr")
        if (
            chattr is None
            or subprocess.run([chattr, "+i", str(path)], capture_output=True).returncode
        ):
            pytest.skip("needs chattr +i (root with CAP_LINUX_IMMUTABLE, a file system with it)")
        made.append(path)

    yield make
    for path in made:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_a_file_no_one_may_change_is_named_not_called_read_only(tmp_path, immutable):
    """Regression: permission refused on the events file alone was told that the data
    directory is mounted read-only. An immutable file is refused to root as to anyone."""
    add_annotation(tmp_path, day=DAY, label="Before")
    immutable(annotations_path(tmp_path))
    message = _refused(tmp_path)
    assert f"permission to change {annotations_path(tmp_path)} is refused" in message
    assert READ_ONLY not in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["annotations.jsonl", "annotations.lock"]


def _refused_by_mode(data_dir: Path, *, closed: Path, mode: int) -> str:
    """The message of adding an event in `data_dir` while the directory `closed` has `mode`,
    by a process that permission bits bind: this one where it is not root; root with the
    capabilities that override them dropped (`setpriv`) where it is, as CI runs it; skip where
    the machine allows neither."""
    closed.chmod(mode)
    code = (
        "import sys\n"
        "from datetime import date\n"
        "from warehouse.annotations import AnnotationError, add_annotation\n"
        "try:\n"
        "    add_annotation(sys.argv[1], day=date(2025, 3, 1), label='Heatwave')\n"
        "except AnnotationError as exc:\n"
        "    print(exc)\n"
    )
    prefix = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("needs setpriv (util-linux) to drop root's permission override")
        prefix = [setpriv, "--bounding-set", "-dac_override,-dac_read_search", "--"]
    try:
        run = subprocess.run(
            [*prefix, sys.executable, "-c", code, str(data_dir)],
            capture_output=True, text=True, timeout=120, cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )  # fmt: skip
    finally:
        closed.chmod(0o755)
    if run.stderr.startswith("setpriv:"):
        pytest.skip(f"cannot drop root's permission override here: {run.stderr.strip()}")
    assert run.returncode == 0, run.stderr
    return " ".join(run.stdout.split())


@pytest.mark.parametrize("first", [True, False], ids=["first event", "later event"])
def test_a_data_directory_without_write_access_is_named_not_a_file_in_it(first, tmp_path):
    """Regression: a data directory the dashboard's user may not write in (no write bit for
    it: the commonest refusal) was told that permission to change `annotations.lock` (or the
    temporary file) is refused and to give write access to that path: a file that is not
    there, and cannot be given anything. The message names the directory that needs it."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    if not first:
        add_annotation(data_dir, day=DAY, label="Before")
    before = sorted(p.name for p in data_dir.iterdir())
    message = _refused_by_mode(data_dir, closed=data_dir, mode=0o555)
    assert message.startswith(f"Events cannot be saved: permission to create files in {data_dir} ")
    assert "give the dashboard's user write access to that directory" in message
    assert f"They are kept in {annotations_path(data_dir)}" in message
    assert READ_ONLY not in message
    assert sorted(p.name for p in data_dir.iterdir()) == before


def test_a_parent_directory_without_search_access_is_told_not_raised(tmp_path):
    """Regression: where a directory above the data directory may not be searched, telling
    whether its file system is read-only raised PermissionError itself, a traceback on the
    page in place of the message."""
    above = tmp_path / "srv"
    (above / "data").mkdir(parents=True)
    message = _refused_by_mode(above / "data", closed=above, mode=0o600)
    assert message.startswith(f"Events cannot be saved: permission to create files in {above} ")
    assert READ_ONLY not in message


def _on_read_only_mount(tmp_path: Path, code: str) -> subprocess.CompletedProcess:
    """Run Python `code` with `tmp_path/ro` mounted read-only (an empty tmpfs): tests.mounts."""
    mount = tmp_path / "ro"
    mount.mkdir()
    return on_tmpfs(mount, code, options="ro,size=64k")


def test_a_read_only_mount_is_still_told_what_infra_mounts_read_only(tmp_path):
    """On a real read-only file system (EROFS), as infra/'s dashboard files mount the data
    directory, the message says so and where to give the dashboard write access."""
    code = (
        "from datetime import date\n"
        "from warehouse.annotations import AnnotationError, add_annotation\n"
        "try:\n"
        f"    add_annotation({str(tmp_path / 'ro' / 'data')!r}, day=date(2025, 3, 1), label='x')\n"
        "except AnnotationError as exc:\n"
        "    print(exc)\n"
    )
    run = _on_read_only_mount(tmp_path, code)
    assert run.returncode == 0, run.stderr
    message = " ".join(run.stdout.split())
    assert message.startswith(f"Events cannot be saved: {tmp_path / 'ro' / 'data'} is on a ")
    assert "read-only file system" in message and 'infra/README.md, "Events"' in message


def test_removing_an_event_is_told_the_same_reason(tmp_path):
    add_annotation(tmp_path, day=DAY, label="Before")
    lock = tmp_path / "annotations.lock"
    lock.unlink()
    lock.mkdir()
    with pytest.raises(AnnotationError, match="is a directory, where a file belongs"):
        remove_annotation(tmp_path, "0123456789ab")
