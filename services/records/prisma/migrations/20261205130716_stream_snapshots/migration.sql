-- AlterTable
ALTER TABLE "streams" ADD COLUMN     "snapshot" JSONB,
ADD COLUMN     "snapshot_version" INTEGER;
