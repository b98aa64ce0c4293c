"""The benchmark's table, the machine it ran on, and its place in the README."""

from __future__ import annotations

import os
import platform
import re
from dataclasses import dataclass
from pathlib import Path

START, END = "<!-- bench:start -->", "<!-- bench:end -->"


@dataclass
class Row:
    measure: str
    result: str
    target: str
    met: bool | None


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        cpuinfo = ""
    found = re.search(r"model name\s*:\s*(.+)", cpuinfo)
    if found:
        model = " ".join(found.group(1).split())
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cores} cores ({model}), {platform.system()} {platform.machine()}"


def render(rows: list[Row], notes: list[str]) -> str:
    lines = ["| Measure | Result | Target | Met |", "|---|---:|---:|:---:|"]
    for row in rows:
        met = "" if row.met is None else ("yes" if row.met else "**no**")
        lines.append(f"| {row.measure} | {row.result} | {row.target} | {met} |")
    return "\n".join(lines) + "\n\n" + "\n\n".join(notes) + "\n"


def write_into_readme(readme: Path, table: str) -> None:
    text = readme.read_text()
    if START not in text or END not in text:
        raise RuntimeError(f"{readme} has no {START} … {END} markers")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{START}\n{table}{END}{tail}")
