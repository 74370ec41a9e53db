"""Files written by name (kb export -o, kb import --out): a regular file is replaced whole, a
FIFO, device or /dev/stdout is written through and never replaced, and a full disk or a
read-only folder is a message naming the path, never a traceback or half a file."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import threading
from pathlib import Path

import pytest

from kb.cli import cli

from helpers import PYTHON, SEEDS
from subprocesses import kb_env, run_kb, run_kb_on_a_full_disk

SEED = SEEDS / "001_7221afbe6145a639.txt"
IS_ROOT = os.geteuid() == 0
KB = [PYTHON, "-m", "kb"]


def export_to(runner, db_path: Path, output: Path, *args: str):
    return runner.invoke(cli, ["export", "--db", str(db_path), "--format", "jsonl", "-o",
                               str(output), *args])


def article_ids(text: str) -> list[str]:
    return [json.loads(line)["id"] for line in text.splitlines()]


# --- kb export -o: what the path names decides how it is written -------------------------


def test_a_link_to_a_file_is_kept_and_the_file_it_names_replaced(runner, built_db, tmp_path):
    real = tmp_path / "exports" / "2025.jsonl"
    real.parent.mkdir()
    real.write_text("old\n", "utf-8")
    os.chmod(real, 0o640)
    link = tmp_path / "latest.jsonl"
    link.symlink_to(real)
    result = export_to(runner, built_db, link)
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and link.resolve() == real
    assert len(article_ids(real.read_text("utf-8"))) == 6
    assert stat.S_IMODE(os.stat(real).st_mode) == 0o640
    assert sorted(p.name for p in real.parent.iterdir()) == ["2025.jsonl"]  # no temporary


def test_a_fifo_is_written_through_to_its_reader(runner, built_db, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = export_to(runner, built_db, fifo)
    reader.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)  # still a FIFO
    assert len(article_ids(received[0].decode("utf-8"))) == 6


@pytest.mark.skipif(not IS_ROOT, reason="making a device node needs root")
def test_a_device_is_written_through_and_stays_a_device(runner, built_db, tmp_path):
    null = tmp_path / "null"
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # what /dev/null is
    result = export_to(runner, built_db, null)
    assert result.exit_code == 0, result.output
    assert stat.S_ISCHR(os.stat(null).st_mode) and os.stat(null).st_rdev == os.makedev(1, 3)
    assert list(tmp_path.iterdir()) == [null]


@pytest.mark.skipif(not IS_ROOT, reason="making a device node needs root")
def test_a_full_device_is_a_message_and_stays_a_device(runner, built_db, tmp_path):
    full = tmp_path / "full"
    os.mknod(full, 0o666 | stat.S_IFCHR, os.makedev(1, 7))  # what /dev/full is: always full
    result = export_to(runner, built_db, full)
    assert result.exit_code == 1 and f"{full}: cannot be written: No space left" in result.output
    assert stat.S_ISCHR(os.stat(full).st_mode)


@pytest.mark.parametrize("stdout", ["pipe", "file"])
def test_a_link_to_standard_output_writes_there(built_db, tmp_path, stdout):
    """``-o /dev/stdout``, made here as a link of our own to /proc/self/fd/1 (what the
    system's /dev/stdout is), so the test never touches the system's."""
    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")
    if stdout == "pipe":
        result = run_kb("export", "--db", str(built_db), "--format", "jsonl", "-o", str(link))
        written = result.stdout.decode("utf-8")
    else:
        with open(tmp_path / "out.jsonl", "wb") as out:
            result = subprocess.run([*KB, "export", "--db", str(built_db), "--format",
                                     "jsonl", "-o", str(link)], stdout=out,
                                    stderr=subprocess.PIPE, timeout=60, env=kb_env())
        written = (tmp_path / "out.jsonl").read_text("utf-8")
    assert result.returncode == 0, result.stderr
    assert len(article_ids(written)) == 6
    assert link.is_symlink() and os.readlink(link) == "/proc/self/fd/1"


def test_a_folder_is_refused(runner, built_db, tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    for target in (tmp_path / "real", tmp_path / "link"):
        result = export_to(runner, built_db, target)
        assert result.exit_code != 0 and "Traceback" not in result.output
        assert "directory" in result.output or "folder" in result.output
    assert list((tmp_path / "real").iterdir()) == []


# --- a full disk (RLIMIT_FSIZE in a real process) --------------------------------------------


def test_export_to_a_full_disk_keeps_the_old_file(built_db, tmp_path):
    out = tmp_path / "kb.jsonl"
    out.write_text("the previous export\n", "utf-8")
    result = run_kb_on_a_full_disk(10_000, "export", "--db", str(built_db), "-o", str(out))
    assert result.returncode == 1
    assert f"{out}: cannot be written: File too large" in result.stderr.decode()
    assert b"Traceback" not in result.stderr
    assert out.read_text("utf-8") == "the previous export\n"
    assert list(tmp_path.iterdir()) == [out]


def test_export_to_standard_output_on_a_full_disk_is_a_message(built_db, tmp_path):
    with open(tmp_path / "out.json", "wb") as out:
        result = run_kb_on_a_full_disk(10_000, "export", "--db", str(built_db), stdout=out)
    assert result.returncode == 1
    assert b"standard output: cannot be written: File too large" in result.stderr
    assert b"Traceback" not in result.stderr


def test_import_to_a_full_disk_leaves_no_half_article(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / f"{SEED.stem}.md").write_text("an editor's work\n", "utf-8")
    result = run_kb_on_a_full_disk(1_000, "import", str(SEED), "--out", str(out), "--force")
    assert result.returncode == 1
    assert f"{out / SEED.stem}.md: cannot be written: File too large" in result.stderr.decode()
    assert b"Traceback" not in result.stderr
    assert (out / f"{SEED.stem}.md").read_text("utf-8") == "an editor's work\n"
    assert [p.name for p in out.iterdir()] == [f"{SEED.stem}.md"]


def test_import_from_an_export_to_a_full_disk_leaves_no_half_article(runner, built_db, tmp_path):
    export = tmp_path / "kb.jsonl"
    assert export_to(runner, built_db, export).exit_code == 0
    out = tmp_path / "out"
    result = run_kb_on_a_full_disk(1_000, "import", "--from-export", str(export), "--out", str(out))
    assert result.returncode == 1 and b"cannot be written: File too large" in result.stderr
    assert b"Traceback" not in result.stderr
    assert list(out.iterdir()) == []


# --- a read-only folder --------------------------------------------------------------------


def run_with_a_read_only_folder(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """``kb ARGS`` while ``folder`` cannot be written: a read-only file system mounted on it in
    a mount namespace of its own (root, which file modes do not stop), else mode 0555."""
    folder.mkdir(exist_ok=True)
    command = [*KB, *args]
    if not IS_ROOT:
        folder.chmod(0o555)
        try:
            return subprocess.run(command, capture_output=True, timeout=60, env=kb_env())
        finally:
            folder.chmod(0o755)
    unshare = shutil.which("unshare")
    probe = unshare and subprocess.run([unshare, "-m", "true"], capture_output=True)
    if not probe or probe.returncode != 0:
        pytest.skip("root without mount namespaces: no folder it cannot write")
    script = 'mount -t tmpfs -o ro tmpfs "$0" && exec "$@"'
    return subprocess.run([unshare, "-m", "sh", "-c", script, str(folder), *command],
                          capture_output=True, timeout=60, env=kb_env())


def test_export_into_a_read_only_folder_is_a_message(built_db, tmp_path):
    folder = tmp_path / "ro"
    result = run_with_a_read_only_folder(folder, "export", "--db", str(built_db), "-o",
                                         str(folder / "kb.json"))
    assert result.returncode == 1, result.stderr
    assert f"{folder / 'kb.json'}: cannot be written" in result.stderr.decode()
    assert b"Traceback" not in result.stderr


@pytest.mark.parametrize("out", ["ro", "ro/sub"])
def test_import_into_a_read_only_folder_is_a_message(tmp_path, out):
    folder = tmp_path / "ro"
    result = run_with_a_read_only_folder(folder, "import", str(SEED), "--out", str(tmp_path / out))
    assert result.returncode == 1, result.stderr
    assert f"{tmp_path / out}" in result.stderr.decode() and b"cannot be" in result.stderr
    assert b"Traceback" not in result.stderr
