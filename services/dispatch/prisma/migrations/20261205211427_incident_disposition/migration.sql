-- AlterTable
ALTER TABLE "incidents" ADD COLUMN     "close_note" TEXT,
ADD COLUMN     "disposition" TEXT;
