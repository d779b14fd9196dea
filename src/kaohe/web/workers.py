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
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from kaohe.store import Store

T = TypeVar("T")


class PoolClosed(RuntimeError):
    """The server is shutting down: no more connections are handed out."""


class ReadPool:
    """`size` connections to the store, each lent to one request at a time."""

    def __init__(self, store: Store, size: int) -> None:
        self._lock = threading.Lock()
        self._all = [store.cursor() for _ in range(size)]
        self._free = list(self._all)
        self._waiters: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[Store]]] = deque()
        self._closed = False

    @property
    def size(self) -> int:
        return len(self._all)

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    async def acquire(self, timeout: float) -> Store:
        """A free connection, waiting at most `timeout` seconds (TimeoutError after)."""
        with self._lock:
            if self._closed:
                raise PoolClosed("the server is shutting down")
            if self._free:
                return self._free.pop()
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
        """Give a connection back: to the longest waiter, else to the free list."""
        with self._lock:
            if self._closed:
                return
            while self._waiters:
                loop, waiter = self._waiters.popleft()
                try:
                    loop.call_soon_threadsafe(self._deliver, waiter, store)
                    return
                except RuntimeError:  # that request's event loop is gone
                    continue
            self._free.append(store)

    def _deliver(self, waiter: asyncio.Future[Store], store: Store) -> None:
        if waiter.done():  # timed out or cancelled meanwhile: the next one gets it
            self.release(store)
        else:
            waiter.set_result(store)

    def close(self) -> None:
        """Stop lending, interrupt running queries and close every connection."""
        with self._lock:
            self._closed = True
            waiters, self._waiters = list(self._waiters), deque()
        for loop, waiter in waiters:
            try:
                loop.call_soon_threadsafe(_fail, waiter)
            except RuntimeError:
                pass
        for store in self._all:
            _interrupt_and_close(store)


def _fail(waiter: asyncio.Future[Store]) -> None:
    if not waiter.done():
        waiter.set_exception(PoolClosed("the server is shutting down"))


def _interrupt_and_close(store: Store) -> None:
    try:
        store.con.interrupt()
    except Exception:  # noqa: BLE001, S110 - nothing was running
        pass
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
            try:
                self._store.con.interrupt()
            except Exception:  # noqa: BLE001, S110
                pass
            self._thread.join(timeout)
        _interrupt_and_close(self._store)
