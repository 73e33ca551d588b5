"""The results of a benchmark run: its rows, the Markdown table and the results file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.machine import describe_machine

GB = 1024**3


@dataclass
class Row:
    """One line of the results table. ``met`` is None for a row with no target."""

    step: str
    events: int
    seconds: float
    peak_bytes: int
    ratio: float | None = None
    target: str = ""
    met: bool | None = None

    @property
    def rate(self) -> float:
        """Events per second."""
        return self.events / self.seconds if self.seconds else 0.0


def table(rows: list[Row]) -> str:
    """The results as a Markdown table."""
    lines = [
        "| step | events | seconds | events/s | peak memory | ratio to the limit | target "
        "| met? |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for row in rows:
        ratio = "" if row.ratio is None else f"{row.ratio:.2f}"
        met = {None: "", True: "yes", False: "**no**"}[row.met]
        lines.append(
            f"| {row.step} | {row.events:,} | {row.seconds:.1f} | {row.rate:,.0f} | "
            f"{bytes_text(row.peak_bytes)} | {ratio} | {row.target} | {met} |"
        )
    return "\n".join(lines)


def bytes_text(value: float) -> str:
    """Bytes as a person reads them (binary units: 1 GB here is 1024**3 bytes)."""
    return f"{value / GB:.2f} GB" if value >= GB / 4 else f"{value / 1024**2:.0f} MB"


METHOD = """\
One run of each step, no repetition and no averaging: a single run carries the noise of
whatever else the machine did at the time, so read the ratios, not the third digit. Each
step runs as a fresh process under `benchmarks/measure.py`, a parent started for that step
alone which starts the command, waits for it and reports its wall time (from just before the
start to the exit, so the command's own start-up and imports count, for the baselines and
for `nhi-risk` alike) and its peak memory: the larger of
`getrusage(RUSAGE_CHILDREN).ru_maxrss` of that fresh parent (the kernel's exact high-water
mark of the largest single process of the step) and a poll of `/proc` every 0.2 s summing
the resident memory of the whole process tree (which sees concurrent processes such as
notebook kernels). Every step writes a new DuckDB file on the disk above. The page cache is
warm: before the steps of each size every input file is read once, so no step pays for disk
reads that another does not (the cache is not dropped: that would slow everything else on
the machine). The limit is bare DuckDB `read_ndjson` with explicit
columns over gzipped JSON-lines files that hold the same events in the same split as the
delivery files; "ratio to the limit" is a step's events per second divided by the limit's at
the same size. The ingest runs with every rule of the warehouse in force (provenance per
file, deduplication, quarantine of rejected records, batches that load whole or not at all)
and is checked afterwards: records read = loaded + rejected + duplicate in `ingest_files`,
and `events` holds exactly the trail's events. The events are synthetic
(`benchmarks/generate.py`, seed {seed}), shaped like CloudTrail's: IAM users, assumed roles
and AWS services over a few accounts and about a hundred API actions, 3 % failed calls."""


def render(rows: list[Row], notes: list[str], command: str, seed: int, work: Path) -> str:
    """The results file: when, where (the machine, and the disk of ``work``), how, the data,
    the table and the method."""
    machine = "\n".join(f"- {label}: {value}" for label, value in describe_machine(work))
    data = "\n".join(f"- {note}" for note in notes)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "# Scale benchmark results\n\n"
        f"Run on {when} with `{command}` (what `make bench` runs; "
        "see [README.md](README.md) for the steps).\n\n"
        f"## Machine\n\n{machine}\n\n## Data\n\n{data}\n\n"
        f"## Results\n\n{table(rows)}\n\n"
        f"## Method\n\n{METHOD.format(seed=seed)}\n"
    )
