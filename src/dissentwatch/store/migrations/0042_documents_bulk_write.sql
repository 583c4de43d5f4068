-- Bulk imports, again. Two structures cost most of each insert, and two indexes served nothing:
--
-- 1. The content-hash index: 64-character keys in random order, so each committed batch
--    rewrote about one index page per new document. Copies are now looked up by the first
--    12 hex digits of the hash (48 bits; the full hash is compared after), an index of short
--    keys that is several times smaller and touches far fewer pages per batch.
-- 2. The full-text index kept every token's position, for phrase and NEAR queries that
--    dissentwatch never issues (searches are words, each prefix-matched, all required:
--    documents.fts_query). detail='none' keeps which documents hold a token, and
--    highlight() still works, since the text is read back from documents. columnsize=0: no
--    per-document token counts either, which only bm25() ranking reads (searches sort by date).
DROP INDEX IF EXISTS documents_hash;
CREATE INDEX documents_hash_prefix ON documents(substr(content_hash, 1, 12));

DROP TABLE documents_fts;
CREATE VIRTUAL TABLE documents_fts USING fts5(
    title, text, content='documents', content_rowid='id', tokenize='unicode61 remove_diacritics 2',
    detail='none', columnsize=0
);
-- Merge 16 segments at a time rather than 4: each imported batch adds a segment, and every
-- merge level rewrites the index, so fewer levels cost inserts less; searches read at most a few
-- more segments.
INSERT INTO documents_fts(documents_fts, rank) VALUES ('automerge', 16);
INSERT INTO documents_fts(documents_fts) VALUES ('rebuild');

-- 3. No query could use the index on published (listings sort on COALESCE(published,
--    collected)), and lookups by external id alone now go through the unique
--    (source_kind, external_id) index, naming the known source kinds (documents.external_id_clause).
DROP INDEX IF EXISTS documents_published;
DROP INDEX IF EXISTS documents_external_id;
