"""Audio and video files → transcript documents, with segment times, vision fields, fingerprints.

``collect_media`` walks files and folders; each file is probed, its sound transcribed
(faster-whisper), its frames sampled for people and covered faces, and its fingerprint
compared with earlier files to spot re-uploads. A file is one transaction for the document
and one for its media rows; a file already processed by the same transcriber is skipped, so
a re-run resumes. A corrupt or silent file is reported and the batch goes on.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dissentwatch.media import MediaError
from dissentwatch.media.audio import probe
from dissentwatch.media.fingerprint import fingerprint
from dissentwatch.media.records import MediaRecord, save_media_record
from dissentwatch.media.transcribe import Progress, Segment, Transcriber
from dissentwatch.media.vision import VisionSummary, analyse_video
from dissentwatch.models import Document
from dissentwatch.store import Store
from dissentwatch.store.documents import IngestStats, ingest

log = logging.getLogger(__name__)

MEDIA_EXTENSIONS = frozenset(
    [".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".3gp", ".ts", ".mpg", ".mpeg", ".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".wav", ".flac"]
)


def iter_media_paths(paths: Iterable[Path]) -> Iterator[Path]:
    """Files given, and media files (by extension) inside folders given, in name order."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in MEDIA_EXTENSIONS)
        else:
            yield path


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def transcript_text(segments: list[Segment]) -> tuple[str, list[tuple[float, float, int, int]]]:
    """The transcript as one text (segments joined by a space) and each segment's char span."""
    parts: list[str] = []
    spans: list[tuple[float, float, int, int]] = []
    pos = 0
    for seg in segments:
        if parts:
            pos += 1
        spans.append((seg.start, seg.end, pos, pos + len(seg.text)))
        parts.append(seg.text)
        pos += len(seg.text)
    return " ".join(parts), spans


def span_to_time(document: Document | Mapping[str, Any], start: int, end: int) -> tuple[float, float] | None:
    """The time span (seconds into the video) that chars ``start:end`` of a transcript come from."""
    raw = document.raw if isinstance(document, Document) else document["raw"]
    if isinstance(raw, str):
        import json

        raw = json.loads(raw)
    spans = [s for s in raw.get("transcript", {}).get("segments", []) if s[3] > start and s[2] < max(end, start + 1)]
    return (float(spans[0][0]), float(spans[-1][1])) if spans else None


@dataclass
class MediaOptions:
    language: str | None = None
    vision: bool = True
    frame_every: float = 2.0
    progress: Callable[[Path], Progress | None] | None = None


def media_document(path: Path, transcriber: Transcriber, options: MediaOptions,
                   parent_external_id: str | None = None, **fields: Any) -> tuple[Document, MediaRecord]:
    """Transcribe and look at one file; the Document and the rows that go with it."""
    info = probe(path)
    sha = file_sha256(path)
    progress = options.progress(path) if options.progress else None
    transcript = transcriber.transcribe(path, options.language, progress)
    text, spans = transcript_text(transcript.segments)
    vision = analyse_video(path, info, options.frame_every) if options.vision and info.has_video else None
    record = MediaRecord(str(path), sha, info.as_dict(), transcript.language, transcriber.version, spans,
                         vision, fingerprint(path, info))
    external_id = fields.pop("external_id", None) or (
        f"{parent_external_id}#media" if parent_external_id else f"media:{sha[:20]}")
    raw = {"path": str(path), "sha256": sha, "media_info": info.as_dict(),
           "transcript": {"language": transcript.language, "language_probability": transcript.language_probability,
                          "duration": transcript.duration, "model": transcript.model,
                          "segments": [list(s) for s in spans]},
           "vision": vision.as_dict() if vision else None}
    doc = Document("media", external_id, text, title=fields.pop("title", path.name), language=transcript.language,
                   language_score=transcript.language_probability, parent_external_id=parent_external_id,
                   media=[{"type": "video" if info.has_video else "audio", "path": str(path),
                           "duration": info.duration}], raw=raw, **fields)
    return doc, record


def _already_done(store: Store, sha: str, transcriber: Transcriber) -> sqlite3.Row | None:
    rows = store.query("SELECT document_id FROM media_files WHERE sha256 = ? AND transcriber = ?",
                       (sha, transcriber.version))
    return rows[0] if rows else None


def collect_media(store: Store, paths: Iterable[Path], transcriber: Transcriber, options: MediaOptions,
                  run_id: int | None = None, stats: IngestStats | None = None) -> IngestStats:
    """Process every media file under ``paths``; errors are recorded and the batch goes on."""
    stats = stats or IngestStats()
    for path in iter_media_paths(paths):
        try:
            if path.is_file() and _already_done(store, file_sha256(path), transcriber):
                log.info("%s: already transcribed, skipped", path)
                stats.unchanged += 1
                continue
            store_media_file(store, path, transcriber, options, run_id, stats)
        except (MediaError, OSError) as exc:
            log.warning("%s", exc)
            stats.errors.append(str(exc))
    return stats


def store_media_file(store: Store, path: Path, transcriber: Transcriber, options: MediaOptions,
                     run_id: int | None, stats: IngestStats, parent_external_id: str | None = None,
                     **fields: Any) -> Document:
    """Process one file and store its document and media rows; re-uploads are logged."""
    doc, record = media_document(path, transcriber, options, parent_external_id, **fields)
    if not doc.text:
        log.warning("%s: no speech recognised", path)
    ingest(store, [doc], run_id=run_id, stats=stats)
    assert doc.id is not None
    for original, distance in save_media_record(store, doc.id, record):
        log.info("%s: re-upload of document %s (distance %.1f)", path, original, distance)
        stats.copies += 1
    return doc


def vision_only(path: Path) -> VisionSummary:
    """People and covered faces in one file, without transcription."""
    return analyse_video(path, probe(path))
