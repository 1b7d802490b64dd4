-- rectus migration 0002 (MySQL/MariaDB): per-table data versions. Every write through rectus
-- adds one to the rows of the tables it wrote, in its own transaction; every
-- instance compares them with what it saw to know which cached responses
-- another instance (process, isolate, location) made stale.

CREATE TABLE IF NOT EXISTS "rectus_data_versions" (
  "collection" varchar(64) NOT NULL,
  "version" int NOT NULL DEFAULT 0,
  PRIMARY KEY ("collection")
) ENGINE=InnoDB;
