"""The processes cartwheel starts, recognised by more than their pid.

A pid file alone can name a recycled pid or another home's process. What `start` records
(the pid, the process start time from `/proc/<pid>/stat`) and what the command line must
hold (the Java class, this home's path) are checked together before anything is stopped.
Where `/proc` is missing nothing can be checked, and `NoProc` says so.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

PROC = Path("/proc")


class NoProc(RuntimeError):
    """/proc is not available: no process can be identified."""


def start_time(pid: int, proc: Path | None = None) -> int | None:
    """Field 22 of /proc/<pid>/stat (start time after boot, in clock ticks); None if gone."""
    try:
        stat = ((proc or PROC) / str(pid) / "stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[19])


def is_ours(
    pid: int, started: int | None, must_contain: list[str], proc: Path | None = None
) -> bool:
    """True if `pid` is alive, started when recorded, and its command line has every string."""
    proc = proc or PROC
    if not proc.is_dir():
        raise NoProc(f"{proc} is not available on this system")
    try:
        cmdline = (proc / str(pid) / "cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    if not all(text in cmdline for text in must_contain):
        return False
    return started is None or start_time(pid, proc) == started


def alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
        if waited == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = PROC / str(pid) / "stat"
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


def terminate(pid: int, timeout: float = 30.0) -> None:
    """SIGTERM the process group `pid` leads, SIGKILL it after `timeout` seconds."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            return
        time.sleep(0.2)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def launch(command: list[str], log: Path, cwd: Path, env: dict[str, str]) -> subprocess.Popen:
    """Start a daemon in its own session (so `terminate` ends its whole group), its output
    in `log` (created, with its folder)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        return subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=cwd,
            env=env,
            start_new_session=True,
        )
