-- CreateTable
CREATE TABLE "caller_reveals" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "call_id" UUID NOT NULL,
    "actor" VARCHAR(64) NOT NULL,
    "role" VARCHAR(32) NOT NULL,
    "workstation" VARCHAR(128),
    "request_id" VARCHAR(128),
    "outcome" VARCHAR(16) NOT NULL,

    CONSTRAINT "caller_reveals_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "caller_reveals_call_id_id_idx" ON "caller_reveals"("call_id", "id");

-- CreateIndex
CREATE INDEX "caller_reveals_actor_id_idx" ON "caller_reveals"("actor", "id");
