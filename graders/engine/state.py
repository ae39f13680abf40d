"""The learner's state under .kata/ (git-ignored): small, versioned JSON files a person can
read, written atomically so that an interrupted write never leaves half a file.

Every file has {"version": 1, ...} at its top; history.jsonl holds one such JSON object a
line. The current time comes from KATA_NOW when it is set (an ISO date or date and time),
so that tests and a curious learner can move the clock.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

STATE_DIR = ".kata"
VERSION = 1


def state_dir(root: Path) -> Path:
    return Path(root) / STATE_DIR


def now() -> datetime:
    """The current time (UTC), or KATA_NOW's."""
    text = os.environ.get("KATA_NOW")
    if not text:
        return datetime.now(timezone.utc).replace(microsecond=0)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def read_json(path: Path, default: dict | None = None) -> dict:
    """The file's data, or a fresh {"version": 1, **default} when it is missing or unreadable."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        data = None
    if not isinstance(data, dict):
        return {"version": VERSION, **(default or {})}
    return data


def write_json(path: Path, data: dict) -> None:
    """Write data to path atomically (a temporary file, then a rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def append_line(path: Path, record: dict) -> None:
    """Append one JSON line (a single write of a short line: whole lines, even if two
    processes append at once)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, ensure_ascii=False) + "\n"
    with open(path, "a", encoding="utf-8") as file:
        file.write(line)


def read_lines(path: Path) -> list[dict]:
    """Every readable record of a JSON-lines file (a damaged line is skipped)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError:
        return []
    records = []
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records
