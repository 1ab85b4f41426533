-- Roster (排班, issue 16): a unit taken out of service, its reason code and the last roster change;
-- officers' names per unit (personal data, dispatch's store only).
ALTER TABLE "units" ADD COLUMN "in_service" BOOLEAN NOT NULL DEFAULT true,
ADD COLUMN "service_reason" TEXT,
ADD COLUMN "roster_changed_at" TIMESTAMPTZ(3);

CREATE TABLE "unit_officers" (
    "unit_id" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "name" TEXT NOT NULL,

    CONSTRAINT "unit_officers_pkey" PRIMARY KEY ("unit_id","position")
);
