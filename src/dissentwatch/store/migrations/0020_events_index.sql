-- resolve & publish: what listing, filtering and counting events needs.
-- sort_date: the event date as a full ISO date where it can be known (a "--03-06" date takes
-- the year of the first source), else the first publication date; used for sorting and months.
ALTER TABLE events ADD COLUMN sort_date TEXT;
ALTER TABLE events ADD COLUMN sources_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN languages TEXT NOT NULL DEFAULT '[]';  -- JSON list of source languages
ALTER TABLE events ADD COLUMN outlets TEXT NOT NULL DEFAULT '[]';    -- JSON list of source outlets
CREATE INDEX events_sort_date ON events(sort_date);
CREATE INDEX events_merged_into ON events(merged_into);

-- One row per home region (or location region) of an event, for filtering and counting.
CREATE TABLE events_regions (
    event_id TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    iso TEXT NOT NULL DEFAULT '',       -- ISO 3166-2 code, '' when the name did not resolve
    name TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'home',  -- home / location
    PRIMARY KEY (event_id, role, iso, name)
);
CREATE INDEX events_regions_iso ON events_regions(iso);
