-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "processed_messages" (
    "consumer" TEXT NOT NULL,
    "event_id" UUID NOT NULL,
    "topic" TEXT NOT NULL,
    "partition" INTEGER NOT NULL,
    "offset" BIGINT NOT NULL,
    "processed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "processed_messages_pkey" PRIMARY KEY ("consumer","event_id")
);

-- CreateTable
CREATE TABLE "call_facts" (
    "call_id" UUID NOT NULL,
    "answered_at" TIMESTAMPTZ(3) NOT NULL,
    "local_day" TEXT NOT NULL,
    "local_hour" INTEGER NOT NULL,
    "hour_of_week" INTEGER NOT NULL,
    "channel" TEXT NOT NULL,
    "kind" TEXT,
    "category" TEXT,
    "subtype" TEXT,
    "priority" INTEGER,
    "flags" TEXT[],
    "district" TEXT,
    "beat" TEXT,
    "lat" DOUBLE PRECISION,
    "lon" DOUBLE PRECISION,

    CONSTRAINT "call_facts_pkey" PRIMARY KEY ("call_id")
);

-- CreateIndex
CREATE INDEX "call_facts_local_day_idx" ON "call_facts"("local_day");

-- CreateIndex
CREATE INDEX "call_facts_category_local_day_idx" ON "call_facts"("category", "local_day");

-- CreateIndex
CREATE INDEX "call_facts_district_local_day_idx" ON "call_facts"("district", "local_day");
