"""Least exposure in logs and files: link tokens and email addresses never reach a log line or an
error message, and what mentorflow writes about people (the store, the outbox, reports) is readable
by its owner only."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

_TOKEN = re.compile(r"(token=)[^&\s\"']+")
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")


def redact(text: str) -> str:
    """``text`` with link tokens replaced by ``[redacted]`` and each email address by ``***@domain``
    (the domain stays: it tells ops which provider refused a message)."""
    return _EMAIL.sub(r"***@\1", _TOKEN.sub(r"\1[redacted]", text))


class RedactingFilter(logging.Filter):
    """A logging filter that redacts a record's final message (an access log line, an error)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def redact_logger(name: str) -> None:
    """Install the redacting filter on a logger once (an app created twice must not stack filters)."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())


def private_dir(path: Path) -> Path:
    """``path`` as a folder, creating it and any missing parent readable by the owner only (0700)."""
    missing = []
    current = Path(path)
    while not current.exists():
        missing.append(current)
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:  # another process made it first
            pass
    return Path(path)


def write_private_bytes(path: Path, data: bytes) -> Path:
    """Write a file readable by its owner only (0600), its folder made private if it is new."""
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, 0o600)  # an older file keeps its mode on O_TRUNC
    return path


def write_private_text(path: Path, text: str) -> Path:
    return write_private_bytes(path, text.encode("utf-8"))
