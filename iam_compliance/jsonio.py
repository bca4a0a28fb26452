"""Writing JSON files atomically: a reader (a pipeline, a second run) never sees half a file."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def dumps(doc: Any, indent: int = 2) -> str:
    return json.dumps(doc, indent=indent, sort_keys=False, ensure_ascii=False) + "\n"


def write_text_atomic(text: str, path: Path, mode: int | None = None) -> Path:
    """Write ``text`` to a temporary file beside ``path``, then rename it over ``path``.

    ``mode`` (e.g. 0o600) is set before any content is written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_json_atomic(doc: Any, path: Path, mode: int | None = None) -> Path:
    return write_text_atomic(dumps(doc), path, mode)
