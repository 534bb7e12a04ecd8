"""Reading uploads in a separate process with memory and time limits.

The readers are bounded already (rows, columns, cells, unzipped size: see
:mod:`optimiser.dataset.tables`), but a file is still the most hostile thing the service meets, so
an upload is parsed and checked in a worker process of its own, whose address space is capped
(``parse_memory_bytes``) and whose answer is awaited at most ``parse_timeout_s``. A worker that
runs out of either is killed, the upload refused with 422, and the next upload gets a new worker;
the web process never holds the parse's memory. One worker, reused, so the postcode directory is
loaded once.
"""

from __future__ import annotations

import csv
import multiprocessing
import resource
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from optimiser.dataset.tables import Table
from optimiser.domain.entities import Dataset
from optimiser.domain.errors import InputError, InputProblem


def _limit_memory(memory_bytes: int) -> None:
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def _guarded(kind: str, read: Callable[[], Any]) -> tuple[str, Any]:
    """In the worker: ``(kind, what read returns)``, or the problems, or why it could not be read
    (an exception carries them badly across)."""
    try:
        return kind, read()
    except InputError as exc:
        return "problems", exc.problems
    except (csv.Error, UnicodeError, ValueError) as exc:  # text the CSV reader cannot parse
        return "unreadable", str(exc)
    except MemoryError:
        return "memory", None


def _load(files: dict[str, bytes], name: str) -> tuple[str, Any]:
    """In the worker: the dataset, or the problems."""
    from optimiser.dataset.loading import load_uploaded

    return _guarded("dataset", lambda: load_uploaded(files, name=name))


def _read_table(data: bytes, name: str, sheet: str) -> tuple[str, Any]:
    """In the worker: one table of a CSV file or a workbook's sheet, within the readers' caps."""
    from optimiser.dataset.tables import read_single_table

    return _guarded("table", lambda: read_single_table(data, name, sheet))


def _refused(message: str) -> InputError:
    return InputError([InputProblem("(upload)", None, None, message)])


class Intake:
    """Parses uploads in a worker process with memory and time limits (see the module)."""

    def __init__(self, memory_bytes: int, timeout_s: float, start_method: str = "spawn") -> None:
        self.memory_bytes = memory_bytes
        self.timeout_s = timeout_s
        self._context = multiprocessing.get_context(start_method)
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=self._context,
                initializer=_limit_memory,
                initargs=(self.memory_bytes,),
            )
        return self._pool

    def _discard(self) -> None:
        """Kill the worker (it overran a limit or died) and forget it."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        for process in list(getattr(pool, "_processes", {}).values()):
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    def load(self, files: Mapping[str, bytes], name: str) -> Dataset:
        """The dataset of uploaded files, read and checked in the worker.

        Raises
        ------
        InputError
            With every problem of the files, or one saying a limit was reached.
        """
        return self._run("dataset", _load, dict(files), name)

    def read_table(self, data: bytes, name: str, sheet: str) -> Table:
        """One table of an uploaded CSV file (or of a workbook's ``sheet``, else its first),
        read in the worker within the readers' caps (a council's current routes).

        Raises
        ------
        InputError
            If the file cannot be read, or a limit was reached.
        """
        return self._run("table", _read_table, data, name, sheet)

    def _run(self, wanted: str, function: Any, *args: Any) -> Any:
        with self._lock:  # one upload read at a time: its worker's limits are the service's
            future = self._executor().submit(function, *args)
            try:
                kind, value = future.result(timeout=self.timeout_s)
            except FutureTimeout:
                self._discard()
                raise _refused(
                    f"reading the files took longer than {self.timeout_s:g} s: split the "
                    "upload, or remove what it does not need"
                ) from None
            except Exception:  # the worker died (out of memory, killed): never a 500
                self._discard()
                kind, value = "memory", None
        if kind == wanted:
            return value
        if kind == "problems":
            raise InputError(value)
        if kind == "unreadable":
            raise _refused(f"cannot read the files: {value}")
        raise _refused(
            f"reading the files needed more than the {self.memory_bytes / 2**30:.1f} GB the "
            "service allows: split the upload, or remove what it does not need"
        )

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None
