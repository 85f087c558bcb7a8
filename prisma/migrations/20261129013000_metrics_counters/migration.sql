-- CreateTable
CREATE TABLE "run_status_counts" (
    "id" BIGSERIAL NOT NULL,
    "status" TEXT NOT NULL,
    "finished" BOOLEAN NOT NULL,
    "count" BIGINT NOT NULL,

    CONSTRAINT "run_status_counts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "run_latency_buckets" (
    "id" BIGSERIAL NOT NULL,
    "bucket" INTEGER NOT NULL,
    "count" BIGINT NOT NULL,

    CONSTRAINT "run_latency_buckets_pkey" PRIMARY KEY ("id")
);

-- Everything below is written by hand: schema.prisma cannot describe functions or triggers (and
-- test/integration/db/migrations.test.ts compares tables, columns, constraints and indexes only).
--
-- GET /metrics used to scan runs on every request: a GROUP BY over all runs, a count of the
-- finished ones and an index walk of up to n entries per percentile. These two tables hold the
-- same figures as signed counts, kept by triggers on runs in the same transaction as every change,
-- so a request sums a few hundred counter rows plus an index walk inside one 100-ms latency bucket.
-- The whole file runs in one transaction (src/db/migrations.ts).
--
-- The triggers only INSERT (the net change of each statement on runs, one row per key). They never
-- update a shared counter row: a first version did (upserts into one row per key) and deadlocked
-- turns against queue claims, since creating a run took a counter row before its session's row and
-- claiming one the session's row before a counter row. Inserts lock nothing that another
-- transaction waits for, whatever order transactions take their other locks in. Readers sum the rows
-- per key, and run_counters_compact() (every few seconds, in every service process) folds them into
-- one row per key.
--
-- No semicolon may appear in this file except at the end of a statement, not even in a comment:
-- Prisma's migrate through a driver adapter (the engine as our migrations test drives it) cuts
-- the script at every semicolon character. Function bodies are therefore E'' strings whose
-- statement ends are written as the escape \073.

-- Where latency bucket b starts: b / 10 s as the double nearest to it (b::float8 / 10 is correctly
-- rounded). The lowest bucket starts at -Infinity and the highest reaches past +Infinity to NaN
-- (PostgreSQL sorts NaN above every number), so that every double precision value has a bucket.
CREATE FUNCTION run_latency_bucket_start(bucket BIGINT) RETURNS DOUBLE PRECISION
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN bucket <= -2147483648 THEN '-Infinity'::float8 ELSE bucket::float8 / 10 END
$$;

-- The bucket of a latency: the highest b with run_latency_bucket_start(b) <= latency, compared as
-- double precision exactly as the latency index compares. So "bucket >= b" and
-- "latency_seconds >= run_latency_bucket_start(b)" select the same runs, which the percentile read
-- relies on, also for latencies on a bucket edge such as 0.3 (stored as 0.29999…). The product
-- latency * 10 is rounded, so its floor could be one off either way: the two terms after it
-- correct that against the bucket starts themselves. Latencies beyond ±214748364.7 s share the
-- two outermost buckets. (The service stores GREATEST(0, completed − started) in seconds, so
-- negative, infinite or NaN latencies can only come from hand edits, and are counted right all
-- the same.)
CREATE FUNCTION run_latency_bucket(latency DOUBLE PRECISION) RETURNS INTEGER
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN latency >= run_latency_bucket_start(2147483647) THEN 2147483647
    WHEN latency < run_latency_bucket_start(-2147483647) THEN -2147483648
    ELSE (floor(latency * 10)::bigint
          - (latency < run_latency_bucket_start(floor(latency * 10)::bigint))::int
          + (latency >= run_latency_bucket_start(floor(latency * 10)::bigint + 1))::int)::int
  END
$$;

-- Records the net change of one statement on runs, one row per key whose count moved. A row trigger
-- would write one row per run: a statement that fails a hundred expired runs writes two here.
-- An UPDATE that moves no counter (lease renewals, the cancel flag) writes nothing.
CREATE FUNCTION runs_count_changes() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  IF TG_OP = ''INSERT'' THEN
    INSERT INTO run_status_counts (status, finished, count)
      SELECT status, completed_at IS NOT NULL, count(*) FROM new_runs GROUP BY 1, 2\073
    INSERT INTO run_latency_buckets (bucket, count)
      SELECT run_latency_bucket(latency_seconds), count(*) FROM new_runs WHERE latency_seconds IS NOT NULL GROUP BY 1\073
  ELSIF TG_OP = ''DELETE'' THEN
    INSERT INTO run_status_counts (status, finished, count)
      SELECT status, completed_at IS NOT NULL, -count(*) FROM old_runs GROUP BY 1, 2\073
    INSERT INTO run_latency_buckets (bucket, count)
      SELECT run_latency_bucket(latency_seconds), -count(*) FROM old_runs WHERE latency_seconds IS NOT NULL GROUP BY 1\073
  ELSIF TG_OP = ''UPDATE'' THEN
    INSERT INTO run_status_counts (status, finished, count)
      SELECT status, finished, sum(delta)
      FROM (SELECT status, completed_at IS NOT NULL AS finished, -1 AS delta FROM old_runs
            UNION ALL
            SELECT status, completed_at IS NOT NULL, 1 FROM new_runs) AS changes
      GROUP BY 1, 2 HAVING sum(delta) <> 0\073
    INSERT INTO run_latency_buckets (bucket, count)
      SELECT bucket, sum(delta)
      FROM (SELECT run_latency_bucket(latency_seconds) AS bucket, -1 AS delta FROM old_runs WHERE latency_seconds IS NOT NULL
            UNION ALL
            SELECT run_latency_bucket(latency_seconds), 1 FROM new_runs WHERE latency_seconds IS NOT NULL) AS changes
      GROUP BY 1 HAVING sum(delta) <> 0\073
  ELSE
    -- TRUNCATE, also when it reaches runs through TRUNCATE sessions CASCADE
    DELETE FROM run_status_counts\073
    DELETE FROM run_latency_buckets\073
  END IF\073
  RETURN NULL\073
END
';

-- A trigger with transition tables may name only one event, hence one trigger per event.
CREATE TRIGGER runs_count_inserts AFTER INSERT ON runs
  REFERENCING NEW TABLE AS new_runs FOR EACH STATEMENT EXECUTE FUNCTION runs_count_changes();
CREATE TRIGGER runs_count_updates AFTER UPDATE ON runs
  REFERENCING OLD TABLE AS old_runs NEW TABLE AS new_runs FOR EACH STATEMENT EXECUTE FUNCTION runs_count_changes();
CREATE TRIGGER runs_count_deletes AFTER DELETE ON runs
  REFERENCING OLD TABLE AS old_runs FOR EACH STATEMENT EXECUTE FUNCTION runs_count_changes();
CREATE TRIGGER runs_count_truncates AFTER TRUNCATE ON runs
  FOR EACH STATEMENT EXECUTE FUNCTION runs_count_changes();

-- Folds the counter rows into one row per key (keys that sum to zero disappear). Safe beside
-- writers and other compactors: it deletes only rows its snapshot sees (a writer's row committed
-- later stays for the next fold), and a second compactor that waited on the first's row locks finds
-- those rows gone and skips them, so no count is lost or taken twice. Readers see the fold at once
-- or not at all.
CREATE FUNCTION run_counters_compact() RETURNS void LANGUAGE sql AS E'
  WITH folded AS (DELETE FROM run_status_counts RETURNING status, finished, count)
  INSERT INTO run_status_counts (status, finished, count)
    SELECT status, finished, sum(count) FROM folded GROUP BY 1, 2 HAVING sum(count) <> 0\073
  WITH folded AS (DELETE FROM run_latency_buckets RETURNING bucket, count)
  INSERT INTO run_latency_buckets (bucket, count)
    SELECT bucket, sum(count) FROM folded GROUP BY 1 HAVING sum(count) <> 0\073
';

-- Recounts both tables from runs: the backfill below, and the repair after anything that changed
-- runs with the triggers off (session_replication_role = replica, as bench/lib/bigSeed.ts loads).
-- The SHARE lock waits for the transactions writing runs and holds new writers off until the
-- caller's transaction ends, so no change falls between the recount and the triggers.
CREATE FUNCTION run_counters_rebuild() RETURNS void LANGUAGE plpgsql AS E'
BEGIN
  LOCK TABLE runs IN SHARE MODE\073
  TRUNCATE run_status_counts, run_latency_buckets\073
  INSERT INTO run_status_counts (status, finished, count)
    SELECT status, completed_at IS NOT NULL, count(*) FROM runs GROUP BY 1, 2\073
  INSERT INTO run_latency_buckets (bucket, count)
    SELECT run_latency_bucket(latency_seconds), count(*) FROM runs WHERE latency_seconds IS NOT NULL GROUP BY 1\073
END
';

-- The backfill, in the migration's transaction.
SELECT run_counters_rebuild();
