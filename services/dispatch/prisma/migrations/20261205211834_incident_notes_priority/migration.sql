-- CreateTable
CREATE TABLE "incident_notes" (
    "id" BIGSERIAL NOT NULL,
    "incident_id" UUID NOT NULL,
    "text" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "actor_id" TEXT,
    "workstation" TEXT,

    CONSTRAINT "incident_notes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "incident_priority_changes" (
    "id" BIGSERIAL NOT NULL,
    "incident_id" UUID NOT NULL,
    "from_priority" INTEGER NOT NULL,
    "to_priority" INTEGER NOT NULL,
    "reason" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "actor_id" TEXT,
    "workstation" TEXT,

    CONSTRAINT "incident_priority_changes_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "incident_notes_incident_id_idx" ON "incident_notes"("incident_id");

-- CreateIndex
CREATE INDEX "incident_priority_changes_incident_id_idx" ON "incident_priority_changes"("incident_id");
