// The benchmark's peer: a minimal OCPP 1.6-J central system on ocpp-rpc (the
// library Node CSMSes are built on) that stores the same rows as galvanid's
// ocpp16 plugin in the same PostgreSQL, and answers each transaction message
// only after its row is committed. Security profile 1 is checked against the
// same registry table and scrypt hash format, with the same kind of cache of
// verified credentials. Started by bench/run; not for production.
//
// Environment: PEER_WS_PORT, PEER_HTTP_PORT, PEER_PG (libpq-style connection
// string whose search_path selects the peer's schema), PEER_POOL (default 4),
// PEER_HEARTBEAT (seconds, default 300).
'use strict';
const { RPCServer } = require('ocpp-rpc');
const { Pool } = require('pg');
const crypto = require('crypto');
const http = require('http');

const wsPort = Number(process.env.PEER_WS_PORT || 9100);
const httpPort = Number(process.env.PEER_HTTP_PORT || 9180);
const heartbeat = Number(process.env.PEER_HEARTBEAT || 300);
const pool = new Pool({ connectionString: process.env.PEER_PG, max: Number(process.env.PEER_POOL || 4) });
pool.on('error', (e) => console.error('peer: pg:', e.message));

// Verified (stored hash, offered password) pairs, keyed by an HMAC under a
// per-process key; bounded, oldest out first.
const cacheKey = crypto.randomBytes(32);
const verified = new Map();
const CACHE_MAX = 65536;

function scryptVerify(password, stored) {
    const m = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([^$]+)\$([^$]+)$/.exec(stored || '');
    if (!m) return Promise.resolve(false);
    const N = 1 << Number(m[1]), r = Number(m[2]), p = Number(m[3]);
    const salt = Buffer.from(m[4], 'base64'), want = Buffer.from(m[5], 'base64');
    return new Promise((resolve) => {
        crypto.scrypt(password, salt, want.length, { N, r, p, maxmem: 256 * N * r }, (err, got) => {
            resolve(!err && crypto.timingSafeEqual(got, want));
        });
    });
}

async function checkPassword(password, stored) {
    const tag = crypto.createHmac('sha256', cacheKey).update(stored).update('\0').update(password).digest('hex');
    if (verified.has(tag)) return true;
    const ok = await scryptVerify(password, stored);
    if (ok) {
        if (verified.size >= CACHE_MAX) verified.delete(verified.keys().next().value);
        verified.set(tag, true);
    }
    return ok;
}

const server = new RPCServer({ protocols: ['ocpp1.6'], strictMode: true });

server.auth(async (accept, reject, handshake) => {
    try {
        const r = await pool.query(
            'SELECT status, security_profile, password_hash FROM glv_chargers WHERE identity = $1',
            [handshake.identity]);
        if (r.rowCount === 0) return reject(404, 'unknown charger');
        const c = r.rows[0];
        if (c.security_profile === 1) {
            if (!handshake.password) return reject(401, 'password required');
            if (!(await checkPassword(handshake.password.toString('utf8'), c.password_hash)))
                return reject(401, 'wrong password');
        }
        await pool.query(
            'INSERT INTO glv_charger_connections (identity, transport, node, channel)' +
                ' VALUES ($1, $2, $3, $4) ON CONFLICT (identity) DO UPDATE SET' +
                ' transport = EXCLUDED.transport, node = EXCLUDED.node, channel = EXCLUDED.channel,' +
                ' connected_at = now(), last_seen = now()',
            [handshake.identity, 'ocpp1.6', 'peer', 'peer']);
        accept({});
    } catch (e) {
        reject(503, e.message);
    }
});

const now = () => new Date().toISOString();

// The local token list, read on every Authorize and StartTransaction.
async function tokenInfo(idTag) {
    const r = await pool.query(
        'SELECT status FROM localauth_tokens WHERE lower(id_token) = lower($1)', [idTag]);
    return { status: r.rowCount ? r.rows[0].status : 'Invalid' };
}

// One reading per timestamp, its sampled values in message order.
function readingsOf(meterValue) {
    const byTime = new Map();
    for (const mv of meterValue || []) {
        const t = new Date(mv.timestamp).toISOString();
        if (!byTime.has(t))
            byTime.set(t, { timestamp: t, energy_wh: null, samples: [] });
        const r = byTime.get(t);
        for (const s of mv.sampledValue || []) {
            const sample = {
                measurand: s.measurand || 'Energy.Active.Import.Register',
                location: s.location || 'Outlet',
                context: s.context || 'Sample.Periodic',
                value: Number.isFinite(Number(s.value)) ? Number(s.value) : null,
                unit: s.unit || 'Wh',
                raw: s.value,
                format: s.format || 'Raw',
            };
            if (s.phase)
                sample.phase = s.phase;
            if (sample.measurand === 'Energy.Active.Import.Register' && sample.unit === 'Wh')
                r.energy_wh = sample.value;
            r.samples.push(sample);
        }
    }
    return [...byTime.values()];
}

const SQL_METER =
    'INSERT INTO ocpp16_meter_readings AS o (transaction_id, charger, connector_id, sampled_at,' +
    ' energy_wh, samples)' +
    ' SELECT $3::integer, $1, $2::integer, r."timestamp", r.energy_wh, r.samples' +
    ' FROM json_to_recordset($4::json) AS r("timestamp" timestamptz,' +
    ' energy_wh double precision, samples json)' +
    ' ON CONFLICT (transaction_id, charger, connector_id, sampled_at) DO UPDATE' +
    ' SET samples = (o.samples::jsonb || (SELECT jsonb_agg(x)' +
    ' FROM jsonb_array_elements(excluded.samples::jsonb) x' +
    ' WHERE NOT o.samples::jsonb @> jsonb_build_array(x)))::json' +
    ' WHERE NOT o.samples::jsonb @> excluded.samples::jsonb';

server.on('client', (client) => {
    const id = client.identity;
    client.handle('BootNotification', async ({ params }) => {
        await pool.query(
            'UPDATE glv_chargers SET vendor = $2, model = $3, serial = $4, firmware = $5,' +
                ' updated_at = now() WHERE identity = $1',
            [id, params.chargePointVendor, params.chargePointModel,
                params.chargePointSerialNumber || null, params.firmwareVersion || null]);
        return { status: 'Accepted', currentTime: now(), interval: heartbeat };
    });
    client.handle('Heartbeat', async () => {
        await pool.query(
            'UPDATE glv_charger_connections SET last_seen = now() WHERE identity = $1', [id]);
        return { currentTime: now() };
    });
    client.handle('StatusNotification', () => ({}));
    client.handle('Authorize', async ({ params }) => ({ idTagInfo: await tokenInfo(params.idTag) }));
    client.handle('DataTransfer', () => ({ status: 'Accepted' }));
    client.handle('StartTransaction', async ({ params }) => {
        const info = await tokenInfo(params.idTag);
        const r = await pool.query(
            'INSERT INTO ocpp16_transactions (charger, connector_id, id_tag, meter_start,' +
                ' started_at, reservation_id, id_tag_info) VALUES ($1, $2, $3, $4, $5, $6, $7)' +
                ' ON CONFLICT ON CONSTRAINT ocpp16_transactions_start_key DO UPDATE' +
                ' SET charger = EXCLUDED.charger RETURNING transaction_id',
            [id, params.connectorId, params.idTag, params.meterStart, params.timestamp,
                params.reservationId ?? null, JSON.stringify(info)]);
        return { transactionId: r.rows[0].transaction_id, idTagInfo: info };
    });
    client.handle('MeterValues', async ({ params }) => {
        await pool.query(SQL_METER, [id, params.connectorId, params.transactionId || 0,
            JSON.stringify(readingsOf(params.meterValue))]);
        return {};
    });
    client.handle('StopTransaction', async ({ params }) => {
        const info = params.idTag ? { status: 'Accepted' } : null;
        const db = await pool.connect();
        try {
            await db.query('BEGIN');
            const r = await db.query(
                'UPDATE ocpp16_transactions SET meter_stop = $3, stopped_at = $4, stop_reason = $5,' +
                    ' stop_id_tag = $6, stop_id_tag_info = $7, stop_received_at = now()' +
                    ' WHERE transaction_id = $2 AND charger = $1 AND stopped_at IS NULL' +
                    ' RETURNING connector_id',
                [id, params.transactionId, params.meterStop, params.timestamp,
                    params.reason || null, params.idTag || null, info && JSON.stringify(info)]);
            const conn = r.rowCount ? r.rows[0].connector_id : 0;
            await db.query(SQL_METER, [id, conn, params.transactionId,
                JSON.stringify(readingsOf(params.transactionData))]);
            await db.query('COMMIT');
        } catch (e) {
            await db.query('ROLLBACK').catch(() => {});
            throw e;
        } finally {
            db.release();
        }
        return info ? { idTagInfo: info } : {};
    });
});

http.createServer((req, res) => {
    if (req.url === '/healthz') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{"status":"ok"}\n');
    } else {
        res.writeHead(404);
        res.end();
    }
}).listen(httpPort, '127.0.0.1');

server.listen(wsPort, '127.0.0.1').then(() => console.log(`peer: ws ${wsPort}, http ${httpPort}`));
for (const sig of ['SIGTERM', 'SIGINT'])
    process.on(sig, async () => {
        await server.close({ force: true }).catch(() => {});
        await pool.end().catch(() => {});
        process.exit(0);
    });
