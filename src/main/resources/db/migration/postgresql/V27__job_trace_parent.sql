-- The span that submitted a job, as W3C traceparent text (00-<trace id>-<span id>-<flags>), NULL when
-- tracing was off: the job's items, sent later by any node or after a restart, continue that trace.
ALTER TABLE jobs ADD COLUMN trace_parent TEXT;
