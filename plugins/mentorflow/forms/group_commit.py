"""Many requests' writes in one transaction: a commit (and, on PostgreSQL, one flush of the write-ahead log) for
every submission that arrived while the previous batch was being written, instead of one per submission.

A request awaits its own outcome, so its answer says "saved" only after the commit that holds its row; a
process that dies before the commit never confirmed anything. One thread per store writes: under load the
batches grow by themselves (whatever queued during a commit goes into the next one), and a lone submission is
written at once. When a batch fails, each of its items is written again in a transaction of its own, so one bad
item never loses the others; the failing one gets its own error.

Reads batch the same way (:mod:`mentorflow.forms.application_pages`: the pages that arrive together are read in
one statement, in a transaction that writes nothing).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import sqlalchemy as sa

Item = TypeVar("Item")

LIMIT = 500  # items in one transaction at most (a bounded statement and a bounded wait for the last of them)


class GroupCommit(Generic[Item]):
    """``await writes.submit(item)`` returns what ``apply`` said about the item once it is committed.

    ``apply(conn, items)`` writes the items in the caller's transaction and returns one outcome per item (in
    order); raising fails the whole batch, which is then retried item by item.
    """

    def __init__(self, engine: sa.Engine, apply: Callable[[sa.Connection, Sequence[Item]], Sequence[Any]],
                 limit: int = LIMIT) -> None:
        self.engine, self.apply, self.limit = engine, apply, limit
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._started = threading.Lock()
        self._thread: threading.Thread | None = None

    async def submit(self, item: Item) -> Any:
        loop = asyncio.get_running_loop()
        waiting = loop.create_future()
        self._start()
        self._queue.put((item, loop, waiting))
        return await waiting

    def close(self) -> None:
        """Write what is queued, then stop the thread (a later submit starts a new one)."""
        with self._started:
            thread, self._thread = self._thread, None
            if thread is not None:
                self._queue.put(None)
        if thread is not None:
            thread.join()

    def _start(self) -> None:
        if self._thread is not None:
            return
        with self._started:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="mentorflow-group-commit", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < self.limit:
                try:
                    queued = self._queue.get_nowait()
                except queue.Empty:
                    break
                if queued is None:
                    stop = True
                    break
                batch.append(queued)
            self._answer(batch, self._write([item for item, _, _ in batch]))
            if stop:
                return

    def _write(self, items: list[Item]) -> list[Any]:
        """One outcome per item: the value ``apply`` returned, or the exception its transaction raised."""
        connected = False
        try:
            with self.engine.begin() as conn:
                connected = True
                outcomes = list(self.apply(conn, items))
                if len(outcomes) != len(items):
                    raise RuntimeError(f"apply returned {len(outcomes)} outcomes for {len(items)} items")
            return outcomes
        except Exception as exc:  # noqa: BLE001 - handed to the requests that wait for it
            unreachable = not connected or (isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated)
            if len(items) == 1 or unreachable:  # the database is down: alone, each would fail the same way
                return [exc] * len(items)
            return [self._write([item])[0] for item in items]

    @staticmethod
    def _answer(batch: list[tuple[Any, asyncio.AbstractEventLoop, asyncio.Future]], outcomes: list[Any]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future, Any]]] = {}
        for (_, loop, waiting), outcome in zip(batch, outcomes):
            by_loop.setdefault(loop, []).append((waiting, outcome))
        for loop, answers in by_loop.items():  # one wake-up of each event loop per batch, not one per item
            try:
                loop.call_soon_threadsafe(_settle, answers)
            except RuntimeError:  # that loop has closed: nobody waits for these answers any more
                pass


def _settle(answers: list[tuple[asyncio.Future, Any]]) -> None:
    for waiting, outcome in answers:
        if waiting.done():  # the request was cancelled (client gone); its write stands
            continue
        if isinstance(outcome, BaseException):
            waiting.set_exception(outcome)
        else:
            waiting.set_result(outcome)
