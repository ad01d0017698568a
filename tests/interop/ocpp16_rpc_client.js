// Interoperability check of the ocpp16 transport with an independent
// OCPP-J implementation: the npm package ocpp-rpc in strict mode, which
// validates every payload in both directions against the OCPP 1.6 schemas.
// Usage: node ocpp16_rpc_client.js WS_PORT HTTP_PORT IDENTITY PASSWORD
'use strict';
const { RPCClient } = require('ocpp-rpc');
const http = require('http');

const [wsPort, httpPort, identity, password] = process.argv.slice(2);

function fail(msg) {
    console.error('FAIL: ' + msg);
    process.exit(1);
}

function post(path, body) {
    return new Promise((resolve, reject) => {
        const data = JSON.stringify(body);
        const req = http.request({ host: '127.0.0.1', port: Number(httpPort), path, method: 'POST',
            headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } },
            (res) => {
                let out = '';
                res.on('data', (c) => (out += c));
                res.on('end', () => resolve(JSON.parse(out)));
            });
        req.on('error', reject);
        req.end(data);
    });
}

async function main() {
    const cli = new RPCClient({
        endpoint: `ws://127.0.0.1:${wsPort}/ocpp`,
        identity,
        password,
        protocols: ['ocpp1.6'],
        strictMode: true,
        reconnect: false,
        callTimeoutMs: 10000,
    });
    const received = [];
    cli.handle('Reset', ({ params }) => {
        received.push(['Reset', params]);
        return { status: 'Accepted' };
    });
    cli.handle('GetConfiguration', ({ params }) => {
        received.push(['GetConfiguration', params]);
        return { configurationKey: [{ key: 'HeartbeatInterval', readonly: false, value: '300' }], unknownKey: [] };
    });
    await cli.connect();
    if (cli.protocol !== 'ocpp1.6') fail('subprotocol ' + cli.protocol);

    const boot = await cli.call('BootNotification', { chargePointVendor: 'interop', chargePointModel: 'ocpp-rpc' });
    if (boot.status !== 'Accepted') fail('boot ' + JSON.stringify(boot));
    await cli.call('Heartbeat', {});
    await cli.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Available' });
    const auth = await cli.call('Authorize', { idTag: 'INTEROP-TAG' });
    if (auth.idTagInfo.status !== 'Accepted') fail('authorize ' + JSON.stringify(auth));
    const start = await cli.call('StartTransaction', { connectorId: 1, idTag: 'INTEROP-TAG', meterStart: 0,
        timestamp: new Date().toISOString() });
    if (!Number.isInteger(start.transactionId)) fail('start ' + JSON.stringify(start));
    await cli.call('MeterValues', { connectorId: 1, transactionId: start.transactionId, meterValue: [
        { timestamp: new Date().toISOString(), sampledValue: [{ value: '250', unit: 'Wh' }] }] });
    const stop = await cli.call('StopTransaction', { transactionId: start.transactionId, meterStop: 500,
        timestamp: new Date().toISOString(), idTag: 'INTEROP-TAG', reason: 'Local' });
    if (stop.idTagInfo.status !== 'Accepted') fail('stop ' + JSON.stringify(stop));
    const dt = await cli.call('DataTransfer', { vendorId: 'org.galvani.test', data: 'hi' });
    if (dt.status !== 'Accepted' || dt.data !== 'echo:hi') fail('data transfer ' + JSON.stringify(dt));

    // the central system calls the charger
    const reset = await post(`/test/ocpp16/command/${identity}/reset`, { type: 'Hard' });
    if (!reset.result || reset.result.status !== 'Accepted') fail('reset ' + JSON.stringify(reset));
    const conf = await post(`/test/ocpp16/command/${identity}/get_configuration`, { key: ['HeartbeatInterval'] });
    if (!conf.result || conf.result.configurationKey[0].value !== '300') fail('get_configuration ' + JSON.stringify(conf));
    if (received.length !== 2 || received[0][1].type !== 'Hard') fail('calls received ' + JSON.stringify(received));

    await cli.close({ code: 1000 });
    console.log(`ok transaction ${start.transactionId}`);
}

main().catch((e) => fail(e.stack || String(e)));
