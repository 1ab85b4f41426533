-- CreateTable
CREATE TABLE "login_failures" (
    "id" BIGSERIAL NOT NULL,
    "username" VARCHAR(64) NOT NULL,
    "address" VARCHAR(64) NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "pair_cleared" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "login_failures_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "login_failures_username_address_at_idx" ON "login_failures"("username", "address", "at");

-- CreateIndex
CREATE INDEX "login_failures_address_at_idx" ON "login_failures"("address", "at");

-- CreateIndex
CREATE INDEX "login_failures_username_at_idx" ON "login_failures"("username", "at");
