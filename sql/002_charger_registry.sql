-- The charger registry: one record per charger for every transport, the
-- connection held by a galvanid node, and the commands sent to chargers
-- (also the audit trail of remote commands).
CREATE TABLE glv_chargers (
    identity text PRIMARY KEY CHECK (length(identity) BETWEEN 1 AND 255),
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('accepted', 'pending', 'rejected')),
    security_profile integer NOT NULL DEFAULT 0 CHECK (security_profile BETWEEN 0 AND 3),
    password_hash text,
    lenient boolean NOT NULL DEFAULT false,
    connectors integer NOT NULL DEFAULT 0 CHECK (connectors BETWEEN 0 AND 1000),
    vendor text,
    model text,
    serial text,
    firmware text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Which node holds a charger's connection right now (no row: offline).
CREATE TABLE glv_charger_connections (
    identity text PRIMARY KEY REFERENCES glv_chargers (identity) ON DELETE CASCADE,
    transport text NOT NULL,
    node text NOT NULL,
    channel text NOT NULL,
    connected_at timestamptz NOT NULL DEFAULT now(),
    last_seen timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX glv_charger_connections_node ON glv_charger_connections (node);

CREATE TABLE glv_charger_commands (
    id bigserial PRIMARY KEY,
    identity text NOT NULL,
    command text NOT NULL,
    args jsonb NOT NULL DEFAULT '{}',
    origin_node text NOT NULL,
    origin_channel text NOT NULL,
    target_node text,
    transport text,
    status text NOT NULL
        CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'timeout', 'offline',
                          'unknown')),
    result jsonb,
    error jsonb,
    timeout_ms integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    finished_at timestamptz
);
CREATE INDEX glv_charger_commands_identity ON glv_charger_commands (identity, created_at);
CREATE INDEX glv_charger_commands_open ON glv_charger_commands (target_node)
    WHERE finished_at IS NULL;
