-- AlterTable
ALTER TABLE "approvals" ADD COLUMN     "resumed_run_id" TEXT;
