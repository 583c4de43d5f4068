-- web & review: the newest change to any event, in one index step: the dashboard's cache key.
CREATE INDEX IF NOT EXISTS events_updated ON events(updated);
