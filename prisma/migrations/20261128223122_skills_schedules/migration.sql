-- AlterTable
ALTER TABLE "runs" ADD COLUMN     "schedule_id" TEXT,
ADD COLUMN     "skill_id" TEXT,
ADD COLUMN     "skill_params" JSONB,
ADD COLUMN     "skill_version" INTEGER;

-- AlterTable
ALTER TABLE "events" ALTER COLUMN "run_id" DROP NOT NULL;

-- CreateTable
CREATE TABLE "skills" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "latest_version" INTEGER NOT NULL,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "skills_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "skill_versions" (
    "id" TEXT NOT NULL,
    "skill_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "prompt_template" TEXT NOT NULL,
    "required_params" TEXT[],
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "skill_versions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "scheduled_runs" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "session_id" TEXT NOT NULL,
    "skill_id" TEXT NOT NULL,
    "skill_version" INTEGER,
    "params" JSONB NOT NULL DEFAULT '{}',
    "interval_seconds" INTEGER,
    "cron" TEXT,
    "timezone" TEXT NOT NULL DEFAULT 'UTC',
    "overlap_policy" TEXT NOT NULL DEFAULT 'allow',
    "next_run_at" TIMESTAMPTZ(3) NOT NULL,
    "status" TEXT NOT NULL,
    "last_run_id" TEXT,
    "last_run_at" TIMESTAMPTZ(3),
    "agenda_job_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "scheduled_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "agenda_jobs" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" VARCHAR(255) NOT NULL,
    "priority" INTEGER NOT NULL DEFAULT 0,
    "next_run_at" TIMESTAMPTZ(6),
    "type" VARCHAR(10) NOT NULL DEFAULT 'normal',
    "locked_at" TIMESTAMPTZ(6),
    "last_finished_at" TIMESTAMPTZ(6),
    "failed_at" TIMESTAMPTZ(6),
    "fail_count" INTEGER,
    "fail_reason" TEXT,
    "repeat_timezone" VARCHAR(100),
    "last_run_at" TIMESTAMPTZ(6),
    "repeat_interval" VARCHAR(255),
    "data" JSONB DEFAULT '{}',
    "repeat_at" VARCHAR(255),
    "disabled" BOOLEAN DEFAULT false,
    "progress" REAL,
    "fork" BOOLEAN DEFAULT false,
    "last_modified_by" VARCHAR(255),
    "debounce_started_at" TIMESTAMPTZ(6),
    "start_date" TIMESTAMPTZ(6),
    "end_date" TIMESTAMPTZ(6),
    "skip_days" JSONB,
    "created_at" TIMESTAMPTZ(6) DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "agenda_jobs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "skills_name_key" ON "skills"("name");

-- CreateIndex
CREATE INDEX "skills_updated_at_id_idx" ON "skills"("updated_at" DESC, "id" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "skill_versions_skill_id_version_key" ON "skill_versions"("skill_id", "version");

-- CreateIndex
CREATE UNIQUE INDEX "scheduled_runs_agenda_job_id_key" ON "scheduled_runs"("agenda_job_id");

-- CreateIndex
CREATE INDEX "scheduled_runs_created_at_id_idx" ON "scheduled_runs"("created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "scheduled_runs_status_created_at_id_idx" ON "scheduled_runs"("status", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "agenda_jobs_find_and_lock_idx" ON "agenda_jobs"("name", "next_run_at", "priority" DESC, "locked_at", "disabled");

-- CreateIndex
CREATE INDEX "agenda_jobs_locked_at_idx" ON "agenda_jobs"("locked_at");

-- CreateIndex
CREATE INDEX "agenda_jobs_next_run_at_idx" ON "agenda_jobs"("next_run_at");

-- CreateIndex
CREATE INDEX "runs_schedule_id_created_at_idx" ON "runs"("schedule_id", "created_at" DESC);

-- AddForeignKey
ALTER TABLE "skill_versions" ADD CONSTRAINT "skill_versions_skill_id_fkey" FOREIGN KEY ("skill_id") REFERENCES "skills"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "scheduled_runs" ADD CONSTRAINT "scheduled_runs_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "scheduled_runs" ADD CONSTRAINT "scheduled_runs_skill_id_fkey" FOREIGN KEY ("skill_id") REFERENCES "skills"("id") ON DELETE CASCADE ON UPDATE CASCADE;
