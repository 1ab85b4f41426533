-- CreateTable
CREATE TABLE "totp_factors" (
    "username" VARCHAR(64) NOT NULL,
    "secret" VARCHAR(64) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "confirmed_at" TIMESTAMPTZ(3),
    "last_step" BIGINT,

    CONSTRAINT "totp_factors_pkey" PRIMARY KEY ("username")
);

-- CreateTable
CREATE TABLE "totp_recovery_codes" (
    "id" BIGSERIAL NOT NULL,
    "username" VARCHAR(64) NOT NULL,
    "code_hash" VARCHAR(64) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "used_at" TIMESTAMPTZ(3),

    CONSTRAINT "totp_recovery_codes_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "totp_recovery_codes_username_code_hash_idx" ON "totp_recovery_codes"("username", "code_hash");
