-- AlterTable
ALTER TABLE "cases" ADD COLUMN     "beat" TEXT,
ADD COLUMN     "closed_at" TIMESTAMPTZ(3),
ADD COLUMN     "disposition_at" TIMESTAMPTZ(3),
ADD COLUMN     "disposition_codes" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "disposition_revision" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "kind" TEXT,
ADD COLUMN     "people_rescued" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "priority" INTEGER,
ADD COLUMN     "reopen_count" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "suspects_caught" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "case_parties" (
    "id" UUID NOT NULL,
    "case_id" UUID NOT NULL,
    "role" TEXT NOT NULL,
    "name" TEXT,
    "id_number" TEXT,
    "phone" TEXT,
    "address" TEXT,
    "added_at" TIMESTAMPTZ(3) NOT NULL,
    "added_by" TEXT NOT NULL,

    CONSTRAINT "case_parties_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "case_parties_case_id_idx" ON "case_parties"("case_id");

-- CreateIndex
CREATE INDEX "cases_status_opened_at_idx" ON "cases"("status", "opened_at");

-- CreateIndex
CREATE INDEX "cases_category_opened_at_idx" ON "cases"("category", "opened_at");

-- CreateIndex
CREATE INDEX "cases_district_opened_at_idx" ON "cases"("district", "opened_at");

-- AddForeignKey
ALTER TABLE "case_parties" ADD CONSTRAINT "case_parties_case_id_fkey" FOREIGN KEY ("case_id") REFERENCES "cases"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Insert-only audit: the event store and the timeline refuse UPDATE and DELETE (corrections are
-- new events). Added by hand to this migration; invisible to the Prisma datamodel.
CREATE FUNCTION cad110_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'table % is insert-only: % refused (corrections are new events)', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER timeline_entries_insert_only BEFORE UPDATE OR DELETE ON "timeline_entries"
  FOR EACH ROW EXECUTE FUNCTION cad110_refuse_change();
CREATE TRIGGER events_insert_only BEFORE UPDATE OR DELETE ON "events"
  FOR EACH ROW EXECUTE FUNCTION cad110_refuse_change();
CREATE TRIGGER timeline_entries_no_truncate BEFORE TRUNCATE ON "timeline_entries"
  FOR EACH STATEMENT EXECUTE FUNCTION cad110_refuse_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON "events"
  FOR EACH STATEMENT EXECUTE FUNCTION cad110_refuse_change();
