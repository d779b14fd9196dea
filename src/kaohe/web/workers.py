"""Who touches the store, and when: a pool of reading connections handed to requests, and one
writer thread that runs write jobs (imports, and later the CLI's writes through the server) one
after another.

A request waits for a reader on the event loop (no thread is held while it waits), then runs
its page in the thread pool with that connection to itself: DuckDB's documented way to read
from several threads is one connection per thread, made with `con.cursor()` on the one
database. Writers of the process take turns through the store's write lock (kaohe.store.Store);
the writer queue is where long writes go so that they never run on a request thread.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any, TypeVar

from kaohe.store import Store

T = TypeVar("T")


class PoolClosed(RuntimeError):
    """The server is shutting down: no more connections are handed out."""


class ReadPool:
    """`size` connections to the store, each lent to one request at a time; extra() lends
    one more for background work (the warm-up). close() interrupts what runs and closes every
    connection once it is given back."""

    def __init__(
        self,
        store: Store,
        size: int,
        write_via: Callable[[Callable[[Store], Any]], Any],
        defer_facts: Callable[[], None] | None = None,
    ) -> None:
        self._store = store
        self._write_via = write_via
        self._defer_facts = defer_facts
        self._lock = threading.Condition()
        self._pooled = [self._reader() for _ in range(size)]
        self._free = list(self._pooled)
        self._lent: list[Store] = []
        self._waiters: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[Store]]] = deque()
        self._closed = False
        self._paused = False  # nothing is lent while the writer checkpoints (paused())

    def _reader(self) -> Store:
        """A connection that never writes and never waits for the write lock: its writes run
        on the writer (`write_via`, kaohe.store.Store.write), facts it finds stale are left to
        the writer (`defer_facts`, read by kaohe.engine.facts) and answered on demand."""
        store = self._store.reader(self._write_via)
        if self._defer_facts is not None:
            store.defer_facts = self._defer_facts  # type: ignore[attr-defined]
        return store

    @property
    def size(self) -> int:
        return len(self._pooled)

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    @property
    def closed(self) -> bool:
        return self._closed

    async def acquire(self, timeout: float) -> Store:
        """A free connection, waiting at most `timeout` seconds (TimeoutError after)."""
        with self._lock:
            if self._closed:
                raise PoolClosed("the server is shutting down")
            if self._free and not self._paused:
                store = self._free.pop()
                self._lent.append(store)
                return store
            loop = asyncio.get_running_loop()
            waiter: asyncio.Future[Store] = loop.create_future()
            self._waiters.append((loop, waiter))
        try:
            return await asyncio.wait_for(waiter, timeout)
        except (TimeoutError, asyncio.CancelledError):
            with self._lock:
                self._waiters = deque(w for w in self._waiters if w[1] is not waiter)
            raise

    def release(self, store: Store) -> None:
        """Give a connection back: to the longest waiter, else to the free list (closed when
        the pool is)."""
        settle(store)
        with self._lock:
            if not self._closed and store in self._pooled:
                while self._waiters and not self._paused:
                    loop, waiter = self._waiters.popleft()
                    try:
                        loop.call_soon_threadsafe(self._deliver, waiter, store)
                        return
                    except RuntimeError:  # that request's event loop is gone
                        continue
                self._lent.remove(store)
                self._free.append(store)
                self._lock.notify_all()
                return
            if store in self._lent:
                self._lent.remove(store)
            self._lock.notify_all()
        _close(store)

    def _deliver(self, waiter: asyncio.Future[Store], store: Store) -> None:
        if waiter.done():  # timed out or cancelled meanwhile: the next one gets it
            self.release(store)
        else:
            waiter.set_result(store)

    @contextmanager
    def extra(self) -> Iterator[Store]:
        """One more connection, outside the pool's size, for background work."""
        with self._lock:
            while self._paused and not self._closed:
                self._lock.wait(timeout=0.1)
            if self._closed:
                raise PoolClosed("the server is shutting down")
            store = self._reader()
            self._lent.append(store)
        try:
            yield store
        finally:
            self.release(store)

    @contextmanager
    def paused(self, timeout: float) -> Iterator[bool]:
        """Lend nothing while the body runs (requests wait on the event loop as for a busy
        pool), once every lent connection is back, settled: yields True then, or False when
        they were not all back within `timeout` seconds. A DuckDB checkpoint waits —
        spinning — for every connection with a result open, so the writer checkpoints in
        here (kaohe.web.services.checkpoint)."""
        with self._lock:
            self._paused = True
            deadline = time.monotonic() + timeout
            while self._lent and time.monotonic() < deadline:
                self._lock.wait(timeout=0.05)
            quiet = not self._lent
        try:
            yield quiet
        finally:
            self._resume()

    def _resume(self) -> None:
        handed = []
        with self._lock:
            self._paused = False
            while self._free and self._waiters:
                store = self._free.pop()
                self._lent.append(store)
                handed.append((*self._waiters.popleft(), store))
            self._lock.notify_all()
        for loop, waiter, store in handed:
            try:
                loop.call_soon_threadsafe(self._deliver, waiter, store)
            except RuntimeError:  # that request's event loop is gone
                self.release(store)

    def close(self, grace: float) -> None:
        """Stop lending, interrupt running queries, close the free connections now and the
        lent ones as they come back (waiting at most `grace` seconds for them)."""
        with self._lock:
            self._closed = True
            waiters, self._waiters = list(self._waiters), deque()
            free, self._free = self._free, []
            lent = list(self._lent)
        for loop, waiter in waiters:
            try:
                loop.call_soon_threadsafe(_fail, waiter)
            except RuntimeError:
                pass
        for store in lent:
            _interrupt(store)
        for store in free:
            _close(store)
        deadline = time.monotonic() + grace
        with self._lock:
            while self._lent and time.monotonic() < deadline:
                self._lock.wait(timeout=0.1)

    @property
    def busy(self) -> int:
        """Connections still lent (after close: still running, not closed)."""
        with self._lock:
            return len(self._lent)


def settle(store: Store) -> None:
    """End whatever the connection left open (kaohe.store.Store.end_reads): a result not read
    to its end keeps its transaction; the snapshot it holds makes other connections'
    delete-then-insert of the same key fail, and keeps every checkpoint spinning (DuckDB)."""
    try:
        store.end_reads()
    except Exception:  # noqa: BLE001, S110 - a closed connection: nothing is open
        pass


def _fail(waiter: asyncio.Future[Store]) -> None:
    if not waiter.done():
        waiter.set_exception(PoolClosed("the server is shutting down"))


def _interrupt(store: Store) -> None:
    try:
        store.con.interrupt()
    except Exception:  # noqa: BLE001, S110 - nothing was running
        pass


def _close(store: Store) -> None:
    try:
        store.close()
    except Exception:  # noqa: BLE001, S110 - closed already
        pass


_STOP = object()


class Writer:
    """One thread running write jobs in order, each `job(store)` on the writer's own
    connection while holding the store's write lock. submit() returns a Future; run() awaits
    it from async code; call() blocks a worker thread until it is done."""

    def __init__(self, store: Store) -> None:
        self._store = store.cursor()
        self._jobs: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="kaohe-writer", daemon=True)
        self._closed = False
        self._thread.start()

    @property
    def pending(self) -> int:
        return self._jobs.qsize()

    def submit(self, job: Callable[[Store], T]) -> Future[T]:
        if self._closed:
            raise PoolClosed("the server is shutting down")
        future: Future[T] = Future()
        self._jobs.put((job, future))
        return future

    async def run(self, job: Callable[[Store], T]) -> T:
        return await asyncio.wrap_future(self.submit(job))

    def call(self, job: Callable[[Store], T]) -> T:
        if threading.current_thread() is self._thread:  # a job's own write: no queueing
            return job(self._store)
        return self.submit(job).result()

    def _loop(self) -> None:
        while True:
            item = self._jobs.get()
            if item is _STOP:
                return
            job, future = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                with self._store.writing():
                    result = job(self._store)
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
                future.set_exception(exc)
            else:
                future.set_result(result)
            finally:
                settle(self._store)

    def close(self, timeout: float) -> None:
        """Finish the job under way (waiting at most `timeout` s), drop the queued ones."""
        self._closed = True
        while True:
            try:
                item = self._jobs.get_nowait()
            except queue.Empty:
                break
            if item is not _STOP:
                item[1].cancel()
        self._jobs.put(_STOP)
        self._thread.join(timeout)
        if self._thread.is_alive():
            _interrupt(self._store)
            self._thread.join(timeout)
        if not self._thread.is_alive():  # never close a connection a thread still uses
            _close(self._store)
