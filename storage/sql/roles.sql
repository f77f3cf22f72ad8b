-- Least privilege for shequ-flow on PostgreSQL (docs/POSTGRESQL.md, "Roles").
--
--   psql "$ADMIN_URL" -v owner=shequ_owner -v app=shequ_app -f storage/sql/roles.sql
--   (or: shequ --db "$ADMIN_URL" db roles --owner shequ_owner --app shequ_app)
--
-- Run it as a superuser (or a role with CREATEROLE that may change the tables' owner) in the application's
-- database, after `shequ db upgrade`, and again after every upgrade. It is idempotent. It
--
--   * creates the two LOGIN roles if they do not exist (no password: set one with \password, or through
--     `shequ db roles --owner-password-env/--app-password-env`);
--   * makes the owner role own every table and sequence of the schema: migrations run as the owner;
--   * gives the application role SELECT, INSERT, UPDATE and DELETE on every table (and the sequences), but on
--     the audit trail only SELECT and INSERT: no UPDATE, DELETE or TRUNCATE of audit entries; TRUNCATE of
--     no table; no DDL (it owns nothing); read-only on alembic_version;
--   * on the audit head row (the chain's last seq and hash, locked by every write transaction and moved by
--     every append) grants UPDATE of the columns seq and hash only (which is also what its SELECT … FOR
--     UPDATE needs), and a trigger lets the head move only forward by one, onto the entry just appended:
--     the application can extend the chain, never rewind, fork or re-point it;
--   * lets tables created by later migrations (run as the owner) be read and written by the application.
--
-- psql variables are used outside dollar quotes only; the DO blocks read the names from settings.

SELECT set_config('shequ.owner', :'owner', false), set_config('shequ.app', :'app', false);

DO $roles$
DECLARE
    owner_role text := current_setting('shequ.owner');
    app_role text := current_setting('shequ.app');
    schema_name text := current_schema();
    r record;
BEGIN
    IF to_regclass('audit_entries') IS NULL OR to_regclass('audit_head') IS NULL THEN
        RAISE EXCEPTION 'shequ-flow schema not found in %.%: run shequ db upgrade first',
            current_database(), schema_name USING ERRCODE = 'undefined_table';
    END IF;
    IF owner_role = app_role THEN
        RAISE EXCEPTION 'the owner and the application must be two roles' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = owner_role) THEN
        EXECUTE format('CREATE ROLE %I LOGIN', owner_role);
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = app_role) THEN
        EXECUTE format('CREATE ROLE %I LOGIN', app_role);
    END IF;

    -- The owner: owns the schema's tables (their SERIAL sequences follow) and may create new ones.
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', current_database(), owner_role);
    EXECUTE format('GRANT USAGE, CREATE ON SCHEMA %I TO %I', schema_name, owner_role);
    FOR r IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = schema_name AND c.relkind IN ('r', 'p') LOOP
        EXECUTE format('ALTER TABLE %I.%I OWNER TO %I', schema_name, r.relname, owner_role);
    END LOOP;
    FOR r IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = schema_name AND c.relkind = 'S' LOOP
        EXECUTE format('ALTER SEQUENCE %I.%I OWNER TO %I', schema_name, r.relname, owner_role);
    END LOOP;

    -- The application: data only.
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), app_role);
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', schema_name, app_role);
    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM %I', schema_name, app_role);
    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM PUBLIC', schema_name);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I', schema_name, app_role);
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO %I', schema_name, app_role);
    -- The audit trail is append-only.
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON audit_entries FROM %I', app_role);
    -- The head: lock it, move it (seq, hash); never insert, delete or re-key it.
    EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit_head FROM %I', app_role);
    EXECUTE format('GRANT UPDATE (seq, hash) ON audit_head TO %I', app_role);
    IF to_regclass('alembic_version') IS NOT NULL THEN
        EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM %I', app_role);
    END IF;

    -- Tables and sequences later migrations create (as the owner) are the application's data too.
    EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE '
                   'ON TABLES TO %I', owner_role, schema_name, app_role);
    EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I GRANT USAGE, SELECT ON SEQUENCES TO %I',
                   owner_role, schema_name, app_role);
END
$roles$;

-- The head moves only forward by one, onto the entry just appended behind it (Store.append_audit inserts the
-- entry, then moves the head, in one transaction).
CREATE OR REPLACE FUNCTION shequ_audit_head_guard() RETURNS trigger LANGUAGE plpgsql AS $guard$
BEGIN
    IF NEW.id <> OLD.id OR NEW.seq <> OLD.seq + 1 OR NOT EXISTS (
            SELECT FROM audit_entries e WHERE e.seq = NEW.seq AND e.hash = NEW.hash AND e.prev_hash = OLD.hash)
    THEN
        RAISE EXCEPTION 'audit head may only advance by one, onto the entry appended behind it (% -> %)',
            OLD.seq, NEW.seq USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$guard$;
DROP TRIGGER IF EXISTS audit_head_guard ON audit_head;
CREATE TRIGGER audit_head_guard BEFORE UPDATE ON audit_head FOR EACH ROW EXECUTE FUNCTION shequ_audit_head_guard();

DO $owner$
BEGIN
    EXECUTE format('ALTER FUNCTION shequ_audit_head_guard() OWNER TO %I', current_setting('shequ.owner'));
END
$owner$;
