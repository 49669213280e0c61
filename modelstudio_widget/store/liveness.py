"""Who owns a run: this process's identity, and whether an owner recorded earlier still
runs (so that runs whose process died can be marked interrupted)."""

from __future__ import annotations

import os
import socket


def _proc_stat(pid: int) -> tuple[str, str] | None:
    """(state, start time in clock ticks since boot) from Linux /proc, else None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    # Field 2, the command name, is parenthesised and may itself contain ') ': split
    # after the last ')'. What follows starts at field 3 (state); start time is field 22.
    fields = data[data.rfind(b")") + 2:].split()
    if len(fields) < 20:
        return None
    return fields[0].decode(), fields[19].decode()


def this_process() -> tuple[int, str, str | None]:
    """(pid, host name, start token) of the calling process. Asked afresh on each call:
    a forked child is a new owner with its own pid and start time."""
    stat = _proc_stat(os.getpid())
    return os.getpid(), socket.gethostname(), stat[1] if stat else None


def process_alive(pid: int, started: str | None) -> bool:
    """Whether the process that owned a run (on this host) still runs. Errs towards
    "alive": a live run wrongly marked interrupted would be worse than a stale one."""
    if pid <= 0:
        return False
    if os.name == "nt":
        return True  # os.kill(pid, 0) would terminate the process on Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, but belongs to another user
    stat = _proc_stat(pid)
    if stat is None:
        return True  # no /proc (macOS): the pid exists, which is all we can tell
    state, start = stat
    if state == "Z":
        return False  # dead, not yet reaped by its parent
    # Same pid, different start time: the pid was reused (containers restart at pid 1).
    return started is None or start == started
