-- CreateTable
CREATE TABLE "incident_duplicate_links" (
    "id" BIGSERIAL NOT NULL,
    "incident_id" UUID NOT NULL,
    "call_id" UUID NOT NULL,
    "duplicate_of_incident_id" UUID NOT NULL,
    "duplicate_of_call_id" UUID NOT NULL,
    "reason" TEXT,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "actor_id" TEXT,
    "workstation" TEXT,

    CONSTRAINT "incident_duplicate_links_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "incident_duplicate_links_incident_id_idx" ON "incident_duplicate_links"("incident_id");

-- CreateIndex
CREATE INDEX "incident_duplicate_links_duplicate_of_incident_id_idx" ON "incident_duplicate_links"("duplicate_of_incident_id");
