-- The counting rule (issue 13 item 2, libs/contracts/src/counting.ts): a case counts under its
-- call's latest classification and on the local day its call was answered.

-- AlterTable
ALTER TABLE "cases" ADD COLUMN     "answered_at" TIMESTAMPTZ(3),
ADD COLUMN     "classified_at" TIMESTAMPTZ(3);

-- Backfill from the audit timeline (it holds every call and dispatch event of the call):
-- the answer time of CallReceived, else of IncidentOpened, else the opening time
UPDATE "cases" c SET "answered_at" = COALESCE(
  (SELECT (t."data"->>'answeredAt')::timestamptz FROM "timeline_entries" t
    WHERE t."call_id" = c."call_id" AND t."type" IN ('CallReceived', 'IncidentOpened') AND t."data" ? 'answeredAt'
    ORDER BY (t."type" = 'CallReceived') DESC, t."id" LIMIT 1),
  c."opened_at");

-- and the latest CallClassified (by classifiedAt; ties: the later one recorded)
UPDATE "cases" c SET "category" = l."category", "subtype" = l."subtype", "classified_at" = l."classified_at"
FROM (
  SELECT DISTINCT ON (t."call_id") t."call_id", t."data"->>'category' AS "category", t."data"->>'subtype' AS "subtype",
         (t."data"->>'classifiedAt')::timestamptz AS "classified_at"
  FROM "timeline_entries" t
  WHERE t."type" = 'CallClassified' AND t."data" ? 'category' AND t."data" ? 'subtype' AND t."data" ? 'classifiedAt'
  ORDER BY t."call_id", (t."data"->>'classifiedAt')::timestamptz DESC, t."id" DESC
) l
WHERE l."call_id" = c."call_id";

ALTER TABLE "cases" ALTER COLUMN "answered_at" SET NOT NULL;

-- CreateIndex
CREATE INDEX "cases_answered_at_idx" ON "cases"("answered_at");

-- CreateIndex
CREATE INDEX "cases_category_answered_at_idx" ON "cases"("category", "answered_at");
