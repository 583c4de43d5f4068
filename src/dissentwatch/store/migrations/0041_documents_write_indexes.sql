-- Bulk imports: every index on documents costs each insert. Language and outlet are low-cardinality
-- columns no query looks documents up by (events carry their own languages and outlets; listings
-- order by publication), so their indexes only slowed imports down.
DROP INDEX IF EXISTS documents_language;
DROP INDEX IF EXISTS documents_outlet;
