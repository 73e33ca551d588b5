"""The machine a benchmark ran on, as a reader of the results needs it to compare numbers."""

from __future__ import annotations

import os
import platform
import shutil
from importlib import metadata
from pathlib import Path


def describe_machine(work: Path) -> list[tuple[str, str]]:
    """(label, value) pairs: CPU, cores, memory, OS, versions and the disk under ``work``."""
    return [
        ("CPU", _cpu_model()),
        ("cores", f"{os.cpu_count()} (usable by this process: {len(os.sched_getaffinity(0))})"),
        ("memory", _memory()),
        ("OS", f"{_os_name()}, Linux kernel {platform.release()}"),
        ("Python", platform.python_version()),
        ("packages", _versions("duckdb", "pandas", "nhi-risk")),
        ("disk", _disk(work)),
    ]


def _cpu_model() -> str:
    for line in _lines("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory() -> str:
    for line in _lines("/proc/meminfo"):
        if line.startswith("MemTotal:"):
            return f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    return "unknown"


def _os_name() -> str:
    for line in _lines("/etc/os-release"):
        if line.startswith("PRETTY_NAME="):
            return line.split("=", 1)[1].strip().strip('"')
    return platform.system()


def _versions(*names: str) -> str:
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def _disk(work: Path) -> str:
    """The file system the data and databases live on, its device and free space."""
    work.mkdir(parents=True, exist_ok=True)
    target = work.resolve()
    best = ("?", "?", "")
    for line in _lines("/proc/mounts"):
        device, mount, fstype = line.split()[:3]
        if (target == Path(mount) or Path(mount) in target.parents) and len(mount) >= len(best[2]):
            best = (device, fstype, mount)
    usage = shutil.disk_usage(target)
    device, fstype, _ = best
    rotational = _rotational(device)
    return (
        f"{device} ({fstype}{rotational}), {usage.free / 1e9:.0f} GB free of "
        f"{usage.total / 1e9:.0f} GB, at {target}"
    )


def _rotational(device: str) -> str:
    """What the kernel says of the device (a virtual disk's flag says little of its media)."""
    flag = Path("/sys/block") / Path(device).name / "queue" / "rotational"
    try:
        return ", rotational" if flag.read_text().strip() == "1" else ", non-rotational"
    except OSError:
        return ""


def _lines(path: str) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []
