"""A child process's output read line by line by a thread, so a test waiting for a line never waits forever:
a child that hangs silently fails the test after a deadline instead of holding the suite."""

from __future__ import annotations

import queue
import subprocess
import threading
import time


def lines_of(process: subprocess.Popen) -> queue.Queue:
    """The child's output, line by line, read by a thread (so every wait below stays bounded); ``None`` at the
    end of the output."""
    said: queue.Queue = queue.Queue()

    def read() -> None:
        for line in process.stdout:
            said.put(line)
        said.put(None)

    threading.Thread(target=read, daemon=True).start()
    return said


def read_until(said: queue.Queue, marker: str | None, within: float) -> str:
    """The lines up to the first one holding ``marker`` (``None``: up to the end of the output) within
    ``within`` seconds; an :class:`AssertionError` showing the output so far otherwise."""
    text, deadline, ended = [], time.monotonic() + within, False
    while not ended and time.monotonic() < deadline:
        try:
            line = said.get(timeout=min(5.0, max(0.01, deadline - time.monotonic())))
        except queue.Empty:
            continue
        ended = line is None
        if not ended:
            text.append(line)
        if (ended and marker is None) or (not ended and marker is not None and marker in line):
            return "".join(text)
    why = "the output ended" if ended else f"nothing more within {within:.0f} s"
    raise AssertionError(f"{why} before {marker or 'the end of the output'!r} in the child's output:\n"
                         + "".join(text)[-6000:])
