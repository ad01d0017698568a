-- The local token list: the operator's own cards (service, staff, demo),
-- answered by the localauth plugin. OCPP id tokens compare without regard
-- to case.
CREATE TABLE localauth_tokens (
    id_token text PRIMARY KEY CHECK (length(id_token) BETWEEN 1 AND 255),
    type text NOT NULL DEFAULT 'RFID' CHECK (length(type) BETWEEN 1 AND 32),
    status text NOT NULL DEFAULT 'Accepted'
        CHECK (status IN ('Accepted', 'Blocked', 'Expired', 'Invalid')),
    expiry timestamptz,
    parent_id text CHECK (parent_id IS NULL OR length(parent_id) BETWEEN 1 AND 255),
    "group" text,
    note text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX localauth_tokens_lower ON localauth_tokens (lower(id_token));
