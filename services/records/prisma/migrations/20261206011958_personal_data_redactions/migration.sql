-- CreateTable
CREATE TABLE "personal_data_redactions" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "cutoff" TIMESTAMPTZ(3) NOT NULL,
    "timeline" INTEGER NOT NULL,

    CONSTRAINT "personal_data_redactions_pkey" PRIMARY KEY ("id")
);

-- Added by hand (invisible to the Prisma datamodel): the insert-only tables (events,
-- timeline_entries) still refuse UPDATE and DELETE, except an UPDATE that changes nothing but
-- `data` in a transaction of the personal-data sweep (src/cases/retention.ts sets
-- cad110.personal_data_redaction = on with SET LOCAL semantics). README "Personal data".
CREATE OR REPLACE FUNCTION cad110_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND current_setting('cad110.personal_data_redaction', true) = 'on'
     AND (to_jsonb(NEW) - 'data') = (to_jsonb(OLD) - 'data') THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'table % is insert-only: % refused (corrections are new events)', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
