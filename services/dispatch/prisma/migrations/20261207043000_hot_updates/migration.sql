-- Room in every page for updated rows (HOT updates: the new row version stays on its page and no
-- index gets a new entry; the page's old versions are pruned on access, also without autovacuum).
-- These rows are rewritten on every command: a unit's on each status change (40 replay units took
-- 53,450 updates in the Minneapolis replay, none HOT, its 63 rows grew to 7.9 MB), an incident's
-- and its incident_units row on each status change of its units, a stream's row on each append.
-- Applies to pages written from now on (VACUUM FULL or pg_repack rewrites existing tables).
ALTER TABLE "units" SET (fillfactor = 50);
-- An incident's row carries its recommendation and run card (about 1 KB of its 1.3 KB): kept out of
-- line (TOAST) from 256 bytes, so the updates on each unit's status change copy a pointer, not them.
ALTER TABLE "incidents" SET (fillfactor = 70, toast_tuple_target = 256);
ALTER TABLE "incident_units" SET (fillfactor = 70);
ALTER TABLE "streams" SET (fillfactor = 70);

-- A status change must not touch an index for its update to stay HOT; the few hundred units of a
-- bureau are read whole (recommendations, the roster) and need no index on status.
DROP INDEX "units_status_idx";
