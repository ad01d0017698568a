-- The record of applied migrations. galvanictl creates this table itself
-- before the first migration runs (so that it can record this one); the
-- statement is kept here so the schema is complete from sql/ alone.
CREATE TABLE IF NOT EXISTS glv_schema_version (
    component text NOT NULL,
    version integer NOT NULL CHECK (version > 0),
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (component, version)
);
