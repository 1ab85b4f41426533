-- AlterTable
ALTER TABLE "unit_alerts" ADD COLUMN     "acknowledged_at" TIMESTAMPTZ(3),
ADD COLUMN     "acknowledged_by" TEXT,
ADD COLUMN     "acknowledged_workstation" TEXT;

-- CreateIndex
CREATE INDEX "unit_alerts_unit_id_since_sequence_idx" ON "unit_alerts"("unit_id", "since", "sequence");
