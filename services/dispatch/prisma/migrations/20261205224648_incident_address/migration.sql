-- AlterTable
ALTER TABLE "incidents" ADD COLUMN     "address" TEXT;
