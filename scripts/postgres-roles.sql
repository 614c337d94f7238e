-- FieldLog on PostgreSQL: one role owns the tables, another runs the server
-- (README, "Running on PostgreSQL"; tests/test_postgres_roles.py runs this file).
--
-- Run once, as a superuser:
--   psql -h DBHOST -U postgres -f scripts/postgres-roles.sql
-- then give both roles a password:
--   psql -h DBHOST -U postgres -c '\password fieldlog_owner' -c '\password fieldlog_app'

-- Owns the database and its tables: runs `fieldlog init` (the migrations) and
-- `fieldlog grant-app-role fieldlog_app`, nothing else.
CREATE ROLE fieldlog_owner LOGIN;

-- Runs the server (and seed, import, demo): reads and writes rows, owns nothing, so it
-- can neither change a table nor switch off the audit trail's triggers.
CREATE ROLE fieldlog_app LOGIN;

CREATE DATABASE fieldlog OWNER fieldlog_owner;
