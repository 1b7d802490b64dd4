-- rectus migration 0001 (MySQL/MariaDB): Directus 11's access-control and metadata tables.
-- Names, columns and defaults follow Directus (its MySQL DDL through knex: char(36) ids,
-- int unsigned AUTO_INCREMENT ids, tinyint(1) booleans, json, timestamp; foreign keys and
-- unique keys named as knex names them); foreign keys to Directus tables rectus does not
-- create (files, folders, shares, OAuth clients) are left out. Every table is created only
-- when missing, so a database Directus made keeps its own tables and rows.
-- Unique keys are inline (MySQL 8 has no CREATE INDEX IF NOT EXISTS). No table sets a
-- character set or collation: like Directus's, the tables take the database's default, so
-- char(36) keys here match those of tables Directus made in the same database (a foreign key
-- between columns of different collations cannot be created). Create the database as
-- utf8mb4. Identifiers are double-quoted (ANSI_QUOTES, or rectus's MySQL rendering).

CREATE TABLE IF NOT EXISTS "directus_roles" (
  "id" char(36) NOT NULL,
  "name" varchar(100) NOT NULL,
  "icon" varchar(64) NOT NULL DEFAULT 'supervised_user_circle',
  "description" text,
  "parent" char(36),
  PRIMARY KEY ("id"),
  CONSTRAINT "directus_roles_parent_foreign" FOREIGN KEY ("parent") REFERENCES "directus_roles" ("id")
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS "directus_users" (
  "id" char(36) NOT NULL,
  "first_name" varchar(50),
  "last_name" varchar(50),
  "email" varchar(128),
  "password" varchar(255),
  "location" varchar(255),
  "title" varchar(50),
  "description" text,
  "tags" json,
  "avatar" char(36),
  "language" varchar(255) DEFAULT NULL,
  "tfa_secret" varchar(255),
  "status" varchar(16) NOT NULL DEFAULT 'active',
  "role" char(36),
  "token" varchar(255),
  "last_access" timestamp NULL,
  "last_page" varchar(255),
  "provider" varchar(128) NOT NULL DEFAULT 'default',
  "external_identifier" varchar(255),
  "auth_data" json,
  "email_notifications" tinyint(1) DEFAULT 1,
  "appearance" varchar(255),
  "theme_dark" varchar(255),
  "theme_light" varchar(255),
  "theme_light_overrides" json,
  "theme_dark_overrides" json,
  "text_direction" varchar(255) NOT NULL DEFAULT 'auto',
  PRIMARY KEY ("id"),
  UNIQUE KEY "directus_users_email_unique" ("email"),
  UNIQUE KEY "directus_users_token_unique" ("token"),
  CONSTRAINT "directus_users_role_foreign" FOREIGN KEY ("role") REFERENCES "directus_roles" ("id") ON DELETE SET NULL
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS "directus_policies" (
  "id" char(36) NOT NULL,
  "name" varchar(100) NOT NULL,
  "icon" varchar(64) NOT NULL DEFAULT 'badge',
  "description" text,
  "ip_access" text,
  "enforce_tfa" tinyint(1) NOT NULL DEFAULT 0,
  "admin_access" tinyint(1) NOT NULL DEFAULT 0,
  "app_access" tinyint(1) NOT NULL DEFAULT 0,
  PRIMARY KEY ("id")
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS "directus_access" (
  "id" char(36) NOT NULL,
  "role" char(36) NULL,
  "user" char(36) NULL,
  "policy" char(36) NOT NULL,
  "sort" int,
  PRIMARY KEY ("id"),
  CONSTRAINT "directus_access_role_foreign" FOREIGN KEY ("role") REFERENCES "directus_roles" ("id") ON DELETE CASCADE,
  CONSTRAINT "directus_access_user_foreign" FOREIGN KEY ("user") REFERENCES "directus_users" ("id") ON DELETE CASCADE,
  CONSTRAINT "directus_access_policy_foreign" FOREIGN KEY ("policy") REFERENCES "directus_policies" ("id") ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS "directus_permissions" (
  "id" int unsigned NOT NULL AUTO_INCREMENT,
  "collection" varchar(64) NOT NULL,
  "action" varchar(10) NOT NULL,
  "permissions" json,
  "validation" json,
  "presets" json,
  "fields" text,
  "policy" char(36) NOT NULL,
  PRIMARY KEY ("id"),
  CONSTRAINT "directus_permissions_policy_foreign" FOREIGN KEY ("policy") REFERENCES "directus_policies" ("id") ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS "directus_sessions" (
  "token" varchar(64) NOT NULL,
  "user" char(36),
  "expires" timestamp NOT NULL,
  "ip" varchar(255),
  "user_agent" text,
  "share" char(36),
  "origin" varchar(255) NULL,
  "next_token" varchar(64) NULL,
  PRIMARY KEY ("token"),
  CONSTRAINT "directus_sessions_user_foreign" FOREIGN KEY ("user") REFERENCES "directus_users" ("id") ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS "directus_settings" (
  "id" int unsigned NOT NULL AUTO_INCREMENT,
  "project_name" varchar(100) NOT NULL DEFAULT 'Directus',
  "project_url" varchar(255),
  "project_color" varchar(255) NOT NULL DEFAULT '#6644FF',
  "project_logo" char(36),
  "public_foreground" char(36),
  "public_background" char(36),
  "public_note" text,
  "auth_login_attempts" int unsigned DEFAULT 25,
  "auth_password_policy" varchar(100),
  "storage_asset_transform" varchar(7) DEFAULT 'all',
  "storage_asset_presets" json,
  "custom_css" text,
  "storage_default_folder" char(36),
  "basemaps" json,
  "mapbox_key" varchar(255),
  "module_bar" json,
  "project_descriptor" varchar(100) NULL,
  "default_language" varchar(255) NOT NULL DEFAULT 'en-US',
  "custom_aspect_ratios" json,
  "public_favicon" char(36),
  "default_appearance" varchar(255) NOT NULL DEFAULT 'auto',
  "default_theme_light" varchar(255),
  "theme_light_overrides" json,
  "default_theme_dark" varchar(255),
  "theme_dark_overrides" json,
  "report_error_url" varchar(255) NULL,
  "report_bug_url" varchar(255) NULL,
  "report_feature_url" varchar(255) NULL,
  "public_registration" tinyint(1) NOT NULL DEFAULT 0,
  "public_registration_verify_email" tinyint(1) NOT NULL DEFAULT 1,
  "public_registration_role" char(36) NULL,
  "public_registration_email_filter" json NULL,
  "project_id" char(36),
  PRIMARY KEY ("id"),
  CONSTRAINT "directus_settings_public_registration_role_foreign" FOREIGN KEY ("public_registration_role") REFERENCES "directus_roles" ("id") ON DELETE SET NULL
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS "directus_collections" (
  "collection" varchar(64) NOT NULL,
  "icon" varchar(64),
  "note" text,
  "display_template" varchar(255),
  "hidden" tinyint(1) NOT NULL DEFAULT 0,
  "singleton" tinyint(1) NOT NULL DEFAULT 0,
  "translations" json,
  "archive_field" varchar(64),
  "archive_app_filter" tinyint(1) NOT NULL DEFAULT 1,
  "archive_value" varchar(255),
  "unarchive_value" varchar(255),
  "sort_field" varchar(64),
  "accountability" varchar(255) DEFAULT 'all',
  "color" varchar(255) NULL,
  "item_duplication_fields" json NULL,
  "sort" int,
  "group" varchar(64),
  "collapse" varchar(255) NOT NULL DEFAULT 'open',
  "preview_url" varchar(255) NULL,
  "versioning" tinyint(1) NOT NULL DEFAULT 0,
  PRIMARY KEY ("collection"),
  CONSTRAINT "directus_collections_group_foreign" FOREIGN KEY ("group") REFERENCES "directus_collections" ("collection")
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS "directus_fields" (
  "id" int unsigned NOT NULL AUTO_INCREMENT,
  "collection" varchar(64) NOT NULL,
  "field" varchar(64) NOT NULL,
  "special" varchar(64),
  "interface" varchar(64),
  "options" json,
  "display" varchar(64),
  "display_options" json,
  "readonly" tinyint(1) NOT NULL DEFAULT 0,
  "hidden" tinyint(1) NOT NULL DEFAULT 0,
  "sort" int unsigned,
  "width" varchar(30) DEFAULT 'full',
  "translations" json,
  "note" text,
  "conditions" json,
  "required" tinyint(1) DEFAULT 0,
  "group" varchar(64),
  "validation" json,
  "validation_message" text,
  "searchable" tinyint(1) NOT NULL DEFAULT 1,
  PRIMARY KEY ("id")
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS "directus_relations" (
  "id" int unsigned NOT NULL AUTO_INCREMENT,
  "many_collection" varchar(64) NOT NULL,
  "many_field" varchar(64) NOT NULL,
  "one_collection" varchar(64),
  "one_field" varchar(64),
  "one_collection_field" varchar(64),
  "one_allowed_collections" text,
  "junction_field" varchar(64),
  "sort_field" varchar(64),
  "one_deselect_action" varchar(255) NOT NULL DEFAULT 'nullify',
  PRIMARY KEY ("id")
) ENGINE=InnoDB;

-- rectus's own: failed logins per user since the last success (Directus
-- keeps this count in process memory; here every host sees the same count).
CREATE TABLE IF NOT EXISTS "rectus_login_failures" (
  "user" char(36) NOT NULL,
  "failures" int NOT NULL DEFAULT 0,
  PRIMARY KEY ("user"),
  CONSTRAINT "rectus_login_failures_user_foreign" FOREIGN KEY ("user") REFERENCES "directus_users" ("id") ON DELETE CASCADE
) ENGINE=InnoDB;
