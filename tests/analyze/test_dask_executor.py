"""``analyze --executor dask`` against a real ``dask.distributed`` scheduler and two worker
processes on 127.0.0.1: the same results as one process, and a worker killed mid-run leaves
nothing half-written."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dissentwatch.analyze.pipeline import analyze_store
from dissentwatch.models import Document
from dissentwatch.store import Store
from dissentwatch.store.documents import ingest
from dissentwatch.store.mentions import load_mentions

distributed = pytest.importorskip("distributed")
# every scheduler serves health checks over HTTP, on 127.0.0.1:8787 or, when that is taken, another port
pytestmark = pytest.mark.filterwarnings("ignore:Port 8787 is already in use")

REPORTS = [
    ("ru", "Мобилизованные из {n}-го полка записали видеообращение к Путину. Они жалуются, что их "
           "отправили штурмовать позиции без артиллерийской поддержки."),
    ("en", "{n} soldiers of the 810th brigade refused to return to the front, their relatives said."),
    ("ru", "С начала года в суды поступило более {n} 000 дел о самовольном оставлении части."),
    ("fr", "Des soldats du {n}e bataillon ont enregistré un message vidéo adressé au ministre. "
           "Par ailleurs, un conscrit a été condamné à deux ans de prison pour désertion."),
    ("uk", "Дружини мобілізованих з {n}-ї бригади звернулися до командування з вимогою повернути "
           "чоловіків з передової."),
    ("en", "A military court sentenced a contract soldier to {n} years in a penal colony for going AWOL."),
]
NEWS = [
    ("ru", "Завтра в Москве ожидается снег и гололед, температура опустится до минус {n} градусов."),
    ("en", "The city council approved a budget of {n} million for new bus lanes on Tuesday."),
    ("de", "Der Fußballverein gewann am Samstag mit {n}:1 gegen den Tabellenführer."),
    ("fr", "Le festival de cinéma accueillera {n} films venus de quarante pays cette année."),
]


def _documents() -> list[Document]:
    docs, texts = [], [*REPORTS, *NEWS]
    for i in range(60):
        lang, text = texts[i % len(texts)]
        docs.append(Document("files", f"doc-{i:02d}", text.format(n=3 + i * 7), language=lang,
                             published="2023-03-10T10:00:00Z"))
    return docs


def _store(path: Path) -> Store:
    store = Store(path)
    ingest(store, _documents())
    return store


def _mentions(store: Store) -> list[tuple[Any, ...]]:
    """Every mention, comparable across stores: document external id, type, span, fields, evidence."""
    ids = {r["id"]: r["external_id"] for r in store.query("SELECT id, external_id FROM documents")}
    return sorted(
        (ids[m.document_id], m.type, m.by_relatives, m.start, m.end, json.dumps(m.fields, sort_keys=True),
         m.confidence, m.extractor, tuple((e.field, e.start, e.end, e.quote, json.dumps(e.value)) for e in m.evidence))
        for m in load_mentions(store))


def _aggregates(store: Store) -> list[tuple[Any, ...]]:
    return sorted(tuple(r) for r in store.query(
        'SELECT d.external_id, a.start, a."end", a.quote, a.number FROM aggregates a JOIN documents d ON d.id = a.document_id'))


def _state(store: Store) -> list[tuple[Any, ...]]:
    return sorted(tuple(r) for r in store.query(
        "SELECT d.external_id, a.content_hash, a.extractor, a.relevant FROM analysis_state a "
        "JOIN documents d ON d.id = a.document_id"))


@pytest.fixture
def reference(tmp_path: Path) -> Iterator[Store]:
    """The single-process run, rules alone."""
    with _store(tmp_path / "reference.db") as store:
        analyze_store(store, model=None, workers=1)
        yield store


def _cluster() -> Any:
    return distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                    dashboard_address=None)


def test_local_cluster_gives_the_single_process_result(tmp_path: Path) -> None:
    """No scheduler given: analyze starts a LocalCluster; a loaded model travels to the workers."""
    from dissentwatch.learn.model import default_model_dir, load_model

    model = load_model(default_model_dir())
    with _store(tmp_path / "one.db") as one, _store(tmp_path / "dask.db") as dask:
        single = analyze_store(one, model=model)
        stats = analyze_store(dask, model=model, executor="dask", workers=2, partition_size=7)
        assert stats.documents == single.documents == 60
        assert stats.by_type == single.by_type and stats.mentions == single.mentions > 0
        assert _mentions(dask) == _mentions(one)
        assert _aggregates(dask) == _aggregates(one) and _state(dask) == _state(one)
        run = dask.query("SELECT status, stats FROM runs WHERE stage = 'analyze'")[0]
        assert run["status"] == "ok" and json.loads(run["stats"])["documents"] == 60
        assert analyze_store(dask, model=model, executor="dask", workers=2).documents == 0


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """The address of a running scheduler with two worker processes on 127.0.0.1."""
    with _cluster() as cluster:
        yield cluster.scheduler_address


def test_cli_with_an_explicit_scheduler(tmp_path: Path, db_path: Path, cli: Any, scheduler: str) -> None:
    """``--scheduler tcp://127.0.0.1:PORT`` of a running cluster; the workers load the packaged model."""
    with _store(tmp_path / "one.db") as one:
        analyze_store(one, model="default")
        expected = _mentions(one)
    _store(db_path).close()
    assert scheduler.startswith("tcp://127.0.0.1:")
    result = cli("analyze", "--executor", "dask", "--scheduler", scheduler, "--partition-size", "9", "--json")
    assert json.loads(result.output)["documents"] == 60
    with distributed.Client(scheduler) as client:  # the cluster is left running, its workers idle
        assert len(client.scheduler_info()["workers"]) == 2
    with Store(db_path) as store:
        assert _mentions(store) == expected
    assert "goes with --executor dask" in cli("analyze", "--scheduler", scheduler).output


def test_workers_of_another_version_stop_the_run(tmp_path: Path, scheduler: str, cli: Any,
                                                 db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The client's extractor differs from the workers' (their code is not patched): nothing is written."""
    from dissentwatch.analyze import pipeline
    from dissentwatch.analyze.dask_executor import ExecutorError

    monkeypatch.setattr(pipeline, "PIPELINE_VERSION", "analyze_pipeline.client-only")
    with _store(tmp_path / "dask.db") as store:
        with pytest.raises(ExecutorError, match="install the same dissentwatch"):
            analyze_store(store, model=None, executor="dask", scheduler=scheduler, partition_size=20)
        assert store.scalar("SELECT COUNT(*) FROM analysis_state") == 0
        assert store.scalar("SELECT COUNT(*) FROM mentions") == 0
        assert store.query("SELECT status FROM runs WHERE stage = 'analyze'")[0]["status"] == "failed"
    _store(db_path).close()
    result = cli("analyze", "--executor", "dask", "--scheduler", scheduler, "--rules-only")
    assert result.exit_code == 1 and "a worker analyzed as" in result.output


class _KillOnce:
    """A progress stage that kills one worker process, abruptly, after the first partition is written."""

    def __init__(self, client: Any) -> None:
        self.client, self.killed = client, 0

    def __call__(self, what: str, total: int | None, unit: str) -> _KillOnce:
        return self

    def update(self, n: int = 1) -> None:
        if not self.killed:
            pids = self.client.run(os.getpid)
            busy = [w for w, keys in self.client.processing().items() if keys] or list(pids)
            os.kill(pids[busy[0]], signal.SIGKILL)
            self.killed += 1

    def close(self) -> None:
        pass


@pytest.mark.parametrize("allowed_failures", [3, 0])
def test_a_worker_killed_mid_run_leaves_nothing_half_written(
        tmp_path: Path, reference: Store, allowed_failures: int) -> None:
    """With retries the run completes; with none it fails cleanly. Either way a rerun completes
    and the store holds exactly the single-process result: no duplicates, no partial document."""
    import dask

    from dissentwatch.analyze.dask_executor import ExecutorError

    with dask.config.set({"distributed.scheduler.allowed-failures": allowed_failures}), _cluster() as cluster, \
            distributed.Client(cluster) as client, _store(tmp_path / "dask.db") as store:
        killer = _KillOnce(client)
        try:
            first = analyze_store(store, model=None, executor="dask", scheduler=cluster.scheduler_address,
                                  partition_size=3, progress=killer)
            status = "ok"
        except ExecutorError as exc:
            assert isinstance(exc.__cause__, distributed.KilledWorker) and "run analyze again" in str(exc)
            first, status = None, "failed"
        assert killer.killed == 1
        run = store.query("SELECT status, stats FROM runs WHERE stage = 'analyze' ORDER BY id")[-1]
        assert run["status"] == status
        ids = [r[0] for r in store.query("SELECT id FROM documents ORDER BY id")]
        analyzed = {r[0] for r in store.query("SELECT document_id FROM analysis_state")}
        for lo in range(0, 60, 3):  # the partitions: each written whole or not at all
            assert len(analyzed & set(ids[lo : lo + 3])) in {0, 3}
        done = len(analyzed)
        if allowed_failures:
            assert first is not None and first.documents == 60
        client.wait_for_workers(2, timeout=30)
        rerun = analyze_store(store, model=None, executor="dask", scheduler=cluster.scheduler_address,
                              partition_size=3)
        assert rerun.documents == 60 - done
        assert store.scalar("SELECT COUNT(*) FROM analysis_state") == 60
        assert _mentions(store) == _mentions(reference)
        assert _aggregates(store) == _aggregates(reference) and _state(store) == _state(reference)
        keys = [r[0] for r in store.query("SELECT key FROM mentions")]
        assert len(keys) == len(set(keys))
        # writing a document's analysis again replaces it: same mentions, same ids, no duplicates
        before = {m.id for m in load_mentions(store)}
        store.conn.execute("UPDATE analysis_state SET extractor = 'old'")
        again = analyze_store(store, model=None, executor="dask", scheduler=cluster.scheduler_address,
                              partition_size=7)
        assert again.documents == 60 and {m.id for m in load_mentions(store)} == before
        assert _mentions(store) == _mentions(reference) and _aggregates(store) == _aggregates(reference)
