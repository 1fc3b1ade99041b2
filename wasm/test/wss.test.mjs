// The browser client over wss:// (XENTARA_WSS_URL, from test.sh: the example server with
// the self-signed certificate in test/tls, which NODE_EXTRA_CA_CERTS makes Node trust),
// as a page served over https talks to a Xentara server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X } from './common.mjs';

const DP1 = 'e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8';

function wssUrl() {
  const url = process.env.XENTARA_WSS_URL;
  if (!url) throw new Error('XENTARA_WSS_URL is not set: run wasm/test.sh');
  return url;
}

test('over wss: connect, then lookups answered', async () => {
  assert.match(wssUrl(), /^wss:\/\/127\.0\.0\.1:\d+\/api\/ws$/);
  const connection = new X.Connection();
  await connection.connect(wssUrl());
  assert.equal(connection.isConnected(), true);
  const element = await connection.lookupElement('Group 1.Data Point 2');
  assert.notEqual(element.uuid, DP1);
  const point = await connection.lookupElement('Group 1.Data Point 1');
  assert.equal(point.uuid, DP1);
  connection.close();
});
