-- The stream workflow run a `signalled` outcome's signal reached (SignalWithStart's signaled run), so the trace
-- links that run rather than the latest one.
ALTER TABLE "change_outcomes" ADD COLUMN "run_id" TEXT;
