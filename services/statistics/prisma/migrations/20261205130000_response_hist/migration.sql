-- Exact response-time histograms per local day, month and year (see src/projections/response-hist.ts).
CREATE TABLE "response_hist" (
    "grain" TEXT NOT NULL,
    "period" TEXT NOT NULL,
    "priority" INTEGER NOT NULL,
    "district" TEXT NOT NULL,
    "category" TEXT NOT NULL,
    "measure" TEXT NOT NULL,
    "value_ms" BIGINT NOT NULL,
    "n" INTEGER NOT NULL,

    CONSTRAINT "response_hist_pkey" PRIMARY KEY ("grain","period","priority","district","category","measure","value_ms")
);

-- Filled from the call facts already stored (the same rows a rebuild computes).
INSERT INTO "response_hist" ("grain", "period", "priority", "district", "category", "measure", "value_ms", "n")
SELECT g.grain, g.period, coalesce(f.priority, -1), coalesce(f.district, ''), coalesce(f.category, ''), m.measure, round(m.s * 1000)::bigint, count(*)::int
FROM "call_facts" f
CROSS JOIN LATERAL (VALUES ('answer', f.answer_s), ('processing', f.processing_s), ('travel', f.travel_s), ('total', f.total_s)) AS m(measure, s)
CROSS JOIN LATERAL (VALUES ('d', f.local_day), ('m', left(f.local_day, 7)), ('y', left(f.local_day, 4))) AS g(grain, period)
WHERE f.received AND f.local_day <> '' AND m.s IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6, 7;
