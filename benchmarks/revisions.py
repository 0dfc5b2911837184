"""An earlier revision of the code, unpacked from git, for benchmarks that measure it in the same run."""

from __future__ import annotations

import subprocess
import tarfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def export_revision(rev: str, into: Path) -> Path:
    """The ``plugins/`` and ``include/`` folders of ``rev``, unpacked into ``into``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "plugins", "include"],
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into
