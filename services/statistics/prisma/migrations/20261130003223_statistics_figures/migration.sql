-- AlterTable
ALTER TABLE "call_facts" ADD COLUMN     "answer_s" DOUBLE PRECISION,
ADD COLUMN     "cancelled" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "classified_at" TIMESTAMPTZ(3),
ADD COLUMN     "dispatched_at" TIMESTAMPTZ(3),
ADD COLUMN     "duplicate" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "h3_cell" TEXT,
ADD COLUMN     "incident_id" UUID,
ADD COLUMN     "on_scene_at" TIMESTAMPTZ(3),
ADD COLUMN     "processing_s" DOUBLE PRECISION,
ADD COLUMN     "received" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "ringing_at" TIMESTAMPTZ(3),
ADD COLUMN     "total_s" DOUBLE PRECISION,
ADD COLUMN     "travel_s" DOUBLE PRECISION,
ADD COLUMN     "two_rob" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "incident_facts" (
    "incident_id" UUID NOT NULL,
    "call_id" UUID,
    "opened_at" TIMESTAMPTZ(3),
    "dispatched_at" TIMESTAMPTZ(3),
    "on_scene_at" TIMESTAMPTZ(3),

    CONSTRAINT "incident_facts_pkey" PRIMARY KEY ("incident_id")
);

-- CreateTable
CREATE TABLE "case_facts" (
    "case_id" UUID NOT NULL,
    "call_id" UUID,
    "incident_id" UUID,
    "opened_at" TIMESTAMPTZ(3),
    "category" TEXT,
    "subtype" TEXT,
    "district" TEXT,
    "codes" TEXT[],
    "suspects_caught" INTEGER NOT NULL DEFAULT 0,
    "people_rescued" INTEGER NOT NULL DEFAULT 0,
    "disposition_at" TIMESTAMPTZ(3),
    "disposition_day" TEXT,

    CONSTRAINT "case_facts_pkey" PRIMARY KEY ("case_id")
);

-- CreateTable
CREATE TABLE "unit_states" (
    "unit_id" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "incident_id" UUID,

    CONSTRAINT "unit_states_pkey" PRIMARY KEY ("unit_id")
);

-- CreateTable
CREATE TABLE "duty_levels" (
    "district" TEXT NOT NULL,
    "level" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "duty_levels_pkey" PRIMARY KEY ("district")
);

-- CreateTable
CREATE TABLE "topic_minute_counts" (
    "topic" TEXT NOT NULL,
    "minute" TIMESTAMPTZ(3) NOT NULL,
    "events" INTEGER NOT NULL,

    CONSTRAINT "topic_minute_counts_pkey" PRIMARY KEY ("topic","minute")
);

-- CreateTable
CREATE TABLE "call_counts_day" (
    "local_day" TEXT NOT NULL,
    "district" TEXT NOT NULL,
    "category" TEXT NOT NULL,
    "subtype" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "incident" BOOLEAN NOT NULL,
    "two_rob" BOOLEAN NOT NULL,
    "calls" INTEGER NOT NULL,

    CONSTRAINT "call_counts_day_pkey" PRIMARY KEY ("local_day","district","category","subtype","kind","incident","two_rob")
);

-- CreateTable
CREATE TABLE "call_counts_hour" (
    "local_day" TEXT NOT NULL,
    "local_hour" INTEGER NOT NULL,
    "district" TEXT NOT NULL,
    "category" TEXT NOT NULL,
    "incident" BOOLEAN NOT NULL,
    "two_rob" BOOLEAN NOT NULL,
    "calls" INTEGER NOT NULL,

    CONSTRAINT "call_counts_hour_pkey" PRIMARY KEY ("local_day","local_hour","district","category","incident","two_rob")
);

-- CreateTable
CREATE TABLE "call_counts_beat" (
    "local_day" TEXT NOT NULL,
    "district" TEXT NOT NULL,
    "beat" TEXT NOT NULL,
    "category" TEXT NOT NULL,
    "incident" BOOLEAN NOT NULL,
    "two_rob" BOOLEAN NOT NULL,
    "calls" INTEGER NOT NULL,

    CONSTRAINT "call_counts_beat_pkey" PRIMARY KEY ("local_day","district","beat","category","incident","two_rob")
);

-- CreateTable
CREATE TABLE "rebuild_watermarks" (
    "topic" TEXT NOT NULL,
    "partition" INTEGER NOT NULL,
    "offset" BIGINT NOT NULL,

    CONSTRAINT "rebuild_watermarks_pkey" PRIMARY KEY ("topic","partition")
);

-- CreateTable
CREATE TABLE "rebuild_runs" (
    "id" SERIAL NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "finished_at" TIMESTAMPTZ(3) NOT NULL,
    "events" INTEGER NOT NULL,
    "skipped" INTEGER NOT NULL,
    "calls" INTEGER NOT NULL,
    "seconds" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "rebuild_runs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "case_facts_disposition_day_district_category_idx" ON "case_facts"("disposition_day", "district", "category");

-- CreateIndex
CREATE INDEX "call_facts_local_day_priority_district_category_processing__idx" ON "call_facts"("local_day", "priority", "district", "category", "processing_s", "travel_s", "total_s", "answer_s");

-- CreateIndex
CREATE INDEX "call_facts_local_day_h3_cell_hour_of_week_idx" ON "call_facts"("local_day", "h3_cell", "hour_of_week");

-- Rows projected before this migration were all made by CallReceived once local_day was set.
-- The summary tables start empty: run the statistics rebuild (README) after deploying.
UPDATE "call_facts" SET "received" = ("local_day" <> '');
