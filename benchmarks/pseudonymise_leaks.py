"""How many person names slip through ``--pseudonymise``, per language (default ../shared/data/train*.jsonl).

The gold files label events, not people (no field names a person: ``spokesperson`` is a flag), so
the names to look for come from a detector independent of the pseudonymiser's: in Cyrillic text
every run of capitalised words that pymorphy3 reads as a first name, surname or patronymic (its
``Name``/``Surn``/``Patr`` tags; no natasha); in Latin text every run of capitalised words that
starts with a common given name of the list below. Each found name is either public (the packaged
public-figure list or a title before it, as the pseudonymiser decides) or private; a private name
*leaks* when it is still in the pseudonymised text verbatim, and *leaks by lemma* when a word of
the pseudonymised text has the normal form of its surname (Петрова for Петров). Records whose gold
events quote a spokesperson's cue add nothing special: the gold has no name to add.

    PYTHONPATH=src python benchmarks/pseudonymise_leaks.py [DOCS.jsonl] [-v] [--no-models]

Prints, per language: records, names found, public kept, private, leaked verbatim and by lemma,
and how many pseudonyms the pseudonymiser wrote (its own detections, found or not by the above).
``-v`` lists the leaked names (to read them, not to copy: the texts are third-party).
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from dissentwatch.publish.pseudonymise import (
    PSEUDONYM_PATTERN,
    Detector,
    Pseudonymiser,
    name_words,
    token_key,
)

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
KEY = b"benchmark-key-not-secret-0123456789"
GIVEN = ["Alexander", "Aleksandr", "Alexandr", "Oleksandr", "Alexei", "Alexey", "Aleksei", "Oleksiy", "Oleksii", "Andrei", "Andrey", "Andriy", "Andrii", "Anton", "Artem", "Artyom", "Boris", "Bohdan", "Denis", "Dmitry", "Dmitri", "Dmytro", "Evgeny", "Evgeniy", "Yevgeny", "Yevhen", "Igor", "Ihor", "Ilya", "Ivan", "Kirill", "Konstantin", "Maxim", "Maksim", "Mikhail", "Mykhailo", "Nikita", "Nikolai", "Nikolay", "Mykola", "Oleg", "Pavel", "Pavlo", "Pyotr", "Petro", "Roman", "Ruslan", "Sergei", "Sergey", "Serhiy", "Serhii", "Stanislav", "Taras", "Timur", "Vadim", "Valery", "Valeriy", "Vasily", "Vasyl", "Viktor", "Vitaly", "Vladimir", "Volodymyr", "Vladislav", "Vyacheslav", "Yaroslav", "Yuri", "Yury", "Yuriy", "Anna", "Alla", "Alyona", "Anastasia", "Daria", "Darya", "Ekaterina", "Yekaterina", "Kateryna", "Elena", "Yelena", "Olena", "Galina", "Halyna", "Irina", "Iryna", "Ksenia", "Lyudmila", "Liudmyla", "Maria", "Mariya", "Marina", "Natalia", "Natalya", "Nataliya", "Nina", "Oksana", "Olga", "Olha", "Polina", "Svetlana", "Svitlana", "Tatiana", "Tatyana", "Tetiana", "Valentina", "Vera", "Viktoria", "Yulia", "Yuliya", "Julia", "John", "James", "Michael", "David", "Peter", "Paul", "Mark", "Thomas", "Robert", "William", "Richard", "Mary", "Sarah", "Emma", "Laura", "Jean", "Pierre", "Jacques", "Michel", "Philippe", "Nicolas", "Louis", "Marie", "Anne", "Sophie", "Claire", "Isabelle", "Catherine", "Nathalie"]
_GIVEN_KEYS = {token_key(g) for g in GIVEN}
_CAP_CYR = re.compile(r"[А-ЯЁІЇЄҐ][а-яёіїєґ'’]+(?:-[А-ЯЁІЇЄҐ][а-яёіїєґ'’]+)?")
_CAP_LAT = re.compile(r"[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ'’]+(?:-[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ'’]+)?")


def _morph() -> Any:
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


def _runs(text: str, pattern: re.Pattern[str]) -> list[list[re.Match[str]]]:
    """Runs of adjacent capitalised words (one space between)."""
    runs: list[list[re.Match[str]]] = []
    for m in pattern.finditer(text):
        if runs and text[runs[-1][-1].end() : m.start()] in (" ", "\u00a0"):
            runs[-1].append(m)
        else:
            runs.append([m])
    return runs


def names_in(text: str, morph: Any) -> list[tuple[int, int]]:
    """(start, end) of the person names the independent detector finds."""
    found = []
    for run in _runs(text, _CAP_CYR):
        person = []
        for m in run:
            best = morph.parse(m.group())[0]
            grammemes = set(str(best.tag).replace(" ", ",").split(","))
            person.append(bool({"Name", "Surn", "Patr"} & grammemes) and best.score >= 0.2)
        # the longest stretch of person words, of two or more, or one surname/patronymic-tagged word
        i = 0
        while i < len(run):
            if not person[i]:
                i += 1
                continue
            j = i
            while j + 1 < len(run) and person[j + 1]:
                j += 1
            if j > i or _single_person(run[i].group(), morph):
                found.append((run[i].start(), run[j].end()))
            i = j + 1
    for run in _runs(text, _CAP_LAT):
        for i, m in enumerate(run[:-1]):
            if token_key(m.group()) in _GIVEN_KEYS and m.group() in GIVEN:
                found.append((m.start(), run[min(i + 2, len(run)) - 1].end()))
                break
    return found


def _single_person(word: str, morph: Any) -> bool:
    """A lone capitalised word is a name when its best reading is a surname (not a first name:
    "Иван" alone is too often a street or a saint's day)."""
    best = morph.parse(word)[0]
    return "Surn" in str(best.tag) and best.score >= 0.5 and len(word) > 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("docs", nargs="?", type=Path, default=SHARED / "train.jsonl")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--no-models", action="store_true", help="Rules only (no natasha, no spaCy).")
    args = parser.parse_args()
    morph = _morph()
    pseudo = Pseudonymiser(KEY, detector=Detector(use_models=not args.no_models))
    stats: dict[str, Counter[str]] = defaultdict(Counter)
    leaks: list[tuple[str, str, str]] = []
    started = time.perf_counter()
    chars = 0
    for line in args.docs.read_text("utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        text, lang = record.get("text") or "", record.get("language") or "?"
        group = lang if lang in ("ru", "uk", "en", "fr") else "other"
        chars += len(text)
        out = pseudo.text(text, lang) or ""
        stats[group]["records"] += 1
        stats[group]["replaced"] += len(PSEUDONYM_PATTERN.findall(out))
        out_keys = {token_key(w) for w in re.findall(r"[^\W\d_]+", out)}
        for start, end in names_in(text, morph):
            name = text[start:end]
            stats[group]["names"] += 1
            if name in pseudo.public or pseudo._titled(text, start, end):
                stats[group]["public"] += 1
                continue
            stats[group]["private"] += 1
            words = name_words(name)
            if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", out):
                stats[group]["leaked"] += 1
                leaks.append((group, record["id"], name))
            elif words and token_key(words[-1]) in out_keys:
                stats[group]["leaked_lemma"] += 1
                leaks.append((group, record["id"], name + " (lemma)"))
    elapsed = time.perf_counter() - started
    print(f"{args.docs}: {sum(s['records'] for s in stats.values())} records, {chars:,} characters, "
          f"{elapsed:.1f} s ({'rules only' if args.no_models else 'models and rules'})")
    print(f"{'language':9} {'records':>7} {'names':>6} {'public':>6} {'private':>7} {'leaked':>6} {'by lemma':>8} "
          f"{'leak rate':>9} {'pseudonyms':>10}")
    total: Counter[str] = Counter()
    for group in ("ru", "uk", "en", "fr", "other"):
        s = stats.get(group)
        if not s:
            continue
        total.update(s)
        _row(group, s)
    _row("all", total)
    if args.verbose:
        for group, rid, name in leaks:
            print(f"  {group} {rid}: {name}")


def _row(group: str, s: Counter[str]) -> None:
    rate = (s["leaked"] + s["leaked_lemma"]) / s["private"] if s["private"] else 0.0
    print(f"{group:9} {s['records']:>7} {s['names']:>6} {s['public']:>6} {s['private']:>7} {s['leaked']:>6} "
          f"{s['leaked_lemma']:>8} {rate:>9.1%} {s['replaced']:>10}")


if __name__ == "__main__":
    main()
