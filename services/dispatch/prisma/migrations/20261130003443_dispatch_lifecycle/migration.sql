-- AlterTable
ALTER TABLE "units" ADD COLUMN     "alerts_in_status" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "anchor_lat" DOUBLE PRECISION,
ADD COLUMN     "anchor_lon" DOUBLE PRECISION,
ADD COLUMN     "avl_at" TIMESTAMPTZ(3),
ADD COLUMN     "avl_lat" DOUBLE PRECISION,
ADD COLUMN     "avl_lon" DOUBLE PRECISION,
ADD COLUMN     "call_id" UUID,
ADD COLUMN     "geometry" JSONB,
ADD COLUMN     "incident_id" UUID,
ADD COLUMN     "min_duty_level" TEXT NOT NULL DEFAULT 'normal',
ADD COLUMN     "replay" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "shift_end" TEXT NOT NULL DEFAULT '24:00',
ADD COLUMN     "shift_name" TEXT NOT NULL DEFAULT '24h',
ADD COLUMN     "shift_start" TEXT NOT NULL DEFAULT '00:00',
ADD COLUMN     "status_recorded_at" TIMESTAMPTZ(3),
ADD COLUMN     "status_since" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "incidents" ADD COLUMN     "active_units" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "cancelled_at" TIMESTAMPTZ(3),
ADD COLUMN     "close_reason" TEXT,
ADD COLUMN     "closed_at" TIMESTAMPTZ(3),
ADD COLUMN     "first_dispatched_at" TIMESTAMPTZ(3),
ADD COLUMN     "first_on_scene_at" TIMESTAMPTZ(3),
ADD COLUMN     "flags" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "run_card" JSONB;

-- CreateTable
CREATE TABLE "incident_units" (
    "id" BIGSERIAL NOT NULL,
    "incident_id" UUID NOT NULL,
    "unit_id" TEXT NOT NULL,
    "call_sign" TEXT NOT NULL,
    "unit_type" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "dispatched_at" TIMESTAMPTZ(3) NOT NULL,
    "en_route_at" TIMESTAMPTZ(3),
    "on_scene_at" TIMESTAMPTZ(3),
    "transporting_at" TIMESTAMPTZ(3),
    "cleared_at" TIMESTAMPTZ(3),
    "reassigned_at" TIMESTAMPTZ(3),

    CONSTRAINT "incident_units_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "duty_levels" (
    "district" TEXT NOT NULL,
    "level" TEXT NOT NULL,
    "reason" TEXT,
    "changed_at" TIMESTAMPTZ(3) NOT NULL,
    "version" INTEGER NOT NULL,

    CONSTRAINT "duty_levels_pkey" PRIMARY KEY ("district")
);

-- CreateTable
CREATE TABLE "unit_alerts" (
    "id" BIGSERIAL NOT NULL,
    "unit_id" TEXT NOT NULL,
    "incident_id" UUID,
    "kind" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "sequence" INTEGER NOT NULL,
    "since" TIMESTAMPTZ(3) NOT NULL,
    "due_at" TIMESTAMPTZ(3) NOT NULL,
    "alerted_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "unit_alerts_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "incident_units_incident_id_idx" ON "incident_units"("incident_id");

-- CreateIndex
CREATE INDEX "incident_units_unit_id_active_idx" ON "incident_units"("unit_id", "active");

-- CreateIndex
CREATE INDEX "unit_alerts_alerted_at_idx" ON "unit_alerts"("alerted_at");

-- CreateIndex
CREATE INDEX "units_status_idx" ON "units"("status");
