"""What every benchmark prints about the machine it ran on."""

import contextlib
import os
import platform
import re
from pathlib import Path


def describe_machine() -> str:
    """Cores, CPU model, memory, kernel and Python, e.g. "2 cores (AMD EPYC), 24 GiB RAM, Linux 6.1, Python 3.11.7"."""
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        match = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        cpu = match.group(1).strip() if match else cpu
    memory = "?"
    with contextlib.suppress(OSError):
        match = re.search(r"MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text())
        memory = f"{int(match.group(1)) / 1024**2:.0f} GiB" if match else memory
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory} RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )
