-- pg_trgm (PostgreSQL contrib, a trusted extension since PostgreSQL 13): fuzzy gazetteer search
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- AlterTable
ALTER TABLE "calls" ADD COLUMN     "outcome_detail" TEXT;

-- CreateTable
CREATE TABLE "gazetteer" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "name_alt" TEXT,
    "district" TEXT,
    "lat" DOUBLE PRECISION NOT NULL,
    "lon" DOUBLE PRECISION NOT NULL,
    "search" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "imported_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "gazetteer_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ringing_lines" (
    "id" UUID NOT NULL,
    "line" TEXT,
    "number" TEXT,
    "lat" DOUBLE PRECISION,
    "lon" DOUBLE PRECISION,
    "uncertainty_metres" DOUBLE PRECISION,
    "reported_crs" TEXT NOT NULL,
    "ringing_at" TIMESTAMPTZ(3) NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL,
    "answered_at" TIMESTAMPTZ(3),
    "answered_by" TEXT,
    "call_id" UUID,

    CONSTRAINT "ringing_lines_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "flags" (
    "id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "note" TEXT,
    "number" TEXT,
    "address" TEXT,
    "lat" DOUBLE PRECISION,
    "lon" DOUBLE PRECISION,
    "radius_metres" DOUBLE PRECISION,
    "active" BOOLEAN NOT NULL,
    "version" INTEGER NOT NULL,
    "raised_at" TIMESTAMPTZ(3) NOT NULL,
    "raised_by" TEXT NOT NULL,
    "retired_at" TIMESTAMPTZ(3),

    CONSTRAINT "flags_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "gazetteer_search_idx" ON "gazetteer" USING GIN ("search" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "ringing_lines_answered_at_ringing_at_idx" ON "ringing_lines"("answered_at", "ringing_at");

-- CreateIndex
CREATE INDEX "flags_number_idx" ON "flags"("number");

-- CreateIndex
CREATE INDEX "flags_active_lat_idx" ON "flags"("active", "lat");
