-- AlterTable
ALTER TABLE "incidents" ADD COLUMN     "external_id" TEXT,
ADD COLUMN     "external_source" TEXT;

-- CreateIndex
CREATE INDEX "incidents_external_source_external_id_idx" ON "incidents"("external_source", "external_id");
