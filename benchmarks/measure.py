"""Run one command and measure its wall time and peak memory, as a fresh waiting parent.

``python -m benchmarks.measure --out RESULT.json --log STEP.log -- COMMAND...``

Why a process of its own: ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` is the high-water mark
of the largest process among all the children a process has waited for, ever. The harness
runs many steps; a fresh parent per step makes the number that step's own.

Two readings are taken, and the larger is the step's peak:

- ``ru_maxrss`` after the wait: the kernel's exact high-water mark of resident memory of
  the largest single process of the step (the command or any descendant that was waited
  for). It misses nothing in time, but does not add up processes that run side by side.
- a poll of ``/proc`` every :data:`POLL_SECONDS`: the resident memory of the command and
  all its descendants, summed. It sees a pool of workers or notebook kernels as a whole,
  but can miss a peak shorter than the interval.

The command's output goes to the log file; the result is a JSON object with ``seconds``
(from just before the start of the command to its exit, so the command's own start-up
counts), ``returncode``, ``maxrss_bytes``, ``tree_peak_bytes`` and ``peak_bytes``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

POLL_SECONDS = 0.2
_PAGE = os.sysconf("SC_PAGE_SIZE")


def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants now (0 for a process gone)."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/statm", encoding="ascii") as statm:
                total += int(statm.read().split()[1]) * _PAGE
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as kids:
                    pending.extend(int(child) for child in kids.read().split())
        except (FileNotFoundError, ProcessLookupError):
            # The process ended between listing and reading: it holds no memory any more.
            continue
    return total


def measure(command: list[str], log: Path) -> dict[str, float | int]:
    """Run ``command`` with its output in ``log``; return its time and memory."""
    peak = 0
    done = threading.Event()

    def poll(pid: int) -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(pid))
            done.wait(POLL_SECONDS)

    with log.open("w") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        watcher = threading.Thread(target=poll, args=(process.pid,), daemon=True)
        watcher.start()
        returncode = process.wait()
        seconds = time.perf_counter() - started
        done.set()
        watcher.join()
    # Linux reports ru_maxrss in KiB.
    maxrss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return {
        "seconds": seconds,
        "returncode": returncode,
        "maxrss_bytes": maxrss,
        "tree_peak_bytes": peak,
        "peak_bytes": max(maxrss, peak),
    }


def main(argv: list[str] | None = None) -> int:
    """Measure the command after ``--`` and write the result; exit with its return code."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.measure")
    parser.add_argument("--out", type=Path, required=True, help="JSON file for the result")
    parser.add_argument("--log", type=Path, required=True, help="file for the command output")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command to measure: give it after --")
    result = measure(command, args.log)
    args.out.write_text(json.dumps(result) + "\n")
    return int(result["returncode"])


if __name__ == "__main__":
    sys.exit(main())
