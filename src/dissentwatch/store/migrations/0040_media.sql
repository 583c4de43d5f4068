-- Media: what was heard and seen in audio/video files, and which files are the same video.

-- One row per transcribed/analysed media file (a document with source_kind 'media').
CREATE TABLE media_files (
    document_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    path TEXT,                           -- where the file was read from
    sha256 TEXT NOT NULL,                -- of the file's bytes
    duration REAL,                       -- seconds (container)
    audio_duration REAL,                 -- seconds of audio stream
    width INTEGER,
    height INTEGER,
    language TEXT,                       -- the language transcribed (given or detected)
    transcriber TEXT,                    -- versioned component, e.g. whisper_transcribe.v1:packaged-whisper-base
    participants INTEGER,                -- people in view, estimated from sampled frames
    participants_time REAL,              -- evidence: the frame time (s) with that many people
    faces_covered INTEGER,               -- 1 / 0 / NULL (no people seen)
    faces_covered_time REAL,             -- evidence: a frame time (s) showing it
    vision TEXT,                         -- versioned detector name
    processed TEXT NOT NULL
);
CREATE INDEX media_files_sha256 ON media_files(sha256);

-- Transcript segments: character span of the document's text <-> time span in the file.
CREATE TABLE transcript_segments (
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    start_time REAL NOT NULL,
    end_time REAL NOT NULL,
    char_start INTEGER NOT NULL,
    char_end INTEGER NOT NULL,
    PRIMARY KEY (document_id, seq)
);
CREATE INDEX transcript_segments_chars ON transcript_segments(document_id, char_start);

-- What the detectors saw in each sampled frame.
CREATE TABLE vision_observations (
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    frame_time REAL NOT NULL,
    people INTEGER NOT NULL,
    faces INTEGER NOT NULL,
    covered INTEGER NOT NULL,            -- people detected whose face was not
    boxes TEXT NOT NULL DEFAULT '[]',    -- JSON [[x, y, w, h, "body"|"upper"|"face"], ...]
    PRIMARY KEY (document_id, frame_time)
);

-- Perceptual fingerprint: hashes of frames at fixed times plus the audio duration.
CREATE TABLE media_fingerprints (
    document_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    method TEXT NOT NULL,                -- e.g. dhash64@1s.v1
    duration REAL,
    audio_duration REAL,
    frame_hashes TEXT NOT NULL DEFAULT '[]', -- JSON list of 16-hex-digit hashes
    created TEXT NOT NULL
);
CREATE INDEX media_fingerprints_duration ON media_fingerprints(audio_duration);

-- Re-uploads: this document's video is the same source as an earlier one.
CREATE TABLE media_copies (
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    original_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    distance REAL NOT NULL,              -- median Hamming distance of matched frames (0..64)
    matched_frames INTEGER NOT NULL,
    created TEXT NOT NULL,
    PRIMARY KEY (document_id, original_id)
);
