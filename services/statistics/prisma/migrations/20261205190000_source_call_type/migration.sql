-- The source system's call type and group as a dimension (issue 18): on the call facts and in the
-- day and month call counts. Rows stored before this migration have none ('' / NULL) until the
-- projections are rebuilt from Kafka (`npm run rebuild -w @cad110/statistics`).
ALTER TABLE "call_facts" ADD COLUMN "source_code" TEXT, ADD COLUMN "source_group" TEXT;

ALTER TABLE "call_counts_day" ADD COLUMN "source_code" TEXT NOT NULL DEFAULT '', ADD COLUMN "source_group" TEXT NOT NULL DEFAULT '';
ALTER TABLE "call_counts_day" DROP CONSTRAINT "call_counts_day_pkey";
ALTER TABLE "call_counts_day" ADD CONSTRAINT "call_counts_day_pkey" PRIMARY KEY ("local_day", "district", "category", "subtype", "kind", "incident", "two_rob", "source_code", "source_group");

ALTER TABLE "call_counts_month" ADD COLUMN "source_code" TEXT NOT NULL DEFAULT '', ADD COLUMN "source_group" TEXT NOT NULL DEFAULT '';
ALTER TABLE "call_counts_month" DROP CONSTRAINT "call_counts_month_pkey";
ALTER TABLE "call_counts_month" ADD CONSTRAINT "call_counts_month_pkey" PRIMARY KEY ("local_month", "district", "category", "subtype", "kind", "incident", "two_rob", "source_code", "source_group");
