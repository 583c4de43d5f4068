"""Throughput and memory of ``collect telegram-export`` on a generated Telegram Desktop export.

    python benchmarks/bench_telegram_import.py --messages 1000000

Generates ``result.json`` (realistic Russian post lengths, entity lists, media, forwards, edits,
service messages) in a temporary folder, imports it into a fresh SQLite database with the real
collector and ``ingest``, and prints messages/s and peak RSS. Nothing is kept afterwards unless
``--keep DIR`` is given.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from dissentwatch.collect import prepare_bulk_import
from dissentwatch.collect.telegram_export import ImportCounts, collect_telegram_export
from dissentwatch.store import Store
from dissentwatch.store.documents import ingest

VOCABULARY = (
    "мобилизованные полк бригада обращение президенту командование штурм позиции снаряды "
    "артиллерия без поддержки родственники военнослужащие записали видео жалуются на "
    "отсутствие техники нас бросили на передовую требуем вывести ротацию отпуск выплаты "
    "командир батальона прокуратура заявление суд гарнизонный военный дезертирство часть "
    "область город Белгород Курская Брянская Воронеж Донецк направление окопы подвал "
    "угрожали расстрелом обещали тыл отправили штурмовать раненые погибшие медицинская помощь "
    "форма еда купили сами контракт подписать заставили мы не отказываемся воевать но "
    "мы были они вы это этот эти сказали бойцы солдаты жёны матери написали письмо "
    "военный комиссариат обещали выплаты которые так и не получили нам выдали старые "
    "автоматы патронов не хватает связи нет сутками сидим под обстрелами раненых не вывозят "
    "офицеры уехали в тыл мы остались одни просим разобраться и вернуть нас домой "
    "в видео десятки человек с закрытыми лицами говорят что их используют как пушечное мясо "
    "по словам адвоката дело рассматривает суд приговор составил пять лет колонии "
    "сообщил источник канала в министерстве обороны на запрос не ответили"
)
WORDS = VOCABULARY.split()
BASE_UNIX = 1_640_995_200  # 2022-01-01T00:00:00Z


def post_text(rng: random.Random) -> str:
    length = min(int(rng.lognormvariate(5.6, 0.8)), 4000)  # median ~270 chars, long tail
    words: list[str] = []
    size = 0
    while size < length:
        word = rng.choice(WORDS)
        words.append(word)
        size += len(word) + 1
    sentence = " ".join(words)
    return sentence[0].upper() + sentence[1:] + "."


def message(rng: random.Random, ident: int) -> dict[str, Any]:
    unix = BASE_UNIX + ident * 60
    msg: dict[str, Any] = {"id": ident, "type": "message", "date": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(unix + 10800)),
                           "date_unixtime": str(unix), "from": "Бенчмарк", "from_id": "channel1999999999"}
    roll = rng.random()
    if roll < 0.01:
        return {**msg, "type": "service", "action": "pin_message", "message_id": ident - 1, "text": "", "text_entities": []}
    text = post_text(rng) + f" #{ident}"
    if roll < 0.35:
        cut = len(text) // 3
        msg["text"] = [text[:cut], {"type": "bold", "text": "312-й полк"}, text[cut:],
                       " ", {"type": "text_link", "text": "источник", "href": f"https://example.org/{ident}"},
                       " ", {"type": "hashtag", "text": "#обращение"}]
    else:
        msg["text"] = text
    if roll > 0.9:
        msg.update({"photo": f"photos/photo_{ident}.jpg", "photo_file_size": 50000 + ident % 1000, "width": 1280, "height": 720})
    elif roll > 0.85:
        msg.update({"file": f"video_files/{ident}.mp4", "media_type": "video_file", "mime_type": "video/mp4",
                    "duration_seconds": 30 + ident % 200, "file_size": 5_000_000})
    if 0.5 < roll < 0.55:
        msg["forwarded_from"] = "Другой канал"
    if 0.6 < roll < 0.62:
        msg.update({"edited": msg["date"], "edited_unixtime": str(unix + 300)})
    return msg


def generate(path: Path, count: int, seed: int = 7) -> int:
    """Write an export of ``count`` messages, streaming; returns its size in bytes."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        out.write('{\n "name": "Бенчмарк",\n "type": "public_channel",\n "id": 1999999999,\n "messages": [\n')
        for ident in range(1, count + 1):
            out.write(("  " if ident == 1 else ",\n  ") + json.dumps(message(rng, ident), ensure_ascii=False))
        out.write("\n ]\n}\n")
    return path.stat().st_size


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_import(export: Path, db: Path, batch_size: int) -> tuple[float, float, int, ImportCounts]:
    """(wall seconds, CPU seconds of this process, documents added, counts)."""
    counts = ImportCounts()
    started, cpu_started = time.perf_counter(), time.process_time()
    with Store(db) as store:
        prepare_bulk_import(store)
        stats = ingest(store, collect_telegram_export(export, counts=counts), batch_size=batch_size)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if stats.errors:
        print("errors:", stats.errors[:5], file=sys.stderr)
    return elapsed, cpu, stats.added, counts


def stage_costs(export: Path, db: Path, batch_size: int) -> dict[str, float]:
    """CPU seconds for: parsing only (ijson); parsing + building documents (text, dates, media,
    language); that + the content hash and the JSON of the payload and media, as ``ingest`` makes
    them; and SQLite alone: the imported rows written again into a fresh store, in batches as the
    import writes them (row, unique index, copy index, full-text index, commit), with no Python
    work but binding the values."""
    from dissentwatch.collect.telegram_export import iter_messages, read_chat_header
    from dissentwatch.models import content_hash
    from dissentwatch.store.documents import _COLUMNS, _INSERT, payload_json

    shape, chat = read_chat_header(export)
    costs = {}
    started = time.process_time()
    for _ in iter_messages(export, shape, chat):
        pass
    costs["parse"] = time.process_time() - started
    started = time.process_time()
    for _ in collect_telegram_export(export, derive=False):
        pass
    costs["parse+documents"] = time.process_time() - started
    started = time.process_time()
    for doc in collect_telegram_export(export, derive=False):
        if hasattr(doc, "text"):
            content_hash(doc.text)
            payload_json(doc.raw)
            payload_json(doc.media)
    costs["parse+documents+hash+payload"] = time.process_time() - started
    costs["sqlite only"] = _sqlite_only(db, db.with_name("replay.db"), batch_size, _COLUMNS, _INSERT)
    return costs


def _sqlite_only(db: Path, replay: Path, batch_size: int, columns: tuple[str, ...], insert: str) -> float:
    import sqlite3

    for suffix in ("", "-wal", "-shm"):
        Path(f"{replay}{suffix}").unlink(missing_ok=True)
    source = sqlite3.connect(db)
    cpu = 0.0
    with Store(replay) as store:
        prepare_bulk_import(store)
        conn, last = store.conn, 0
        while True:
            rows = source.execute(f"SELECT id, {', '.join(columns)} FROM documents WHERE id > ? ORDER BY id LIMIT ?",
                                  (last, batch_size)).fetchall()
            if not rows:
                break
            last = rows[-1][0]
            started = time.process_time()
            with store.transaction():
                conn.execute("INSERT OR IGNORE INTO fts_deferred (flag) VALUES (1)")
                high = conn.execute("SELECT COALESCE(MAX(id), 0) FROM documents").fetchone()[0]
                for row in rows:
                    conn.execute(insert, row[1:])
                conn.execute("INSERT INTO documents_fts(rowid, title, text) SELECT id, title, text FROM documents "
                             "WHERE id > ?", (high,))
                conn.execute("DELETE FROM fts_deferred")
            cpu += time.process_time() - started
    source.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{replay}{suffix}").unlink(missing_ok=True)
    return cpu


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=20_000,
                        help="As collect telegram-export (default 20,000; fewer when texts pass 8M characters).")
    parser.add_argument("--keep", type=Path, help="Write the export and database here and keep them.")
    parser.add_argument("--profile", action="store_true", help="Print the top functions by time.")
    parser.add_argument("--stages", action="store_true",
                        help="Also time parsing, document building and hashing without the database, "
                             "and the database alone.")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="dw-bench-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        export, db = folder / "result.json", folder / "bench.db"
        db.unlink(missing_ok=True)
        started = time.perf_counter()
        size = generate(export, args.messages)
        print(f"generated {args.messages:,} messages, {size / 1e6:,.1f} MB in {time.perf_counter() - started:.1f} s",
              file=sys.stderr)
        profiler = cProfile.Profile() if args.profile else None
        if profiler:
            profiler.enable()
        elapsed, cpu, added, counts = run_import(export, db, args.batch_size)
        if profiler:
            profiler.disable()
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
        print(f"messages: {counts.messages:,}  documents added: {added:,}  "
              f"skipped: {counts.service:,} service, {counts.empty:,} empty")
        print(f"export: {size / 1e6:,.1f} MB  database: {db.stat().st_size / 1e6:,.1f} MB")
        print(f"import: {elapsed:,.1f} s  {counts.messages / elapsed:,.0f} messages/s  peak RSS {peak_rss_mb():,.0f} MB")
        print(f"CPU: {cpu:,.1f} s  {counts.messages / cpu:,.0f} messages per CPU-second "
              "(what one uncontended core would do)")
        if args.stages:
            for stage, seconds in stage_costs(export, db, args.batch_size).items():
                print(f"  {stage}: {seconds / counts.messages * 1e6:,.1f} µs/message")
            print(f"  full import: {cpu / counts.messages * 1e6:,.1f} µs/message (CPU)")


if __name__ == "__main__":
    main()
