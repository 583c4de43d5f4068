"""Real transcription of clips generated here (espeak-ng + ffmpeg), fingerprints, bad files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from dissentwatch.store import Store

from .clips import clip, heard, needs_media, reupload, silent, speech

pytestmark = [pytest.mark.media, pytest.mark.slow, needs_media]

ENGLISH = "We are soldiers of the fifth brigade. We ask the president for help. We are not cannon fodder."
RUSSIAN = "Москва. Армия. Спасибо. Президент. Россия. Солдат."


@pytest.fixture(scope="module")
def transcriber() -> Iterator[object]:
    from dissentwatch.media.transcribe import Transcriber

    yield Transcriber(chunk_seconds=300)


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clips")
    en = clip(folder / "appeal_en.mp4", speech(folder / "en.wav", "en", ENGLISH, 140))
    ru = clip(folder / "appeal_ru.mp4", speech(folder / "ru.wav", "ru", RUSSIAN, 90))
    other = clip(folder / "other_video.mp4", folder / "ru.wav", "mandelbrot=size=640x360:rate=25")
    return {"en": en, "ru": ru, "ru_copy": reupload(ru, folder / "ru_reupload.mp4"), "other": other}


def test_english_transcript_has_the_spoken_words(transcriber, clips) -> None:  # type: ignore[no-untyped-def]
    transcript = transcriber.transcribe(clips["en"], "en")
    text = transcript.text
    assert transcript.language == "en"
    for word in ("soldiers", "brigade", "president", "cannon"):
        assert heard(text, word, 0.85), (word, text)
    assert 0 <= transcript.segments[0].start < transcript.segments[-1].end <= transcript.duration + 0.5


def test_russian_transcript_has_the_spoken_words(transcriber, clips) -> None:  # type: ignore[no-untyped-def]
    transcript = transcriber.transcribe(clips["ru"], "ru")
    assert transcript.language == "ru"
    # Whisper base writes the synthetic voice's vowels as heard ("Масква", "армир") and which words
    # it gets right varies between CPUs: six slow words, compared fuzzily, at least two heard
    found = [w for w in RUSSIAN.replace(".", "").split() if heard(transcript.text, w)]
    assert len(found) >= 2, transcript.text
    assert any("\u0400" <= ch <= "\u04ff" for ch in transcript.text)


def test_language_detected_when_not_given(transcriber, clips) -> None:  # type: ignore[no-untyped-def]
    assert transcriber.transcribe(clips["en"], "auto").language == "en"


def test_collect_media_stores_segments_fingerprints_and_copies(store: Store, transcriber, clips, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from dissentwatch.collect.media import MediaOptions, collect_media, span_to_time
    from dissentwatch.media.records import copies_of, span_to_time_stored
    from dissentwatch.store.documents import get_document

    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42 this is not a video at all" * 50)
    quiet = silent(tmp_path / "quiet.m4a")
    paths = [clips["en"], broken, quiet, clips["ru"], clips["ru_copy"], clips["other"]]
    stats = collect_media(store, paths, transcriber, MediaOptions(language=None, frame_every=2.0))
    assert stats.added == 4 and len(stats.errors) == 2
    assert "broken.mp4: not a readable audio/video file" in stats.errors[0]
    assert "quiet.m4a: the audio is silent" in stats.errors[1]

    en = get_document(store, store.scalar("SELECT id FROM documents WHERE title = 'appeal_en.mp4'"))
    assert en is not None and en["source_kind"] == "media" and en["language"] == "en"
    start = en["text"].casefold().index("president")
    times = span_to_time(dict(en), start, start + len("president"))
    assert times is not None and 1.0 < times[0] < times[1] <= 9.0
    assert span_to_time_stored(store, en["id"], start, start + 9) == times
    raw = json.loads(en["raw"])
    assert raw["transcript"]["segments"][0][2] == 0 and raw["vision"]["detector"]

    ids = {r["title"]: r["id"] for r in store.query("SELECT id, title FROM documents")}
    copies = copies_of(store, ids["appeal_ru.mp4"])
    assert [(c["document_id"], c["original_id"]) for c in copies] == [(ids["ru_reupload.mp4"], ids["appeal_ru.mp4"])]
    assert store.scalar("SELECT copy_of FROM documents WHERE id = ?", (ids["ru_reupload.mp4"],)) == ids["appeal_ru.mp4"]
    # same sound, different pictures: not the same video
    assert not store.query("SELECT 1 FROM media_copies WHERE document_id = ?", (ids["other_video.mp4"],))
    segments = store.scalar("SELECT COUNT(*) FROM transcript_segments WHERE document_id = ?", (ids["appeal_en.mp4"],))
    assert segments >= 1

    again = collect_media(store, [clips["en"]], transcriber, MediaOptions())
    assert again.unchanged == 1 and again.added == 0  # a re-run skips what is done


def test_cli_reports_a_corrupt_file_and_goes_on(cli, clips, tmp_path: Path, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "a_corrupt.webm").write_bytes(b"garbage" * 100)
    (folder / "b_appeal.mp4").write_bytes(clips["en"].read_bytes())
    result = cli("collect", "media", str(folder), "--language", "en", "--no-vision")
    assert result.exit_code == 1
    assert "a_corrupt.webm: not a readable audio/video file" in result.output
    assert "1 added" in result.output
    with Store(db_path) as store:
        assert "brigade" in store.scalar("SELECT text FROM documents WHERE source_kind = 'media'").lower()


def test_transcript_of_an_attachment_links_to_its_post(store: Store, transcriber, clips) -> None:  # type: ignore[no-untyped-def]
    from dissentwatch.collect.media import MediaOptions, store_media_file
    from dissentwatch.models import Document
    from dissentwatch.store.documents import IngestStats, ingest

    ingest(store, [Document("telegram", "some_channel/5", "Video appeal attached", outlet="some_channel")])
    doc = store_media_file(store, clips["en"], transcriber, MediaOptions(language="en", vision=False), None,
                           IngestStats(), parent_external_id="some_channel/5", outlet="some_channel")
    row = store.query("SELECT * FROM documents WHERE id = ?", (doc.id,))[0]
    parent = store.scalar("SELECT id FROM documents WHERE external_id = 'some_channel/5'")
    assert row["external_id"] == "some_channel/5#media" and row["parent_id"] == parent
    assert row["source_kind"] == "media" and row["outlet"] == "some_channel"


def test_long_audio_is_processed_in_chunks_with_progress(clips) -> None:  # type: ignore[no-untyped-def]
    from dissentwatch.media.transcribe import Transcriber

    chunked = Transcriber(chunk_seconds=3.0)
    seen: list[tuple[float, float]] = []
    transcript = chunked.transcribe(clips["en"], "en", progress=lambda done, total: seen.append((done, total)))
    assert len(seen) >= 2 and seen[-1][0] == seen[-1][1] == transcript.duration
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    starts = [s.start for s in transcript.segments]
    assert starts == sorted(starts) and transcript.segments[-1].end > 3.0  # times are file times
    assert heard(transcript.text, "president", 0.85)
