-- CreateTable
CREATE TABLE "call_counts_month" (
    "local_month" TEXT NOT NULL,
    "district" TEXT NOT NULL,
    "category" TEXT NOT NULL,
    "subtype" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "incident" BOOLEAN NOT NULL,
    "two_rob" BOOLEAN NOT NULL,
    "calls" INTEGER NOT NULL,

    CONSTRAINT "call_counts_month_pkey" PRIMARY KEY ("local_month","district","category","subtype","kind","incident","two_rob")
);

-- CreateTable
CREATE TABLE "call_counts_hour_total" (
    "local_day" TEXT NOT NULL,
    "local_hour" INTEGER NOT NULL,
    "calls" INTEGER NOT NULL,

    CONSTRAINT "call_counts_hour_total_pkey" PRIMARY KEY ("local_day","local_hour")
);

-- CreateTable
CREATE TABLE "case_counts_day" (
    "disposition_day" TEXT NOT NULL,
    "district" TEXT NOT NULL,
    "category" TEXT NOT NULL,
    "cases" INTEGER NOT NULL,
    "mediated" INTEGER NOT NULL,
    "rescued" INTEGER NOT NULL,
    "caught" INTEGER NOT NULL,

    CONSTRAINT "case_counts_day_pkey" PRIMARY KEY ("disposition_day","district","category")
);

-- CreateIndex
CREATE INDEX "call_counts_day_district_local_day_idx" ON "call_counts_day"("district", "local_day");

-- The new summary tables start empty: run the statistics rebuild (README) after deploying.
