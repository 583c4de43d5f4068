"""Storing what was heard and seen: segments, frame observations, fingerprints, copies."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from dissentwatch.media.fingerprint import Fingerprint, from_row, same_video
from dissentwatch.media.vision import VisionSummary
from dissentwatch.models import utcnow
from dissentwatch.store import Store


@dataclass
class MediaRecord:
    """Everything one media file yielded besides the transcript text."""

    path: str
    sha256: str
    info: dict[str, Any]
    language: str | None
    transcriber: str
    segments: list[tuple[float, float, int, int]]  # start time, end time, char start, char end
    vision: VisionSummary | None
    fingerprint: Fingerprint | None


def save_media_record(store: Store, document_id: int, record: MediaRecord) -> list[tuple[int, float]]:
    """Replace the media rows of ``document_id``; returns the re-upload matches found [(original, distance)]."""
    with store.transaction() as conn:
        for table in ("media_files", "transcript_segments", "vision_observations", "media_fingerprints"):
            conn.execute(f"DELETE FROM {table} WHERE document_id = ?", (document_id,))
        _insert_file(conn, document_id, record)
        conn.executemany(
            "INSERT INTO transcript_segments (document_id, seq, start_time, end_time, char_start, char_end) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(document_id, i, *seg) for i, seg in enumerate(record.segments)],
        )
        if record.vision:
            conn.executemany(
                "INSERT INTO vision_observations (document_id, frame_time, people, faces, covered, boxes) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(document_id, f.time, f.people, f.faces, f.covered, json.dumps(f.boxes))
                 for f in record.vision.frames],
            )
        return _save_fingerprint(conn, document_id, record.fingerprint) if record.fingerprint else []


def _insert_file(conn: sqlite3.Connection, document_id: int, record: MediaRecord) -> None:
    vision = record.vision or VisionSummary(None, None, None, None)
    covered = None if vision.faces_covered is None else int(vision.faces_covered)
    conn.execute(
        "INSERT INTO media_files (document_id, path, sha256, duration, audio_duration, width, height, "
        "language, transcriber, participants, participants_time, faces_covered, faces_covered_time, "
        "vision, processed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (document_id, record.path, record.sha256, record.info.get("duration"),
         record.info.get("audio_duration"), record.info.get("width"), record.info.get("height"),
         record.language, record.transcriber, vision.participants, vision.participants_time, covered,
         vision.faces_covered_time, vision.detector if record.vision else None, utcnow()),
    )


def _save_fingerprint(conn: sqlite3.Connection, document_id: int, fp: Fingerprint) -> list[tuple[int, float]]:
    conn.execute(
        "INSERT INTO media_fingerprints (document_id, method, duration, audio_duration, frame_hashes, created) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (document_id, fp.method, fp.duration, fp.audio_duration, json.dumps(fp.frame_hashes), utcnow()),
    )
    conn.execute("DELETE FROM media_copies WHERE document_id = ?", (document_id,))
    matches = []
    for row in conn.execute(
        "SELECT * FROM media_fingerprints WHERE document_id != ? AND method = ? ORDER BY document_id",
        (document_id, fp.method),
    ).fetchall():
        same, distance, count = same_video(fp, from_row(row))
        if same and row["document_id"] < document_id:
            matches.append((int(row["document_id"]), distance))
            conn.execute(
                "INSERT OR REPLACE INTO media_copies (document_id, original_id, distance, matched_frames, created) "
                "VALUES (?, ?, ?, ?, ?)", (document_id, row["document_id"], distance, count, utcnow()))
    if matches:
        conn.execute("UPDATE documents SET copy_of = COALESCE(copy_of, ?) WHERE id = ?", (matches[0][0], document_id))
    return matches


def span_to_time_stored(store: Store, document_id: int, start: int, end: int) -> tuple[float, float] | None:
    """The time span (seconds into the media file) that a character span of a transcript covers."""
    rows = store.query(
        "SELECT start_time, end_time FROM transcript_segments WHERE document_id = ? "
        "AND char_end > ? AND char_start < ? ORDER BY seq",
        (document_id, start, max(end, start + 1)),
    )
    if not rows:
        return None
    return float(rows[0]["start_time"]), float(rows[-1]["end_time"])


def copies_of(store: Store, document_id: int) -> list[sqlite3.Row]:
    """Documents recognised as re-uploads of ``document_id``'s video, or that it re-uploads."""
    return store.query(
        "SELECT * FROM media_copies WHERE document_id = ? OR original_id = ? ORDER BY document_id",
        (document_id, document_id),
    )
