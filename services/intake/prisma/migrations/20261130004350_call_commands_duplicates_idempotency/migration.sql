-- AlterTable
ALTER TABLE "calls" ADD COLUMN     "classified_at" TIMESTAMPTZ(3),
ADD COLUMN     "closed_at" TIMESTAMPTZ(3),
ADD COLUMN     "duplicate_of" UUID,
ADD COLUMN     "geo_cell" BIGINT,
ADD COLUMN     "ringing_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "idempotency_keys" (
    "actor_id" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "status" INTEGER NOT NULL,
    "body" TEXT NOT NULL,
    "headers" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("actor_id","key")
);

-- CreateIndex
CREATE INDEX "idempotency_keys_created_at_idx" ON "idempotency_keys"("created_at");

-- CreateIndex
CREATE INDEX "calls_geo_cell_answered_at_idx" ON "calls"("geo_cell", "answered_at");

-- CreateIndex
CREATE INDEX "calls_caller_number_answered_at_idx" ON "calls"("caller_number", "answered_at");
