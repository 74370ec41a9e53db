"""Running one function over many jobs on all cores, results in job order, never hanging.

A build analyzes articles in worker processes. What this module guarantees:

- results come back in the order of the jobs (a build numbers sections in file order);
- an exception a job raises comes back as that job's result: a :class:`~kb.errors.KbError` as it
  is (kb's exceptions survive pickling), any other one (a fault in kb, a ``MemoryError``) as
  :class:`~kb.errors.AnalysisFailed` naming the job's file and the error;
- a worker process that dies (killed, out of memory, ``os._exit``) raises :class:`WorkerDied`,
  naming the files that were being worked on, instead of waiting for ever (Python's
  ``multiprocessing.Pool`` waits for ever when a worker dies or a result cannot be unpickled;
  ``concurrent.futures.ProcessPoolExecutor`` notices and raises ``BrokenProcessPool``).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import traceback
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Iterator, Sequence, TypeVar

from ..errors import AnalysisFailed, KbError

Job = TypeVar("Job")
Result = TypeVar("Result")

# Each job's state, shared with the workers: a job is "under way" from its start to its end.
_WAITING, _UNDER_WAY, _DONE = 0, 1, 2
_states: Any = None  # in a worker: the shared array of job states (set by _start_worker)
_PR_SET_PDEATHSIG = 1  # prctl option: the signal a process gets when its parent dies


class WorkerDied(KbError):
    """A worker process stopped before it sent its results back (killed by a signal, out of
    memory, or a fault in native code); the message names the files it was working on."""


def run_in_workers(
    fn: Callable[[Job], Result],
    jobs: Sequence[Job],
    names: Sequence[str],
    workers: int,
    chunksize: int = 4,
) -> Iterator[Result | KbError]:
    """``fn(job)`` for each job in ``workers`` processes, yielded in job order.

    ``fn`` must be a module-level function (it is pickled by name); ``names`` are the jobs' files,
    for messages. A job's exception is yielded in place of its result (see the module's
    docstring); a dead worker raises :class:`WorkerDied`. Leaving the loop early cancels the jobs
    not yet started.
    """
    context = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
    states = context.Array("b", max(len(jobs), 1), lock=False)
    executor = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                                   initargs=(states, os.getpid()))
    try:
        starts = range(0, len(jobs), chunksize)
        futures: list[Future | None] = [
            executor.submit(_run_chunk, fn, start, jobs[start:start + chunksize],
                            names[start:start + chunksize])
            for start in starts
        ]
        for n, start in enumerate(starts):
            future = futures[n]
            futures[n] = None  # a chunk's results are let go once yielded
            assert future is not None
            try:
                results = future.result()
            except BrokenProcessPool as e:
                raise _worker_died(states, names, e.__cause__) from None
            except Exception as e:  # the results could not be pickled in the worker
                results = [AnalysisFailed(name, f"its results could not be sent back ({_describe(e)})")
                           for name in names[start:start + chunksize]]
            yield from results
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def run_guarded(fn: Callable[[Job], Result], job: Job, name: str) -> Result | KbError:
    """``fn(job)``, or the error it raised as a value (see the module's docstring)."""
    try:
        return fn(job)
    except KbError as e:
        return e
    except Exception as e:  # noqa: BLE001 - any fault is reported with the file that caused it
        return AnalysisFailed(name, f"could not be analyzed: {_describe(e)}")


def _start_worker(states: Any, parent: int) -> None:
    global _states
    _states = states
    _exit_with_parent(parent)


def _exit_with_parent(parent: int) -> None:
    """Have the kernel kill this worker when the process that started it dies (Linux): a build
    killed with SIGKILL would otherwise leave its workers waiting for work for ever."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)


def _run_chunk(fn: Callable[[Job], Result], start: int, jobs: Sequence[Job],
               names: Sequence[str]) -> list[Result | KbError]:
    """In a worker: run a few consecutive jobs, marking each under way, then done."""
    out = []
    for index, (job, name) in enumerate(zip(jobs, names), start=start):
        _states[index] = _UNDER_WAY
        out.append(run_guarded(fn, job, name))
        _states[index] = _DONE
    return out


def _worker_died(states: Any, names: Sequence[str], cause: BaseException | None) -> WorkerDied:
    """The error for a broken pool: a worker died, or (``cause``: the traceback the pool
    gives) a result could not be read back."""
    under_way = [name for name, state in zip(names, states) if state == _UNDER_WAY]
    where = f" while these files were being analyzed: {', '.join(under_way)}" if under_way else ""
    # the pool's cause is a traceback in triple quotes: its last line is the error
    lines = [line.strip() for line in str(cause or "").splitlines() if line.strip("' \t")]
    why = (f"a result could not be read back ({lines[-1]})" if lines
           else "an analysis process stopped abruptly (killed by a signal, or out of memory)")
    return WorkerDied(f"{why}{where}; the index was not changed")


def _describe(error: BaseException) -> str:
    """An unexpected error in one line: its kind, its message and where in kb it happened."""
    if isinstance(error, MemoryError):
        what = "MemoryError (out of memory)"
    else:
        what = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    frames = traceback.extract_tb(error.__traceback__)
    if frames:
        last = frames[-1]
        what += f" (at {os.path.basename(last.filename)}:{last.lineno} in {last.name})"
    return what
