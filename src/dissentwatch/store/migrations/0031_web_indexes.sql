-- web & review: indexes for the events table's filters at 100,000 events (benchmarks/bench_web.py).
-- language filter: documents by language, then their events through a covering link index.
CREATE INDEX IF NOT EXISTS documents_language ON documents(language);
CREATE INDEX IF NOT EXISTS event_mentions_mention_event ON event_mentions(mention_id, event_id);
-- live (not merged-away) events by type and review status: counts and type filters read the index only.
CREATE INDEX IF NOT EXISTS events_live_type ON events(merged_into, type, review_status);
