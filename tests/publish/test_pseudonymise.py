"""``--pseudonymise``: private people's names become stable keyed pseudonyms in every export, inside
quotes too, with evidence spans that still point at their quotes; private links go, public figures
and outlets stay; no key is a clear refusal."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from pathlib import Path

import pytest

from dissentwatch.publish.dataset import export_dataset
from dissentwatch.publish.export import export_documents, export_events
from dissentwatch.publish.pseudonymise import (
    KEY_ENV,
    PSEUDONYM_PATTERN,
    Pseudonymiser,
    PseudonymKeyError,
    load_key,
    name_key,
    pseudonymiser_for,
)
from dissentwatch.publish.readonly import readonly_copy
from dissentwatch.store import Store
from pseudonymise_fixture import KEY, OTHER_KEY, PRIVATE, PUBLIC, TEXTS, seed_people


@pytest.fixture(scope="module")
def pseudo() -> Pseudonymiser:
    return Pseudonymiser(KEY)


@pytest.fixture
def people_store(store: Store) -> Store:
    seed_people(store)
    return store


def _private_in(text: str) -> list[str]:
    return [p for p in PRIVATE if p.casefold() in text.casefold()]


# -- the text ------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["ru", "uk", "en", "fr"])
def test_private_names_and_links_go_public_figures_and_outlets_stay(pseudo: Pseudonymiser, lang: str) -> None:
    out = pseudo.text(TEXTS[lang], lang) or ""
    assert _private_in(out) == []
    assert PSEUDONYM_PATTERN.search(out)
    for kept in PUBLIC:
        if kept in TEXTS[lang]:
            assert kept in out, (kept, out)


def test_the_same_person_gets_the_same_pseudonym_in_any_inflection_run_and_script(pseudo: Pseudonymiser) -> None:
    again = Pseudonymiser(KEY)
    assert name_key("Ивана Петрова") == name_key("Иван Петров") == name_key("Ivan Petrov")
    assert name_key("Петров Иван Иванович") == name_key("И. Петров Иван")
    assert name_key("Олени Коваленко") == name_key("Олена Коваленко") == name_key("Оленою Коваленко")
    assert pseudo.code("Ивану Петрову") == again.code("Иван Петров") == pseudo.code("Ivan Petrov")
    ru = pseudo.text(TEXTS["ru"], "ru") or ""
    assert ru.count(f"Лицо {pseudo.code('Иван Петров')}") == 2  # «Иван Петров» and «Ивана Петрова»
    assert f"Лицо {pseudo.code('Анна Петрова')}" in ru
    # a later mention of the surname alone is the same person
    fr = pseudo.text(TEXTS["fr"], "fr") or ""
    assert fr.count(f"Personne {pseudo.code('Pierre Valmont')}") == 2
    assert pseudo.text(TEXTS["uk"], "uk") == again.text(TEXTS["uk"], "uk")


def test_another_key_gives_other_pseudonyms() -> None:
    one, other = Pseudonymiser(KEY), Pseudonymiser(OTHER_KEY)
    assert one.code("Иван Петров") != other.code("Иван Петров")
    assert one.text(TEXTS["en"], "en") != other.text(TEXTS["en"], "en")


def test_private_account_links_dropped_outlet_links_kept(pseudo: Pseudonymiser) -> None:
    for private in ("https://t.me/anna_petrova_77", "t.me/someone_private", "https://vk.com/id4455667",
                    "https://www.facebook.com/profile.php?id=100012345", "facebook.com/oksana.kovalenko.5",
                    "https://instagram.com/mary.harrow", "https://x.com/claire_valmont/status/1", "https://ok.ru/profile/5"):
        assert pseudo.url(private) is None, private
    for public in ("https://t.me/mediazzzona/4321", "https://t.me/s/astrapress", "https://zona.media/article/1",
                   "https://www.themoscowtimes.com/2024/05/04/a-story", "https://vk.com/wall-12345_678"):
        assert pseudo.url(public) == public
    out = pseudo.text("Пишите @anna_petrova77, ivan.petrov@example.org или +7 912 345-67-89; канал @astrapress.", "ru") or ""
    assert "anna_petrova77" not in out and "example.org" not in out and "345-67" not in out
    assert "@astrapress" in out


def test_a_collected_channel_keeps_its_links(people_store: Store) -> None:
    people_store.conn.execute("UPDATE documents SET source_kind = 'telegram' WHERE external_id = 'tg/ru1'")
    bound = Pseudonymiser(KEY, store=people_store)
    assert bound.url("https://t.me/somechannel/12") == "https://t.me/somechannel/12"
    assert Pseudonymiser(KEY).url("https://t.me/somechannel/12") is None


def test_a_users_list_of_public_figures_is_kept(tmp_path: Path) -> None:
    extra = tmp_path / "public.txt"
    extra.write_text("# our governor\nМария Valmontova\nPierre Valmont\n", "utf-8")
    keeping = pseudonymiser_for(key_file=_key_file(tmp_path), public_figures=extra)
    out = keeping.text(TEXTS["fr"], "fr") or ""
    assert "Pierre Valmont" in out and "Claire Valmont" not in out


def test_offsets_map_into_the_pseudonymised_text(pseudo: Pseudonymiser) -> None:
    text = TEXTS["ru"]
    redacted = pseudo.redact(text, "ru")
    quote = "министр обороны Андрей Белоусов не ответил"
    start = text.index(quote)
    new_start, new_end = redacted.span(start, start + len(quote))
    assert redacted.text[new_start:new_end] == quote
    # a span that holds a name holds its pseudonym
    span = "Жена Ивана Петрова, Анна Петрова"
    s = text.index(span)
    a, b = redacted.span(s, s + len(span))
    assert redacted.text[a:b].startswith("Жена Лицо ") and "Петров" not in redacted.text[a:b]


# -- the export shapes -----------------------------------------------------------------------------


def test_event_evidence_spans_are_recomputed_against_the_pseudonymised_text(people_store: Store) -> None:
    from dissentwatch.publish.export import iter_events

    bound = Pseudonymiser(KEY, store=people_store)
    for event in bound.events(iter_events(people_store)):
        for e in event["evidence"]:
            assert _private_in(e["quote"]) == [], e
            doc = people_store.query("SELECT text, language FROM documents WHERE external_id = ?",
                                     (e["document_id"],))[0]
            assert bound.redact(doc["text"], doc["language"]).text[e["start"] : e["end"]] == e["quote"]
        for s in event["sources"]:
            assert s["url"] is None or "claire_valmont" not in s["url"]


def test_without_the_documents_quotes_are_pseudonymised_and_spans_dropped(people_store: Store,
                                                                           pseudo: Pseudonymiser) -> None:
    from dissentwatch.publish.export import iter_events

    events = [Pseudonymiser(KEY).event(e) for e in iter_events(people_store)]
    quotes = [e for ev in events for e in ev["evidence"]]
    assert quotes and all(e["start"] is None and e["end"] is None for e in quotes)
    assert not _private_in(json.dumps(events, ensure_ascii=False))


def _key_file(tmp_path: Path) -> Path:
    path = tmp_path / "pseudonym.key"
    path.write_bytes(KEY + b"\n")
    return path


def _grep(paths: list[Path]) -> list[str]:
    found = []
    for path in paths:
        if path.suffix == ".parquet":
            import pyarrow.parquet as pq

            text = json.dumps(pq.read_table(path).to_pylist(), ensure_ascii=False)
        else:
            text = path.read_bytes().decode("utf-8", errors="replace")
        found += [f"{path.name}: {p}" for p in _private_in(text)]
    return found


@pytest.mark.parametrize("fmt", ["json", "ndjson", "csv", "geojson", "parquet"])
def test_events_exports_in_every_format_hold_no_private_name(people_store: Store, tmp_path: Path, fmt: str) -> None:
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    plain, pseudonymised = tmp_path / f"plain.{fmt}", tmp_path / f"pseudo.{fmt}"
    assert export_events(people_store, fmt, plain) == 4
    assert export_events(people_store, fmt, pseudonymised, pseudonymiser=Pseudonymiser(KEY)) == 4
    assert _grep([plain])  # the names are there to be removed
    assert _grep([pseudonymised]) == []
    if fmt == "json":
        events = json.loads(pseudonymised.read_text("utf-8"))
        assert "Андрей Белоусов" not in json.dumps(events, ensure_ascii=False)  # not quoted as evidence
        assert any(PSEUDONYM_PATTERN.search(e["quote"]) for ev in events for e in ev["evidence"])
    if fmt == "csv":
        rows = list(csv.DictReader(pseudonymised.open(encoding="utf-8-sig", newline="")))
        assert all("claire_valmont" not in r["source_urls"] for r in rows)


@pytest.mark.parametrize("fmt", ["json", "ndjson", "csv", "parquet"])
def test_documents_exports_hold_no_private_name(people_store: Store, tmp_path: Path, fmt: str) -> None:
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    people_store.conn.execute("UPDATE documents SET title = 'Жена Ивана Петрова рассказала' WHERE external_id = 'tg/ru1'")
    out = tmp_path / f"docs.{fmt}"
    assert export_documents(people_store, fmt, out, pseudonymiser=Pseudonymiser(KEY)) == 4
    assert _grep([out]) == []


def test_dataset_package_holds_no_private_name_and_says_it_is_pseudonymised(people_store: Store, tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    report = export_dataset(people_store, tmp_path / "pkg", pseudonymiser=Pseudonymiser(KEY))
    assert report.events == 4 and report.pseudonymised
    files = sorted((tmp_path / "pkg").iterdir())
    assert _grep(files) == []
    assert "Pseudonymised" in (tmp_path / "pkg" / "README.md").read_text("utf-8")
    assert "Pseudonymised" in json.loads((tmp_path / "pkg" / "datapackage.json").read_text("utf-8"))["description"]


def test_sqlite_copy_holds_no_private_name_in_any_byte(people_store: Store, tmp_path: Path) -> None:
    plain, out = tmp_path / "plain.db", tmp_path / "copy.db"
    readonly_copy(people_store, plain)
    readonly_copy(people_store, out, pseudonymiser=Pseudonymiser(KEY))
    assert _grep([plain])  # a byte-level search finds them where they are
    assert _grep([out]) == []  # not in a table, the full-text index or a free page
    conn = sqlite3.connect(out)
    try:
        for text, start, end, quote in conn.execute(
                'SELECT d.text, e.start, e."end", e.quote FROM evidence e JOIN documents d ON d.id = e.document_id'):
            assert text[start:end] == quote
        assert conn.execute("SELECT count(*) FROM documents_fts WHERE documents_fts MATCH 'Лицо'").fetchone()[0] >= 1
        assert conn.execute("SELECT count(*) FROM documents_fts WHERE documents_fts MATCH 'Harrow'").fetchone()[0] == 0
    finally:
        conn.close()
    # the store itself is untouched
    assert _private_in(str(people_store.scalar("SELECT group_concat(text) FROM documents")))


# -- the command line ------------------------------------------------------------------------------


def test_cli_refuses_without_a_key_and_pseudonymises_with_one(people_store: Store, cli, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    refused = cli("export", "events", "--pseudonymise")
    assert refused.exit_code == 2 and "--pseudonym-key-file" in refused.output and KEY_ENV in refused.output
    assert cli("export", "events", "--pseudonym-key-file", str(_key_file(tmp_path))).exit_code == 2  # no flag
    short = tmp_path / "short.key"
    short.write_text("abc")
    assert "at least 16 bytes" in cli("export", "events", "--pseudonymise", "--pseudonym-key-file", str(short)).output
    done = cli("export", "events", "--pseudonymise", "--pseudonym-key-file", str(_key_file(tmp_path)))
    assert done.exit_code == 0 and not _private_in(done.stdout) and PSEUDONYM_PATTERN.search(done.stdout)
    monkeypatch.setenv(KEY_ENV, KEY.decode())
    by_env = cli("export", "events", "--pseudonymise")
    assert by_env.stdout == done.stdout  # the same key, the same pseudonyms
    for args in (["documents", "--format", "csv"], ["sqlite", "--out", str(tmp_path / "c.db")],
                 ["dataset", str(tmp_path / "pkg")]):
        assert cli("export", *args, "--pseudonymise").exit_code == 0, args
    assert _grep([tmp_path / "c.db", *sorted((tmp_path / "pkg").iterdir())]) == []


def test_the_key_is_read_not_stored(tmp_path: Path) -> None:
    with pytest.raises(PseudonymKeyError, match="needs a secret key"):
        load_key(env={})
    with pytest.raises(PseudonymKeyError, match="cannot read"):
        load_key(tmp_path / "absent.key")
    assert load_key(_key_file(tmp_path)) == KEY
    assert load_key(env={KEY_ENV: KEY.decode()}) == KEY
    assert KEY.decode() not in repr(Pseudonymiser(KEY))
    with pytest.raises(PseudonymKeyError):
        Pseudonymiser(b"short")


def test_a_pseudonym_looks_like_one(pseudo: Pseudonymiser) -> None:
    assert re.fullmatch(r"Person [0-9A-F]{6}", pseudo.pseudonym("John Harrow", "en"))
    assert pseudo.pseudonym("Тарас Коваленко", "uk").startswith("Особа ")
    assert pseudo.pseudonym("Pierre Valmont", "fr").startswith("Personne ")


def test_a_private_channels_ids_and_links_become_opaque(store: Store, tmp_path: Path) -> None:
    from dissentwatch.resolve.resolver import resolve_mentions
    from eventfactory import add_document, mention, save

    doc = add_document(store, "ivan_private_ch/5", "Солдат записал видеообращение 3 мая.",
                       published="2024-05-03T10:00:00Z", outlet="ivan_private_ch",
                       url="https://t.me/ivan_private_ch/5")
    save(store, doc, mention(store, doc, "video_appeal", "записал видеообращение"))
    resolve_mentions(store)
    out = tmp_path / "copy.db"
    readonly_copy(store, out, pseudonymiser=Pseudonymiser(KEY))
    assert b"ivan_private_ch" not in out.read_bytes()
    events = tmp_path / "events.json"
    export_events(store, "json", events, pseudonymiser=Pseudonymiser(KEY))
    source = json.loads(events.read_text("utf-8"))[0]["sources"][0]
    assert source["url"] is None and re.fullmatch(r"tg-[0-9a-f]{8}/5", source["document_id"])
    assert source["outlet"].startswith("tg-")


def test_the_spokesperson_evidence_marks_a_name_no_detector_found(store: Store, tmp_path: Path) -> None:
    from dissentwatch.publish.export import iter_events
    from dissentwatch.publish.pseudonymise import Detector
    from dissentwatch.resolve.resolver import resolve_mentions
    from eventfactory import add_document, mention, save

    text = "В ролике выступает Крутогоров из 7-й роты, остальные стоят молча."
    doc = add_document(store, "files/spk", text, published="2024-05-03T10:00:00Z")
    save(store, doc, mention(store, doc, "video_appeal", "В ролике", fields={"spokesperson": True},
                             evidence={"spokesperson": "выступает Крутогоров из 7-й роты"}))
    resolve_mentions(store)
    rules_only = Detector(use_models=False)
    assert "Крутогоров" in (Pseudonymiser(KEY, detector=rules_only).text(text, "ru") or "")  # no rule reaches it
    bound = Pseudonymiser(KEY, detector=rules_only, store=store)
    quotes = [e["quote"] for ev in bound.events(iter_events(store)) for e in ev["evidence"]]
    assert quotes and not any("Крутогоров" in q for q in quotes)
    assert any(PSEUDONYM_PATTERN.search(q) for q in quotes)
    out = tmp_path / "copy.db"
    readonly_copy(store, out, pseudonymiser=Pseudonymiser(KEY, detector=rules_only))
    assert "Крутогоров".encode() not in out.read_bytes()


def test_report_pseudonymises_its_quotes(people_store: Store, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("matplotlib")
    plain, hidden = tmp_path / "plain.md", tmp_path / "hidden.md"
    period = ("--since", "2024-05-01", "--until", "2024-06-30", "--format", "md")
    assert cli("report", *period, "--out", str(plain)).exit_code == 0
    assert "claire_valmont" in plain.read_text("utf-8")  # the brief links a private account
    done = cli("report", *period, "--out", str(hidden), "--pseudonymise", "--pseudonym-key-file", str(_key_file(tmp_path)))
    assert done.exit_code == 0, done.output
    text = hidden.read_text("utf-8")
    assert _private_in(text) == [] and "RFI" in text  # the link is dropped, the outlet kept


def test_a_relative_is_private_even_after_a_title_a_few_words_before(pseudo: Pseudonymiser) -> None:
    # a capitalised word mid-sentence opens the span; the role inside it names a relative, and the
    # title a few words earlier is someone else's
    text = "Про це повідомив командир роти Його мати Оксана Коваленко розповіла журналістам."
    out = pseudo.text(text, "uk") or ""
    assert "Коваленко" not in out and f"Особа {pseudo.code('Оксана Коваленко')}" in out
    assert "мати" in out  # the role stays, only the name goes
