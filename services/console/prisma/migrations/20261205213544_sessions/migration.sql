-- CreateTable
CREATE TABLE "sessions" (
    "id" VARCHAR(32) NOT NULL,
    "username" VARCHAR(64) NOT NULL,
    "workstation" VARCHAR(128),
    "refresh_hash" VARCHAR(64) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "sessions_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "sessions_username_idx" ON "sessions"("username");

-- CreateIndex
CREATE INDEX "sessions_expires_at_idx" ON "sessions"("expires_at");
