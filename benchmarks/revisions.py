"""An earlier revision of the code, unpacked from git, for benchmarks that measure it in the same run."""

from __future__ import annotations

import subprocess
import tarfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def export_revision(rev: str, into: Path, folders: tuple[str, ...] = ("plugins", "include")) -> Path:
    """The ``folders`` of ``rev`` (by default ``plugins/`` and ``include/``), unpacked into ``into``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, *folders],
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into
