-- The dashboard map counted home regions by reading every event's home_regions JSON
-- (json_each, about a quarter of a second at 100,000 events). events_regions, which holds the
-- same regions one row each, now carries their coordinates too, and the map reads it.
ALTER TABLE events_regions ADD COLUMN lat REAL;
ALTER TABLE events_regions ADD COLUMN lon REAL;
UPDATE events_regions SET
    lat = (SELECT json_extract(j.value, '$.lat') FROM events e, json_each(e.home_regions) j
           WHERE e.id = events_regions.event_id AND json_valid(e.home_regions)
             AND json_type(e.home_regions) = 'array' AND json_type(j.value) = 'object'
             AND json_extract(j.value, '$.name') = events_regions.name
             AND json_type(j.value, '$.lat') IN ('real', 'integer') LIMIT 1),
    lon = (SELECT json_extract(j.value, '$.lon') FROM events e, json_each(e.home_regions) j
           WHERE e.id = events_regions.event_id AND json_valid(e.home_regions)
             AND json_type(e.home_regions) = 'array' AND json_type(j.value) = 'object'
             AND json_extract(j.value, '$.name') = events_regions.name
             AND json_type(j.value, '$.lon') IN ('real', 'integer') LIMIT 1)
WHERE role = 'home';
