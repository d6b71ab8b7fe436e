-- The two database roles of a skillsmap deployment, and the database. Run once, as a superuser
-- (the postgres image runs it from /docker-entrypoint-initdb.d; elsewhere, see the README):
--   psql -v owner_password=… -v app_password=… -f deploy/postgres/create-roles.sql
--
-- skillsmap_owner owns the database and its tables and runs the migrations. skillsmap_app is what
-- web, worker and beat connect as: it reads and writes rows but cannot change the schema, and it is
-- neither superuser nor BYPASSRLS, because either would silently skip row-level security (the
-- second tenancy wall, docs/tenancy.md). Neither role can create roles or databases.
\set ON_ERROR_STOP on

CREATE ROLE skillsmap_owner LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB
  PASSWORD :'owner_password';
CREATE ROLE skillsmap_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB
  PASSWORD :'app_password';
CREATE DATABASE skillsmap OWNER skillsmap_owner;

\connect skillsmap
-- PostgreSQL 15 makes the database owner the owner of schema public; the app only uses it.
GRANT USAGE ON SCHEMA public TO skillsmap_app;
-- Every table and sequence a migration creates from now on is usable by the app, row by row.
ALTER DEFAULT PRIVILEGES FOR ROLE skillsmap_owner IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO skillsmap_app;
ALTER DEFAULT PRIVILEGES FOR ROLE skillsmap_owner IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO skillsmap_app;
