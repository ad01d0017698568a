-- OCPP 1.6 transactions, their meter values and the StopTransaction messages
-- that named a transaction nobody knows (kept for review).
--
-- transactionId is an OCPP 1.6 integer assigned by the database, unique
-- across every galvanid process. A StartTransaction resent after a
-- reconnect carries the same charger, connector, idTag, meterStart and
-- timestamp; the unique key makes it find the row it created the first time.
CREATE TABLE ocpp16_transactions (
    transaction_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    charger text NOT NULL,
    connector_id integer NOT NULL CHECK (connector_id >= 0),
    id_tag text NOT NULL,
    meter_start bigint NOT NULL,
    started_at timestamptz NOT NULL,
    reservation_id integer,
    id_tag_info jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    meter_stop bigint,
    stopped_at timestamptz,
    stop_reason text,
    stop_id_tag text,
    stop_id_tag_info jsonb,
    stop_received_at timestamptz,
    CONSTRAINT ocpp16_transactions_start_key
        UNIQUE (charger, connector_id, id_tag, meter_start, started_at)
);
CREATE INDEX ocpp16_transactions_open ON ocpp16_transactions (charger, connector_id)
    WHERE stopped_at IS NULL;

-- One row per sampled value, normalized to base units (Wh, W, A, V ...).
-- transaction_id 0: a value outside any transaction. A resent MeterValues
-- (or the transactionData of a resent StopTransaction) hits the unique key
-- and is not stored twice.
CREATE TABLE ocpp16_meter_values (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    charger text NOT NULL,
    connector_id integer NOT NULL,
    transaction_id integer NOT NULL DEFAULT 0,
    sampled_at timestamptz NOT NULL,
    measurand text NOT NULL,
    phase text NOT NULL DEFAULT '',
    location text NOT NULL,
    context text NOT NULL,
    value double precision,
    unit text NOT NULL,
    raw_value text NOT NULL,
    format text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ocpp16_meter_values_sample_key
        UNIQUE (charger, connector_id, transaction_id, sampled_at, measurand, phase, location,
                context)
);
CREATE INDEX ocpp16_meter_values_transaction ON ocpp16_meter_values (transaction_id)
    WHERE transaction_id <> 0;

-- StopTransaction for a transactionId this charger never got from us: it is
-- answered (never a CALLERROR, which the charger would resend forever) and
-- kept here for an operator to review.
CREATE TABLE ocpp16_unknown_stops (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    charger text NOT NULL,
    transaction_id integer NOT NULL,
    meter_stop bigint NOT NULL,
    stopped_at timestamptz NOT NULL,
    reason text,
    id_tag text,
    id_tag_info jsonb,
    transaction_data jsonb NOT NULL DEFAULT '[]',
    received_at timestamptz NOT NULL DEFAULT now(),
    reviewed_at timestamptz,
    CONSTRAINT ocpp16_unknown_stops_key UNIQUE (charger, transaction_id, meter_stop, stopped_at)
);
