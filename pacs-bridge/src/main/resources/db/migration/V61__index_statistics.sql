-- Planner statistics of the index tables follow bulk ingest. By default autovacuum analyzes a table
-- after 50 rows + 10% of it changed: a 1M-instance table would wait for 100k new rows, and queries
-- planned on stale row counts (a patient's studies, a series' instances) pick the wrong plans.
-- Here 50 rows + 2%. The node never runs ANALYZE itself; with the embedded server's autovacuum_naptime
-- of 10 s (README: set it on an external server too) the statistics catch up seconds after an ingest.
ALTER TABLE patient SET (autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE study SET (autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE series SET (autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE instance SET (autovacuum_analyze_scale_factor = 0.02);
