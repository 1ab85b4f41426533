-- Room in every page for updated rows (HOT updates: the new row version stays on its page and no
-- index gets a new entry). A call's facts are rewritten as its events arrive, the counters and
-- histogram buckets on every call they count. Applies to pages written from now on.
ALTER TABLE "call_facts" SET (fillfactor = 70);
ALTER TABLE "incident_facts" SET (fillfactor = 70);
ALTER TABLE "case_facts" SET (fillfactor = 70);
ALTER TABLE "response_hist" SET (fillfactor = 80);
ALTER TABLE "call_counts_day" SET (fillfactor = 80);
ALTER TABLE "call_counts_hour" SET (fillfactor = 80);
ALTER TABLE "call_counts_month" SET (fillfactor = 80);
ALTER TABLE "call_counts_beat" SET (fillfactor = 80);
ALTER TABLE "case_counts_day" SET (fillfactor = 80);
