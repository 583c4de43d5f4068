-- The core of the store: documents, runs, mentions with their evidence, aggregates,
-- events with their sources, relations and analysts' decisions.
-- Times are ISO-8601 UTC text ("2023-03-06T12:00:00Z"); JSON lives in TEXT columns.

CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    stage TEXT NOT NULL,                 -- collect / analyze / resolve / watch ...
    command TEXT,                        -- what was run, e.g. "collect files demo/"
    code_version TEXT NOT NULL,          -- dissentwatch version
    components TEXT NOT NULL DEFAULT '{}', -- JSON {component: versioned name}
    started TEXT NOT NULL,
    finished TEXT,
    status TEXT NOT NULL DEFAULT 'running', -- running / ok / failed / interrupted
    stats TEXT NOT NULL DEFAULT '{}'      -- JSON counts
);

CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    source_kind TEXT NOT NULL,           -- telegram_export / telegram / feed / web / files / media
    external_id TEXT NOT NULL,           -- the id as imported: "<channel>/<message id>", a JSONL id, a URL
    url TEXT,
    outlet TEXT,                         -- outlet or channel
    author TEXT,
    title TEXT,
    published TEXT,                      -- UTC
    collected TEXT NOT NULL,
    updated TEXT NOT NULL,
    language TEXT,
    language_score REAL,
    text TEXT NOT NULL,
    content_hash TEXT NOT NULL,          -- sha256 of the normalised text
    copy_of INTEGER REFERENCES documents(id) ON DELETE SET NULL, -- first document with the same text
    parent_id INTEGER REFERENCES documents(id) ON DELETE SET NULL, -- e.g. the post a transcript came from
    edited TEXT,
    forwarded_from TEXT,
    reply_to TEXT,
    media TEXT NOT NULL DEFAULT '[]',    -- JSON list of media references
    raw TEXT NOT NULL DEFAULT '{}',      -- JSON, the source's own payload
    version INTEGER NOT NULL DEFAULT 1,  -- bumped when the text changes (edits)
    run_id INTEGER REFERENCES runs(id),
    UNIQUE (source_kind, external_id)
);
CREATE INDEX documents_hash ON documents(content_hash);
CREATE INDEX documents_published ON documents(published);
CREATE INDEX documents_external_id ON documents(external_id);
CREATE INDEX documents_outlet ON documents(outlet);

CREATE TABLE document_history (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    text TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    edited TEXT,
    replaced TEXT NOT NULL
);
CREATE INDEX document_history_document ON document_history(document_id);

CREATE VIRTUAL TABLE documents_fts USING fts5(
    title, text, content='documents', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER documents_ai AFTER INSERT ON documents BEGIN
    INSERT INTO documents_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
END;
CREATE TRIGGER documents_ad AFTER DELETE ON documents BEGIN
    INSERT INTO documents_fts(documents_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
END;
CREATE TRIGGER documents_au AFTER UPDATE OF title, text ON documents BEGIN
    INSERT INTO documents_fts(documents_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
    INSERT INTO documents_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
END;

-- Where a collector stopped, and what a server told it (ETag, Last-Modified, last message id).
CREATE TABLE collector_state (
    key TEXT PRIMARY KEY,                -- e.g. "feed:https://...", "telegram:@channel"
    value TEXT NOT NULL DEFAULT '{}',    -- JSON
    updated TEXT NOT NULL
);

-- What analyze has seen: incremental runs skip documents whose hash and extractor are unchanged.
CREATE TABLE analysis_state (
    document_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    content_hash TEXT NOT NULL,
    extractor TEXT NOT NULL,
    relevant INTEGER NOT NULL DEFAULT 0,
    analyzed TEXT NOT NULL,
    run_id INTEGER REFERENCES runs(id)
);

CREATE TABLE mentions (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,            -- stable across re-analysis: "<document id>:<type>:<start>"
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    by_relatives INTEGER NOT NULL DEFAULT 0,
    fields TEXT NOT NULL DEFAULT '{}',   -- JSON, export shape of DESIGN.md
    confidence REAL NOT NULL DEFAULT 0.5,
    extractor TEXT NOT NULL,             -- versioned component name, e.g. "rules_ru.v1"
    start INTEGER NOT NULL DEFAULT 0,    -- span of the text that reports the event
    "end" INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL,
    run_id INTEGER REFERENCES runs(id)
);
CREATE INDEX mentions_document ON mentions(document_id);
CREATE INDEX mentions_type ON mentions(type);

CREATE TABLE evidence (
    id INTEGER PRIMARY KEY,
    mention_id INTEGER NOT NULL REFERENCES mentions(id) ON DELETE CASCADE,
    field TEXT NOT NULL,
    value TEXT,                          -- JSON of the value this span supports
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    quote TEXT NOT NULL
);
CREATE INDEX evidence_mention ON evidence(mention_id);

CREATE TABLE aggregates (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    quote TEXT NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    number REAL,
    counted TEXT,                        -- what is counted ("video appeals", "criminal cases")
    extractor TEXT NOT NULL,
    created TEXT NOT NULL,
    run_id INTEGER REFERENCES runs(id)
);
CREATE INDEX aggregates_document ON aggregates(document_id);

CREATE TABLE events (
    id TEXT PRIMARY KEY,                 -- stable: "ev-" + hash of the founding mention
    type TEXT NOT NULL,
    by_relatives INTEGER NOT NULL DEFAULT 0,
    date TEXT,                           -- "2023-03-06" | "2023-03" | "--03-06" | "2023"
    date_precision TEXT,
    date_kind TEXT,
    unit_name TEXT,
    unit_number TEXT,
    unit_kind TEXT,
    unit_canonical_id TEXT,
    affiliation TEXT,
    status TEXT,
    home_regions TEXT NOT NULL DEFAULT '[]', -- JSON [{name, iso, lat, lon}]
    location TEXT,                       -- JSON {name, lat, lon, precision}
    addressee TEXT,
    grievances TEXT NOT NULL DEFAULT '[]',
    demands TEXT NOT NULL DEFAULT '[]',
    fields TEXT NOT NULL DEFAULT '{}',   -- JSON, the whole export shape (source of truth)
    first_published TEXT,                -- earliest source publication, for sorting
    confidence REAL NOT NULL DEFAULT 0.5,
    review_status TEXT NOT NULL DEFAULT 'new', -- new / confirmed / rejected / edited
    locked_fields TEXT NOT NULL DEFAULT '[]',  -- JSON: fields set by an analyst, never overwritten
    resolver TEXT,
    merged_into TEXT,                    -- set when an analyst merged this event into another
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    run_id INTEGER REFERENCES runs(id)
);
CREATE INDEX events_type ON events(type);
CREATE INDEX events_date ON events(date);
CREATE INDEX events_first_published ON events(first_published);
CREATE INDEX events_review ON events(review_status);
CREATE INDEX events_unit ON events(unit_number, unit_kind);

CREATE TABLE event_mentions (
    event_id TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    mention_id INTEGER NOT NULL REFERENCES mentions(id) ON DELETE CASCADE,
    score REAL,
    reason TEXT NOT NULL DEFAULT '{}',   -- JSON: why this mention joined this event
    pinned INTEGER NOT NULL DEFAULT 0,   -- set by an analyst's merge/split: resolve never moves it
    PRIMARY KEY (event_id, mention_id)
);
CREATE INDEX event_mentions_mention ON event_mentions(mention_id);

CREATE TABLE event_relations (
    from_event TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    to_event TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    relation TEXT NOT NULL,              -- follow_up / denial / prosecution_of / verdict_of / repeat_by_unit
    reason TEXT NOT NULL DEFAULT '{}',
    created TEXT NOT NULL,
    PRIMARY KEY (from_event, to_event, relation)
);

-- Analysts' splits: these two events must stay apart, whatever resolve scores.
CREATE TABLE event_separations (
    event_a TEXT NOT NULL,
    event_b TEXT NOT NULL,
    created TEXT NOT NULL,
    PRIMARY KEY (event_a, event_b)
);

-- Analysts' decisions: the audit log, and what the pipeline must never undo.
CREATE TABLE decisions (
    id INTEGER PRIMARY KEY,
    event_id TEXT,                       -- kept as text: merged-away events keep their history
    action TEXT NOT NULL,                -- confirm / reject / edit / merge / split
    field TEXT,
    before TEXT,                         -- JSON
    after TEXT,                          -- JSON
    user TEXT NOT NULL,
    at TEXT NOT NULL,
    note TEXT
);
CREATE INDEX decisions_event ON decisions(event_id);
