"""``analyze --executor dask``: partitions of documents by id range, analyzed on Dask workers.

Workers only compute. Each task is one partition: the rows ``(id, text, language, published)`` of
a run of consecutive ids to analyze, and the model to judge with (None, "default" or a loaded
model, which pickles to a few hundred kB). It runs the same pure function as the local executor
(``pipeline._analyze_row``) and returns picklable :class:`~dissentwatch.analyze.pipeline.Analysis`
results with the extractor name it analyzed under. The client, the one process that opens the
store, writes each partition in one transaction as it completes (``pipeline._write_batch``).

A worker lost mid-run loses only what it was computing: the scheduler runs the task again on
another worker (the tasks are pure), and nothing of that partition was written. When Dask gives
up (``KilledWorker``), or the run is interrupted, the run is recorded as failed with only whole
partitions written; a rerun analyzes what is left, and writing a document's analysis again
replaces its mentions (same document, type and start keep their id), so nothing is duplicated.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from dissentwatch.analyze import pipeline
from dissentwatch.progress import Stage
from dissentwatch.store import Store


class ExecutorError(RuntimeError):
    """The Dask executor cannot run, or a worker analyzed with other code or another model."""


_ONE_AT_A_TIME = threading.Lock()  # the model is process-global: a worker with several threads
# (or two clients' runs with different models) must not switch it under a running task


def analyze_partition(rows: Sequence[pipeline.Row], model: Any, embeddings: bool) -> tuple[str, list[pipeline.Analysis]]:
    """Run on a worker: analyze ``rows`` with ``model``; the extractor name and the results."""
    with _ONE_AT_A_TIME:
        pipeline.use_model(model)
        pipeline.OPTIONS["embeddings"] = embeddings and pipeline.MODEL["model"] is None
        return pipeline.extractor_name(), [pipeline._analyze_row(row) for row in rows]


def partitions(ids: Sequence[int], size: int) -> list[Sequence[int]]:
    """``ids`` (in id order) cut into runs of at most ``size``: each is an id range."""
    return [ids[i : i + size] for i in range(0, len(ids), max(1, size))]


@contextmanager
def dask_client(scheduler: str | None, workers: int) -> Iterator[Any]:
    """A client of ``scheduler`` (``tcp://HOST:PORT``), or of a ``LocalCluster`` on 127.0.0.1
    with ``workers`` single-threaded worker processes, started here and closed after."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - the extra is installed where tests run
        raise ExecutorError("--executor dask needs the 'dask' extra: pip install 'dissentwatch[dask]'") from exc
    if scheduler:
        try:
            client = Client(scheduler, timeout="30s")
        except OSError as exc:
            raise ExecutorError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
        with client:
            yield client
        return
    omp = pipeline.omp_threads(workers)
    with LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, env={"OMP_NUM_THREADS": omp}) as cluster, Client(cluster) as client:
        yield client


def analyze_on_dask(
    store: Store, todo: Sequence[int], extractor: str, run_id: int, stats: pipeline.AnalyzeStats, bar: Stage,
    model: Any, embeddings: bool, scheduler: str | None, workers: int, partition_size: int,
) -> None:
    """Analyze the documents ``todo`` on Dask, writing each partition as it completes.

    At most two partitions per worker are read and in flight at once, so a back-fill of any size
    holds a bounded number of texts in the client."""
    from distributed import KilledWorker, as_completed

    with dask_client(scheduler, workers) as client:
        n_workers = len(client.scheduler_info().get("workers", {})) or max(1, workers)
        waiting = iter(partitions(todo, partition_size))
        written: dict[str, tuple[dict[int, str], set[int], str]] = {}
        futures = as_completed()
        counter = itertools.count()

        def submit_next() -> None:
            ids = next(waiting, None)
            if ids is None:
                return
            rows, hashes, seen = pipeline._rows(store, ids)
            key = f"dissentwatch-analyze-{run_id}-{ids[0]}-{ids[-1]}-{next(counter)}"
            future = client.submit(analyze_partition, rows, model, embeddings, key=key, pure=False)
            written[future.key] = (hashes, seen, f"{ids[0]}-{ids[-1]}")
            futures.add(future)

        for _ in range(2 * n_workers):
            submit_next()
        try:
            for future in futures:
                hashes, seen, span = written.pop(future.key)
                try:
                    worker_extractor, results = future.result()
                except KilledWorker as exc:
                    raise ExecutorError(f"documents with ids {span}: the workers computing them died too often ({exc}); "
                                        "what was written is whole, run analyze again for the rest") from exc
                except Exception as exc:
                    raise ExecutorError(f"documents with ids {span} failed on a worker: {exc!r}") from exc
                if worker_extractor != extractor:
                    raise ExecutorError(f"a worker analyzed as {worker_extractor!r}, this client as {extractor!r}: "
                                        "install the same dissentwatch and model on the workers")
                pipeline._write_batch(store, results, hashes, seen, extractor, run_id)
                for analysis in results:
                    stats.add(analysis)
                bar.update(len(results))
                future.release()
                submit_next()
        finally:
            pending = list(futures.futures)
            if pending:
                client.cancel(pending)
