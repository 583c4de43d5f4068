-- Pseudonymising reads a document's evidence (its spokesperson spans, the spans to recompute)
-- by document: without this index every document scanned the whole evidence table.
CREATE INDEX IF NOT EXISTS evidence_document ON evidence(document_id, field);
