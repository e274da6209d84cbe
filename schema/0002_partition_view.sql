-- 0002_partition_view.sql - the view `siphon db status` reads: every daily
-- partition with its day, its parent, its row estimate and its size on
-- disk (indexes and TOAST included).
CREATE VIEW siphon_partitions AS
SELECT p.tbl AS parent,
       c.relname AS partition,
       to_date(right(c.relname, 8), 'YYYYMMDD') AS day,
       greatest(c.reltuples, 0)::bigint AS rows_estimate,
       pg_total_relation_size(c.oid) AS bytes
FROM siphon_partitioned p
JOIN pg_inherits i ON i.inhparent = p.tbl::regclass
JOIN pg_class c ON c.oid = i.inhrelid
WHERE c.relname ~ '_p[0-9]{8}$';
