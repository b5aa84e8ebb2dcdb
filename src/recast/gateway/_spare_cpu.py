"""Whether the machine, or the container's CPU quota, has CPU to spare right now.

The capture sender feeds its idle-class writer only while there is CPU to spare: on a
saturated machine even a ``SCHED_IDLE`` process takes a few percent, all of it from
serving. ``/proc/stat`` describes the whole host. In a container with a CPU limit
(``docker run --cpus``, a Kubernetes CPU limit) the host can be idle while the
container is throttled, so where the process's cgroup has a quota the spare CPU is also
read against it: cgroup v2 ``cpu.max`` and ``cpu.stat``, or cgroup v1
``cpu.cfs_quota_us`` and ``cpuacct.usage``; the smaller of the two answers counts.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CpuQuota:
    """A cgroup's CPU limit: ``cores`` it may use, and where its CPU use is counted."""

    cores: float
    usage_file: Path
    usage_unit: float  # seconds per unit of the usage file (µs in v2, ns in v1)

    def used(self) -> float | None:
        """CPU seconds the cgroup has used so far; ``None`` when unreadable."""
        try:
            text = self.usage_file.read_text()
        except OSError:
            return None
        if self.usage_file.name == "cpu.stat":
            for line in text.splitlines():
                name, _, value = line.partition(" ")
                if name == "usage_usec":
                    return int(value) * self.usage_unit
            return None
        try:
            return int(text.split()[0]) * self.usage_unit
        except (IndexError, ValueError):
            return None


def _own_cgroups(self_cgroup: Path) -> dict[str, str]:
    """``/proc/self/cgroup`` as {controller: path}; the v2 hierarchy under ``""``."""
    found: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in self_cgroup.read_text().splitlines():
            fields = line.split(":", 2)
            if len(fields) == 3:  # anything else is not a cgroup line: skip it
                for controller in fields[1].split(","):
                    found[controller] = fields[2]
    return found


def _ancestors(root: Path, path: str) -> list[Path]:
    """The cgroup directory of ``path`` under ``root`` and each parent up to ``root``."""
    parts = [part for part in path.split("/") if part]
    return [root.joinpath(*parts[:depth]) for depth in range(len(parts), -1, -1)]


def find_quota(
    root: Path = Path("/sys/fs/cgroup"), self_cgroup: Path | None = None
) -> CpuQuota | None:
    """The tightest CPU quota on this process's cgroup or its parents, if any.

    ``root`` and ``self_cgroup`` are for tests (stand-in directories)."""
    cgroups = _own_cgroups(self_cgroup or Path("/proc/self/cgroup"))
    tightest: CpuQuota | None = None
    if "" in cgroups:  # cgroup v2 (unified)
        for directory in _ancestors(root, cgroups[""]):
            with contextlib.suppress(OSError, ValueError, IndexError):
                quota, period = (directory / "cpu.max").read_text().split()[:2]
                if quota != "max":
                    cores = int(quota) / int(period)
                    if tightest is None or cores < tightest.cores:
                        tightest = CpuQuota(cores, directory / "cpu.stat", 1e-6)
    if tightest is None and "cpu" in cgroups:  # cgroup v1
        tightest = _v1_quota(root, cgroups["cpu"])
    return tightest


def _v1_quota(root: Path, path: str) -> CpuQuota | None:
    """cgroup v1: ``cpu.cfs_quota_us`` (-1: none) over ``cpu.cfs_period_us``, with the
    usage in ``cpuacct.usage`` (ns), whether the two controllers share a mount or not."""
    tightest: CpuQuota | None = None
    for mount in ("cpu,cpuacct", "cpu"):
        for directory in _ancestors(root / mount, path):
            with contextlib.suppress(OSError, ValueError):
                limit = int((directory / "cpu.cfs_quota_us").read_text())
                period = int((directory / "cpu.cfs_period_us").read_text())
                usage = directory / "cpuacct.usage"
                if not usage.exists():
                    usage = root / "cpuacct" / directory.relative_to(root / mount) / usage.name
                if limit > 0 and (tightest is None or limit / period < tightest.cores):
                    tightest = CpuQuota(limit / period, usage, 1e-9)
        if tightest is not None:
            break
    return tightest


class SpareCpu:
    """Whether the machine had at least ``cores`` of CPU to spare lately (Linux
    ``/proc/stat``, sampled at most every ``every`` seconds; elsewhere always yes), and
    so did the cgroup's CPU quota where there is one.

    The CPU used by the processes in ``own`` (the idle writer) counts as spare: it is
    what their work would leave were they not running. ``path`` and ``quota`` are for
    tests; by default the quota is looked up once, at start.
    """

    def __init__(
        self,
        path: str = "/proc/stat",
        cores: float = 0.5,
        every: float = 0.1,
        own: tuple[int, ...] = (),
        quota: CpuQuota | bool | None = True,
    ) -> None:
        self.path, self.cores, self.every, self.own = path, cores, every, own
        self.quota = find_quota() if quota is True else quota or None
        self._tick = 1 / os.sysconf("SC_CLK_TCK")
        self._last = self._read()
        self._checked = time.monotonic()
        self._spare = True
        try:
            with open(path, "rb") as stat:
                self._cpus = max(sum(line[:3] == b"cpu" for line in stat) - 1, 1)
        except OSError:
            self._cpus = 1

    def _read(self) -> tuple[int, int, int, float | None] | None:
        """Clock ticks since boot: (idle and iowait, all, ``own``'s), and the cgroup's CPU
        seconds (``None`` without a quota)."""
        try:
            with open(self.path, "rb") as stat:
                values = [int(field) for field in stat.readline().split()[1:9]]
            idle = values[3] + values[4]  # idle, iowait
        except (OSError, ValueError, IndexError):
            return None
        own = 0
        for pid in self.own:
            with contextlib.suppress(OSError, ValueError, IndexError):
                with open(f"/proc/{pid}/stat", "rb") as stat:
                    fields = stat.read().rsplit(b")", 1)[1].split()
                own += int(fields[11]) + int(fields[12])  # utime, stime
        used = self.quota.used() if self.quota is not None else None
        return idle, sum(values), own, used

    def __call__(self) -> bool:
        now = time.monotonic()
        if now - self._checked < self.every:
            return self._spare
        self._checked = now
        sample, last = self._read(), self._last
        self._last = sample
        if sample is None or last is None:
            self._spare = True
        elif sample[1] > last[1]:
            self._spare = self._spare_cores(last, sample) >= self.cores
        return self._spare

    def _spare_cores(
        self, last: tuple[int, int, int, float | None], now: tuple[int, int, int, float | None]
    ) -> float:
        ticks = now[1] - last[1]  # all CPUs' time that passed
        own = now[2] - last[2]
        host = (now[0] - last[0] + own) / ticks * self._cpus
        if self.quota is None or now[3] is None or last[3] is None:
            return host
        seconds = ticks / self._cpus * self._tick  # wall time, from the same samples
        in_quota = self.quota.cores - (now[3] - last[3] - own * self._tick) / seconds
        return min(host, in_quota)
