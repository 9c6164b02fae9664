"""Processes and the site as a supervisor test or a fault trial sees them: from /proc and /healthz."""
import os
import urllib.request
from pathlib import Path


def processes():
    """{pid: (parent pid, command line)} of every process."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        found[int(entry)] = (int(stat.rsplit(")", 1)[1].split()[1]), cmd)
    return found


def descendants(root, *, depth=None):
    """[(pid, command line)] of the processes below root (its children only with depth=1)."""
    procs, out, todo = processes(), [], [(root, 0)]
    while todo:
        parent, level = todo.pop()
        if depth is not None and level >= depth:
            continue
        for pid, (ppid, cmd) in procs.items():
            if ppid == parent:
                out.append((pid, cmd))
                todo.append((pid, level + 1))
    return out


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def healthy(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False
