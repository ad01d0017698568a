-- Meter values as one row per sampling time rather than one per sampled
-- value: a MeterValues message is usually one timestamp with several
-- sampled values, and a row each cost several index entries per message.
--
-- The primary key recognizes a resend: the same charger, connector,
-- transaction and timestamp. A later message with the same key but new
-- sampled values (a charger that sends each measurand in a message of its
-- own) merges them into the row. transaction_id 0: outside any transaction;
-- the key's first column serves the lookups by transaction.
CREATE TABLE ocpp16_meter_readings (
    transaction_id integer NOT NULL DEFAULT 0,
    charger text NOT NULL,
    connector_id integer NOT NULL CHECK (connector_id >= 0),
    sampled_at timestamptz NOT NULL,
    -- the reading's Energy.Active.Import.Register in Wh, when it has one
    energy_wh double precision,
    -- [{measurand, phase, location, context, unit, raw, format, value}]:
    -- value in the base unit (null when signed or unreadable), raw as sent;
    -- phase absent when none, and location, context and format absent when
    -- they are OCPP 1.6's defaults (Outlet, Sample.Periodic, Raw). json, not
    -- jsonb: stored as written, the cheapest to insert.
    samples json NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (transaction_id, charger, connector_id, sampled_at)
);

INSERT INTO ocpp16_meter_readings (transaction_id, charger, connector_id, sampled_at, energy_wh,
                                   samples, received_at)
SELECT transaction_id, charger, connector_id, sampled_at,
       (array_agg(value ORDER BY id DESC)
            FILTER (WHERE measurand = 'Energy.Active.Import.Register' AND unit = 'Wh'
                    AND value IS NOT NULL))[1],
       json_agg(jsonb_strip_nulls(jsonb_build_object(
                    'measurand', measurand, 'phase', nullif(phase, ''),
                    'location', nullif(location, 'Outlet'),
                    'context', nullif(context, 'Sample.Periodic'), 'unit', unit,
                    'raw', raw_value, 'format', nullif(format, 'Raw')))
                || jsonb_build_object('value', value) ORDER BY id),
       min(received_at)
FROM ocpp16_meter_values
GROUP BY transaction_id, charger, connector_id, sampled_at;

DROP TABLE ocpp16_meter_values;

-- One row per sampled value, the defaults filled in, for reading and
-- reporting.
CREATE VIEW ocpp16_meter_values AS
SELECT r.charger, r.connector_id, r.transaction_id, r.sampled_at, s.measurand,
       coalesce(s.phase, '') AS phase, coalesce(s.location, 'Outlet') AS location,
       coalesce(s.context, 'Sample.Periodic') AS context, s.value, s.unit,
       s.raw AS raw_value, coalesce(s.format, 'Raw') AS format, r.received_at
FROM ocpp16_meter_readings r
CROSS JOIN LATERAL json_to_recordset(r.samples)
    AS s(measurand text, phase text, location text, context text, value double precision,
         unit text, raw text, format text);
