"""Throughput of the analyze stage, and what the gate loses on a labelled set.

    python benchmarks/bench_analyze.py [--docs 100000] [--workers 2] [--model both|on|off]
                                       [--stream ../shared/data/stream]
                                       [--executor local|dask] [--scheduler tcp://HOST:PORT] [--partition-size 2000]
                                       [--dev ../shared/data/dev.jsonl --gold ../shared/data/dev_gold.jsonl]

Generates posts from templates written for this benchmark (mostly ordinary news, about one in
eight reporting an event, Telegram-style markup and emoji mixed in), or, with ``--stream``, takes
the real posts of Telegram Desktop exports (repeated until ``--docs``), stores them in a temporary
SQLite database, runs ``analyze_store`` with the packaged learned model (``on``) and with the rules
alone (``off``) and prints documents per second of each. With ``--dev``/``--gold`` it also prints
the share of gold-relevant documents the gate would drop.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from dissentwatch.analyze.gate import passes_gate
from dissentwatch.analyze.normalise import matching_view
from dissentwatch.analyze.pipeline import analyze_store, analyze_text
from dissentwatch.models import Document
from dissentwatch.store import Store
from dissentwatch.store.documents import ingest

FILLER = {
    "ru": [
        "В {city} завершили ремонт моста через реку, движение открыто в обе стороны.",
        "Синоптики обещают в выходные до {n} градусов тепла и кратковременные дожди.",
        "Центральный банк сохранил ключевую ставку, аналитики ждут снижения к осени.",
        "Футбольный клуб из {city} обыграл соперника со счетом 2:1 в гостевом матче.",
        "Мэрия {city} объявила о продлении программы капитального ремонта школ.",
        "Цены на бензин выросли на {n} копеек за неделю, сообщает статистическое ведомство.",
        "На выставке в {city} показали более {n} работ молодых художников.",
        "Минобороны сообщило об отражении атак на {city}ском направлении.",
        "Объявлен набор добровольцев для помощи пострадавшим от паводка.",
        "Жители района жалуются на перебои с горячей водой уже третью неделю.",
    ],
    "en": [
        "The city council of {city} approved a new budget for public transport on Monday.",
        "Shares of the largest retailer rose {n} percent after strong quarterly results.",
        "Forecasters expect heavy snow across the region over the weekend.",
        "The national team won its qualifier {n}-1 and moves on to the next round.",
        "A new bridge in {city} opened to traffic after three years of construction.",
        "Officials said the grain corridor handled more than {n} ships last month.",
        "The defence ministry reported new strikes on infrastructure overnight.",
        "Residents complained about noise from the construction site near the station.",
    ],
    "uk": [
        "У {city} відкрили новий центр надання адміністративних послуг.",
        "Синоптики прогнозують мокрий сніг і до {n} градусів морозу.",
        "Генштаб повідомив про відбиття {n} атак на кількох напрямках.",
        "Ціни на овочі в супермаркетах зросли за місяць на кілька відсотків.",
    ],
    "fr": [
        "La mairie de {city} a présenté son nouveau plan de circulation pour le centre-ville.",
        "Les prévisions annoncent des orages et jusqu'à {n} degrés dans le sud.",
        "Le championnat reprend ce week-end après la trêve internationale.",
        "Le ministère a annoncé de nouvelles frappes sur des dépôts de carburant.",
    ],
}
EVENTS = {
    "ru": [
        "Мобилизованные из {n}-го мотострелкового полка записали видеообращение к президенту и жалуются, "
        "что их бросили на передовую без артиллерии.",
        "Около {n} контрактников {n}-й бригады отказались идти на штурм, сообщает телеграм-канал.",
        "Жены мобилизованных из {city}ской области направили коллективное письмо губернатору.",
        "Военный суд приговорил рядового к {n} годам колонии за самовольное оставление части.",
    ],
    "en": [
        "Soldiers of the {n}th brigade recorded a video appeal to the defence minister, complaining of "
        "heavy losses and no fire support.",
        "A group of {n} servicemen refused to return to the front, their relatives told reporters.",
    ],
    "uk": ["Мобілізовані окупанти з {n}-го полку записали відеозвернення до Путіна і скаржаться на командування."],
    "fr": ["Des soldats russes du {n}e régiment ont refusé de monter à l'assaut, selon un média indépendant."],
}
CITIES = ["Твер", "Курск", "Омск", "Lyon", "Perm", "Kazan", "Львів", "Самар"]
DECOR = ["", "🔥 ", "**Срочно**: ", "#новости ", "⚡️ ", "__Важно__ "]


def make_post(rng: random.Random, relevant: bool) -> tuple[str, str]:
    lang = rng.choices(["ru", "en", "uk", "fr"], weights=[6, 2, 1, 1])[0]
    sentences = [rng.choice(FILLER[lang]) for _ in range(rng.randint(3, 9))]
    if relevant:
        sentences.insert(rng.randint(0, len(sentences)), rng.choice(EVENTS[lang]))
    text = rng.choice(DECOR) + " ".join(sentences)
    return lang, text.format(city=rng.choice(CITIES), n=rng.randint(2, 1500))


def generate(n: int, seed: int = 7, share_relevant: float = 0.12) -> list[Document]:
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        lang, text = make_post(rng, rng.random() < share_relevant)
        docs.append(Document("files", f"bench/{i}", text, language=lang, published="2024-01-01T00:00:00Z"))
    return docs


def stream_posts(paths: list[Path], n: int) -> list[Document]:
    """The text posts of Telegram exports, cycled to ``n`` documents (each with its own id)."""
    from dissentwatch.learn.dataset import stream_examples

    posts = stream_examples(paths, only_candidates=False)
    if not posts:
        raise SystemExit(f"no text posts in {', '.join(map(str, paths))}")
    return [Document("files", f"bench/{i}", posts[i % len(posts)].text, language=posts[i % len(posts)].language,
                     published="2024-01-01T00:00:00Z") for i in range(n)]


def run_stage(docs: list[Document], workers: int, model: str, executor: str = "local", scheduler: str | None = None,
              partition_size: int = 2000) -> None:
    """One analyze run over a fresh store: ``model`` "on" (the packaged model) or "off" (rules);
    ``executor`` "dask" times the Dask executor, a LocalCluster's start included."""
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "bench.db") as store:
        started = time.perf_counter()
        ingest(store, docs, batch_size=2000)
        print(f"ingest (not part of analyze): {time.perf_counter() - started:.1f} s", file=sys.stderr)
        stats = analyze_store(store, workers=workers, batch_size=2000, model="default" if model == "on" else None,
                              executor=executor, scheduler=scheduler, partition_size=partition_size)
        judge = "learned model" if model == "on" else "rules alone"
        where = f"{executor} executor" + (f" at {scheduler}" if scheduler else "")
        print(f"analyze stage with store, {where}, {workers} workers, {judge}: {stats.documents} documents in "
              f"{stats.seconds:.1f} s = {stats.documents / stats.seconds:,.0f} docs/s "
              f"({stats.gated} reached the judge, {stats.relevant} relevant, {stats.mentions} mentions)")


def gate_loss(dev: Path, gold: Path) -> tuple[int, int, list[str]]:
    relevant = {r["id"] for r in map(json.loads, gold.read_text(encoding="utf-8").splitlines()) if r["events"]}
    lost = []
    for record in map(json.loads, dev.read_text(encoding="utf-8").splitlines()):
        if record["id"] in relevant and not passes_gate(matching_view(record["text"])):
            lost.append(record["id"])
    return len(lost), len(relevant), lost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--model", choices=["both", "on", "off"], default="both",
                        help="Judge with the packaged learned model, the rules alone, or both in turn.")
    parser.add_argument("--stream", type=Path, action="append",
                        help="Real posts: a Telegram export folder (or a folder of them); repeatable.")
    parser.add_argument("--dev", type=Path)
    parser.add_argument("--gold", type=Path)
    parser.add_argument("--executor", choices=["local", "dask"], default="local")
    parser.add_argument("--scheduler", help="With --executor dask: tcp://HOST:PORT (default: a LocalCluster).")
    parser.add_argument("--partition-size", type=int, default=2000)
    parser.add_argument("--no-fields", action="store_true", help="Measure the rules without the field extractors.")
    args = parser.parse_args()
    if args.no_fields:
        from dissentwatch.analyze import pipeline

        pipeline.field_extractor.cache_clear()
        pipeline.field_extractor = lambda: (None, "fields:none")  # type: ignore[assignment]
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    docs = stream_posts(args.stream, args.docs) if args.stream else generate(args.docs)
    chars = sum(len(d.text) for d in docs)
    print(f"generated {len(docs)} documents, mean {chars / len(docs):.0f} characters", file=sys.stderr)
    started = time.perf_counter()
    gated = sum(passes_gate(matching_view(d.text)) for d in docs)
    gate_s = time.perf_counter() - started
    print(f"gate alone: {len(docs) / gate_s:,.0f} docs/s, {gated / len(docs):.1%} pass")
    sample = docs[:5000]
    started = time.perf_counter()
    for d in sample:
        analyze_text(d.text, 0, d.language, d.published)
    print(f"analyze_text, one process, no store: {len(sample) / (time.perf_counter() - started):,.0f} docs/s")
    for model in (["on", "off"] if args.model == "both" else [args.model]):
        run_stage(docs, args.workers, model, args.executor, args.scheduler, args.partition_size)
    if args.dev and args.gold:
        lost, total, ids = gate_loss(args.dev, args.gold)
        print(f"gate loss on {args.dev.name}: {lost}/{total} gold-relevant documents = {lost / total:.1%} {ids}")


if __name__ == "__main__":
    main()
