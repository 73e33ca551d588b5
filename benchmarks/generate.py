"""Write a synthetic CloudTrail of N events three ways, cached under ``benchmarks/_work/``.

1. ``delivery/``: AWS delivery files as S3 holds them, ``AWSLogs/<account>/CloudTrail/
   <region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>_<16 characters>.json.gz``,
   each one line ``{"Records":[...]}`` of about 1,000 events, gzipped.
2. ``jsonl/``: the same events split the same way, one gzipped JSON-lines file per delivery
   file (same relative path, ``.jsonl.gz``): what bare DuckDB ``read_ndjson`` loads fastest.
3. optionally, in a folder of its own (``...-single/``), the same events as one plain
   ``{"Records":[...]}`` file: the shape an export or a concatenation produces, and the one
   that exhausts memory when a reader takes it whole.

A set is keyed by (events, seed) and by :data:`GENERATOR_VERSION`; a ``manifest.json``
written last marks it complete, so a rerun reuses it and an interrupted one starts over.
Files are made by a process pool over the cores; each file depends only on (seed, its
index), so the bytes are the same whatever the number of processes. Gzip headers carry no
time and no name, for the same reason.

Usage: ``python -m benchmarks.generate --events 1000000 [--seed 7] [--single-events N]``.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import logging
import multiprocessing
import os
import random
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from benchmarks.events import delivery_file
from benchmarks.world import build_world

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")

GENERATOR_VERSION = 1
WORK = Path(__file__).resolve().parent / "_work"
EVENTS_PER_FILE = 1000
# The trail spans four weeks of November 2026, whatever its size.
TRAIL_START = 1_793_491_200  # 2026-11-01T00:00:00Z
TRAIL_SECONDS = 28 * 86_400
GZIP_LEVEL = 6


@dataclass(frozen=True)
class TrailSet:
    """A generated trail on disk: where its files are and what they hold."""

    root: Path
    events: int
    seed: int
    files: int
    json_bytes: int
    gzip_bytes: int
    seconds: float
    cached: bool

    @property
    def delivery(self) -> Path:
        """The folder holding ``AWSLogs/...`` delivery files (``.json.gz``)."""
        return self.root / "delivery"

    @property
    def jsonl(self) -> Path:
        """The folder holding the same events as ``.jsonl.gz`` files, split the same way."""
        return self.root / "jsonl"


@dataclass(frozen=True)
class SingleFile:
    """One plain ``{"Records":[...]}`` file of ``events`` events."""

    path: Path
    events: int
    json_bytes: int
    seconds: float
    cached: bool


def file_sizes(events: int, seed: int) -> list[int]:
    """Events per delivery file: about :data:`EVENTS_PER_FILE` each, jittered by up to 15 %
    (real files vary with traffic), summing exactly to ``events``."""
    files = max(1, round(events / EVENTS_PER_FILE))
    rng = random.Random(f"sizes:{seed}:{events}")
    step = events / files
    jitter = int(step * 0.15)
    bounds = [0]
    for k in range(1, files):
        bounds.append(round(k * step) + rng.randint(-jitter, jitter))
    bounds.append(events)
    return [later - earlier for earlier, later in itertools.pairwise(bounds)]


def file_start(index: int, files: int) -> int:
    """Epoch second at which file ``index`` of ``files`` opens: files follow each other in
    time over the trail's four weeks (several accounts and regions, so windows overlap)."""
    return TRAIL_START + (index * TRAIL_SECONDS) // files


def set_root(events: int, seed: int, work: Path = WORK) -> Path:
    """The cache folder of the trail of ``events`` events and ``seed``."""
    return work / f"cloudtrail-v{GENERATOR_VERSION}-{events}-s{seed}"


def generate(
    events: int, seed: int = 7, work: Path = WORK, processes: int | None = None
) -> TrailSet:
    """Write (or reuse) the delivery and JSON-lines files of ``events`` events."""
    if events < 1:
        raise ValueError(f"events must be at least 1, got {events}")
    root = set_root(events, seed, work)
    manifest = root / "manifest.json"
    if manifest.is_file():
        return _trail_set(root, json.loads(manifest.read_text()), cached=True)
    if root.exists():
        log.warning("removing the incomplete set %s (no manifest): generating it again", root)
        shutil.rmtree(root)
    root.mkdir(parents=True)
    sizes = file_sizes(events, seed)
    started = time.perf_counter()
    tasks = [
        (seed, index, count, file_start(index, len(sizes)), str(root))
        for index, count in enumerate(sizes)
    ]
    json_bytes = gzip_bytes = written = 0
    for raw, packed, count in _pool_map(_write_file, tasks, processes):
        json_bytes += raw
        gzip_bytes += packed
        written += count
    if written != events:
        raise RuntimeError(f"generator wrote {written:,} events, expected {events:,}")
    seconds = time.perf_counter() - started
    facts = {
        "generator": GENERATOR_VERSION,
        "events": events,
        "seed": seed,
        "files": len(sizes),
        "json_bytes": json_bytes,
        "gzip_bytes": gzip_bytes,
        "seconds": round(seconds, 1),
    }
    _write_atomic(manifest, json.dumps(facts, indent=2) + "\n")
    log.info(
        "generated %s events in %s files in %.0f s: %s", f"{events:,}", len(sizes), seconds, root
    )
    return _trail_set(root, facts, cached=False)


def generate_single(
    events: int, seed: int = 7, work: Path = WORK, processes: int | None = None
) -> SingleFile:
    """Write (or reuse) one plain ``{"Records":[...]}`` file of ``events`` events.

    It holds the events the delivery set of the same (events, seed) holds, in file order,
    so the two load to the same rows; it is written as it is made, never held whole.
    """
    root = work / f"{set_root(events, seed, work).name}-single"
    path = root / "trail.json"
    manifest = root / "manifest.json"
    if manifest.is_file():
        facts = json.loads(manifest.read_text())
        return SingleFile(path, events, facts["json_bytes"], facts["seconds"], cached=True)
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    sizes = file_sizes(events, seed)
    started = time.perf_counter()
    tasks = [
        (seed, index, count, file_start(index, len(sizes))) for index, count in enumerate(sizes)
    ]
    with path.open("w", encoding="ascii") as out:
        out.write('{"Records":[')
        for n, text in enumerate(_pool_map(_records_text, tasks, processes, ordered=True)):
            if n:
                out.write(",")
            out.write(text)
        out.write("]}\n")
    seconds = time.perf_counter() - started
    json_bytes = path.stat().st_size
    facts = {
        "generator": GENERATOR_VERSION,
        "events": events,
        "seed": seed,
        "json_bytes": json_bytes,
        "seconds": round(seconds, 1),
    }
    _write_atomic(manifest, json.dumps(facts, indent=2) + "\n")
    return SingleFile(path, events, json_bytes, seconds, cached=False)


def _trail_set(root: Path, facts: dict[str, int | float], cached: bool) -> TrailSet:
    return TrailSet(
        root=root,
        events=int(facts["events"]),
        seed=int(facts["seed"]),
        files=int(facts["files"]),
        json_bytes=int(facts["json_bytes"]),
        gzip_bytes=int(facts["gzip_bytes"]),
        seconds=float(facts["seconds"]),
        cached=cached,
    )


def _write_file(task: tuple[int, int, int, int, str]) -> tuple[int, int, int]:
    """Make one delivery file and its JSON-lines twin; return (JSON bytes, gzip bytes, events)."""
    seed, index, count, start, root = task
    made = delivery_file(build_world(seed), seed, index, count, start)
    base = Path(root)
    delivery = ('{"Records":[' + ",".join(made.events) + "]}\n").encode("ascii")
    lines = ("\n".join(made.events) + "\n").encode("ascii")
    packed = 0
    for folder, suffix, data in (
        ("delivery", ".json.gz", delivery),
        ("jsonl", ".jsonl.gz", lines),
    ):
        target = base / folder / (made.relative_path + suffix)
        target.parent.mkdir(parents=True, exist_ok=True)
        compressed = gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)
        target.write_bytes(compressed)
        packed += len(compressed) if folder == "delivery" else 0
    return len(delivery), packed, count


def _records_text(task: tuple[int, int, int, int]) -> str:
    seed, index, count, start = task
    return ",".join(delivery_file(build_world(seed), seed, index, count, start).events)


def _pool_map(
    function: Callable[[T], R], tasks: list[T], processes: int | None, ordered: bool = False
) -> Iterator[R]:
    """``map`` over a process pool as wide as the machine, in order only when asked."""
    workers = min(processes or os.cpu_count() or 1, len(tasks))
    if workers <= 1:
        yield from map(function, tasks)
        return
    with multiprocessing.Pool(workers) as pool:
        mapper = pool.imap if ordered else pool.imap_unordered
        yield from mapper(function, tasks, chunksize=2)


def _write_atomic(path: Path, text: str) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def main(argv: list[str] | None = None) -> int:
    """Generate a set from the command line and say where it is."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.generate", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--events", type=int, required=True, help="events in the trail")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument(
        "--single", action="store_true", help="also write the trail as one plain Records file"
    )
    parser.add_argument("--work", type=Path, default=WORK, help=f"cache folder (default {WORK})")
    parser.add_argument("--processes", type=int, help="worker processes (default: the cores)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    trail = generate(args.events, args.seed, args.work, args.processes)
    state = "reused" if trail.cached else "generated"
    print(
        f"{state} {trail.events:,} events in {trail.files:,} delivery files "
        f"({trail.json_bytes / 1e9:.2f} GB of JSON, {trail.gzip_bytes / 1e9:.2f} GB gzipped) "
        f"in {trail.seconds:.0f} s: {trail.root}"
    )
    if args.single:
        single = generate_single(args.events, args.seed, args.work, args.processes)
        state = "reused" if single.cached else "generated"
        print(
            f"{state} one Records file of {single.json_bytes / 1e9:.2f} GB in "
            f"{single.seconds:.0f} s: {single.path}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
