"""Spare CPU: the machine's (``/proc/stat``) and, in a container, its CPU quota's."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from recast.gateway._spare_cpu import CpuQuota, SpareCpu, find_quota


def test_spare_cpu_reads_proc_stat_deltas(tmp_path: Path) -> None:
    path = tmp_path / "stat"

    def sample(user: int, nice: int, idle: int) -> None:
        line = f"{user} {nice} 0 {idle} 0 0 0 0"
        path.write_text(f"cpu  {line}\ncpu0 {line}\ncpu1 {line}\n")

    sample(0, 0, 0)
    spare = SpareCpu(str(path), cores=0.5, every=0.0, quota=None)
    sample(190, 0, 10)  # 2 CPUs, 5 % idle: a tenth of a core to spare
    assert spare() is False
    sample(290, 0, 110)  # 1 core of 2 idle
    assert spare() is True
    sample(390, 100, 110)  # niced time is busy (the catch-up writer, say)
    assert spare() is False
    sample(390, 100, 110)  # no time passed: keep the last answer
    assert spare() is False
    sample(390, 100, 310)
    assert spare() is True
    # the idle writer's CPU counts as spare
    own = SpareCpu(str(path), own=(os.getpid(),), quota=None)
    before = own._read()
    started = time.process_time()
    while time.process_time() - started < 0.3:
        pass
    after = own._read()
    assert before is not None and after is not None
    assert after[2] - before[2] >= 0.2 * os.sysconf("SC_CLK_TCK")
    path.unlink()  # nothing to read (not Linux): never hold batches back
    assert spare() is True
    assert SpareCpu(str(tmp_path / "missing"), quota=None)() is True


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_cgroup_v2_quota_is_the_tightest_on_the_way_up(tmp_path: Path) -> None:
    root = tmp_path / "cgroup"
    own = _write(tmp_path / "self", "0::/kubepods/pod1/ctr\n")
    _write(root / "kubepods" / "cpu.max", "max 100000\n")
    _write(root / "kubepods" / "pod1" / "ctr" / "cpu.max", "150000 100000\n")
    _write(root / "kubepods" / "pod1" / "ctr" / "cpu.stat", "usage_usec 2500000\nuser_usec 1\n")
    quota = find_quota(root, own)
    assert quota is not None and quota.cores == 1.5
    assert quota.used() == 2.5
    _write(root / "kubepods" / "pod1" / "cpu.max", "50000 100000\n")  # the pod's limit
    _write(root / "kubepods" / "pod1" / "cpu.stat", "usage_usec 1000000\n")
    quota = find_quota(root, own)
    assert quota is not None and (quota.cores, quota.used()) == (0.5, 1.0)


def test_cgroup_v1_quota_with_separate_cpuacct(tmp_path: Path) -> None:
    root = tmp_path / "cgroup"
    own = _write(tmp_path / "self", "4:memory:/x\n2:cpuacct:/docker/abc\n1:cpu:/docker/abc\n")
    _write(root / "cpu" / "docker" / "abc" / "cpu.cfs_quota_us", "200000\n")
    _write(root / "cpu" / "docker" / "abc" / "cpu.cfs_period_us", "100000\n")
    _write(root / "cpuacct" / "docker" / "abc" / "cpuacct.usage", "3000000000\n")
    quota = find_quota(root, own)
    assert quota is not None and (quota.cores, quota.used()) == (2.0, 3.0)


@pytest.mark.parametrize(
    ("files", "cgroup"),
    [
        ({"cpu.max": "max 100000\n"}, "0::/\n"),  # v2, no limit
        ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, "1:cpu:/\n"),
        ({}, "0::/gone\n"),  # nothing readable
        ({"cpu.max": "50000 100000\n"}, "not a cgroup line\n"),
    ],
    ids=["v2-max", "v1-unlimited", "unreadable", "malformed"],
)
def test_no_quota(tmp_path: Path, files: dict[str, str], cgroup: str) -> None:
    root = tmp_path / "cgroup"
    root.mkdir()
    for name, text in files.items():
        _write(root / name, text)
    assert find_quota(root, _write(tmp_path / "self", cgroup)) is None


def test_a_busy_quota_leaves_nothing_to_spare_on_an_idle_host(tmp_path: Path) -> None:
    """A container limited to one core, on a two-core host that is otherwise idle."""
    tick = os.sysconf("SC_CLK_TCK")
    stat = tmp_path / "stat"
    usage = tmp_path / "cpu.stat"
    seconds = 0.0

    def advance(wall: float, host_idle: float, container_used: float) -> None:
        nonlocal seconds
        seconds += wall
        idle_ticks = int(seconds * host_idle * 2 * tick)  # two CPUs
        busy_ticks = int(seconds * 2 * tick) - idle_ticks
        line = f"{busy_ticks} 0 0 {idle_ticks} 0 0 0 0"
        stat.write_text(f"cpu  {line}\ncpu0 {line}\ncpu1 {line}\n")
        used = usage.read_text().split()[1] if usage.exists() else "0"
        usage.write_text(f"usage_usec {int(used) + int(container_used * 1e6)}\n")

    advance(0, 0, 0)
    quota = CpuQuota(1.0, usage, 1e-6)
    spare = SpareCpu(str(stat), cores=0.5, every=0.0, quota=quota)
    advance(1.0, 0.55, 0.9)  # the host has a core to spare; the quota a tenth of one
    assert spare() is False
    advance(1.0, 0.55, 0.2)  # the container is quiet: most of its core is spare
    assert spare() is True
    no_quota = SpareCpu(str(stat), cores=0.5, every=0.0, quota=None)
    advance(1.0, 0.55, 0.9)
    assert no_quota() is True  # what the host alone says
