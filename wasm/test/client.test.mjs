// The browser client (wasm/pkg) against the example server (XENTARA_URL, from test.sh),
// through the vendor's API as the sample web UI uses it, and what it adds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X, sent, serverUrl, hex, sleep, events, rejection } from './common.mjs';

const DP1 = 'e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8';
const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function connected(url = serverUrl()) {
  const connection = new X.Connection();
  await connection.connect(url);
  return connection;
}

test('connect: open event, the hello on open without waiting, isConnected', async () => {
  const connection = new X.Connection();
  sent.length = 0;
  const opened = events(connection, 'open', 1);
  assert.equal(await connection.connect(serverUrl()), undefined);
  await opened;
  assert.equal(connection.isConnected(), true);
  // Sent at open, before any answer: client_hello {0: 1, 1: 1} with id 1.
  assert.equal(hex(sent[0]), '818400010ea200010101');
  connection.close();
});

test('lookupElement, browse, metadata: the vendor results', async () => {
  const connection = await connected();
  const element = await connection.lookupElement('Group 1.Data Point 1');
  assert.ok(element instanceof X.Element);
  assert.equal(element.uuid, DP1);

  const group = await connection.lookupElement('Group 1');
  const entries = await connection.browse(group, {
    depth: 2,
    elementCategory: [X.ElementCategory.ElementGroup, X.ElementCategory.DataPoint],
  });
  assert.equal(entries.size(), 2);
  assert.equal(entries.get(0).toString(), `Primary key: Group 1.Data Point 1, UUID: ${DP1}, Element Category: data point`);
  assert.equal(entries.get(1).primaryKey, 'Group 1.Data Point 2');
  assert.equal(entries.get(1).elementCategory, X.ElementCategory.DataPoint);
  const root = await connection.browse(new X.Element('00000000-0000-0000-0000-000000000000'), { depth: 1 });
  assert.deepEqual([...root].map((e) => e.primaryKey), ['Group 1']);

  const ids = [X.MetadataIdentifier.PrimaryKey, X.MetadataIdentifier.ElementCategory, X.MetadataIdentifier.AttributeList, X.MetadataIdentifier.HasChildren];
  const meta = await connection.metadata(element, ids);
  assert.equal(meta.primaryKey, 'Group 1.Data Point 1');
  assert.equal(meta.elementCategory, X.ElementCategory.DataPoint);
  assert.equal(meta.hasChildren, false);
  const value = [...meta.attributeList].find((a) => a.name === 'value');
  assert.equal(value.attribute, X.KnownAttribute.Value);
  assert.equal(value.access, 'read and write');
  assert.equal(value.dataType, 'Float64');
  assert.match(meta.toString(), /^Element meta data:\n primary key: Group 1\.Data Point 1\n element category: data point\n attribute meta data: \n \[name: primaryKey, identifier: ed22790e-261b-4a23-bfcc-6175a5571b33, access: read only, data type: String\]/);
  assert.match(meta.toString(), /\n \[name: value, identifier: 4aa0e4e0-521e-4599-a985-e454baa59f89, access: read and write, data type: Float64\]\n has children: false$/);

  // An embind-style vector works where an array does.
  const only = new X.MetadataIdentifierVector();
  only.push_back(X.MetadataIdentifier.PrimaryKey);
  const named = await connection.metadata(element, only);
  assert.deepEqual([named.primaryKey, named.attributeList, named.toString()], ['Group 1.Data Point 1', undefined, 'Element meta data:\n primary key: Group 1.Data Point 1']);

  const e = await rejection(connection.lookupElement('No Such Element'));
  assert.ok(e instanceof X.Error);
  assert.deepEqual([e.message, e.code, e.wasClean], ['unknown element', -32100, false]);
  connection.close();
});

test('requests of one tick leave in one message', async () => {
  const connection = await connected();
  await connection.lookupElement('Group 1'); // the hello is answered
  sent.length = 0;
  const found = await Promise.all(['Group 1', 'Group 1.Data Point 1', 'Group 1.Data Point 2'].map((k) => connection.lookupElement(k)));
  assert.equal(found[1].uuid, DP1);
  assert.equal(sent.length, 1);
  assert.equal(sent[0][0], 0x83); // an array of three requests
  connection.close();
});

test('subscribe, an event through an AttributeObserver, write, read, unsubscribe', async () => {
  const connection = await connected();
  const element = await connection.lookupElement('Group 1.Data Point 1');
  const value = new X.Attribute(element, X.KnownAttribute.Value);
  const quality = new X.Attribute(element, X.KnownAttribute.Quality);
  const changed = new X.Attribute(element, X.KnownAttribute.ChangeTime);
  // A second Attribute object for the same attribute, as index.html makes them.
  const observer = new X.AttributeObserver(connection, new X.Attribute(new X.Element(DP1), X.KnownAttribute.Value));
  const qualityObserver = new X.AttributeObserver(connection, quality);
  const timeObserver = new X.AttributeObserver(connection, changed);
  const values = events(observer, 'valuechange', 2);
  const qualities = events(qualityObserver, 'valuechange', 1);
  const times = events(timeObserver, 'valuechange', 1);

  const subscription = new X.Subscription([value, quality, changed, value]);
  assert.match(subscription.id, V4);
  sent.length = 0;
  assert.equal(await connection.subscribe(subscription), undefined);
  // One entry for the element with three attributes (the duplicate dropped), the vendor's
  // heartbeat {2: 100} and the subscription's own id as the desired one.
  assert.ok(hex(sent[0]).includes(`a200d82550${DP1.replaceAll('-', '')}01830b0907`));
  assert.ok(hex(sent[0]).includes(`02186403d82550${subscription.id.replaceAll('-', '')}`));

  const [first, second] = await values;
  assert.ok(first instanceof X.ValueChangeEvent);
  assert.equal(typeof first.value, 'number');
  assert.notEqual(first.value, second.value); // it changes every 100 ms
  assert.ok((await qualities)[0].value.equals(X.Quality.Good));
  assert.equal(String((await qualities)[0].value), 'good');
  const time = (await times)[0].value;
  assert.ok(time instanceof X.Instant);
  assert.ok(Math.abs(time.epochMilliseconds - Date.now()) < 60000);
  assert.match(time.toString(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);

  assert.equal(await connection.write(value, 1234.5), undefined);
  assert.equal(typeof await connection.read(value), 'number');
  assert.ok((await connection.read(quality)).equals(X.Quality.Good));
  const readOnly = await rejection(connection.write(new X.Attribute(element, X.KnownAttribute.PrimaryKey), 'x'));
  assert.deepEqual([readOnly.message, readOnly.code, readOnly.wasClean], ['value is read only', -32103, false]);
  const missing = await rejection(connection.read(new X.Attribute(element, X.KnownAttribute.Error)));
  assert.equal(missing.code, -32101);

  assert.equal(await connection.unsubscribe(subscription), undefined);
  await sleep(50);
  let after = 0;
  observer.addEventListener('valuechange', () => after++);
  await sleep(350);
  assert.equal(after, 0);
  const unknown = await rejection(connection.unsubscribe(subscription));
  assert.equal(unknown.code, -32110);
  observer.unhook();
  assert.equal(observer.isUnhooked, true);
  connection.close();
});

test('update rates on a Subscription (beyond the vendor\'s)', async () => {
  const connection = await connected();
  const element = await connection.lookupElement('Group 1.Data Point 1');
  const value = new X.Attribute(element, X.KnownAttribute.Value);
  const observer = new X.AttributeObserver(connection, value);
  const subscription = new X.Subscription([value], { maximumUpdateRate: 300, minimumUpdateRate: null });
  sent.length = 0;
  const seen = events(observer, 'valuechange', 3, 5000);
  await connection.subscribe(subscription);
  assert.ok(hex(sent[0]).includes('0119012c03d82550')); // {1: 300} and no key 2
  const times = [];
  observer.addEventListener('valuechange', () => times.push(performance.now()));
  await seen;
  // A throttle of 300 ms on a value that changes every 100 ms.
  for (let i = 1; i < times.length; i++) assert.ok(times[i] - times[i - 1] > 200, `${times[i] - times[i - 1]} ms apart`);
  await connection.unsubscribe(subscription);
  connection.close();
});

test('UUID values, Instants, bigints and booleans go out typed (beyond the vendor\'s)', async () => {
  const connection = await connected();
  const element = await connection.lookupElement('Group 1.Data Point 1');
  const value = new X.Attribute(element, X.KnownAttribute.Value);
  sent.length = 0;
  const uuid = new X.Uuid('0f590b36-57a9-42a0-9c13-3cba55a891d2');
  // The data point is an f64: the server refuses each, but each reaches it typed.
  for (const v of [uuid, X.Instant.fromEpochMilliseconds(1000), 2n ** 64n - 1n, true, -3]) {
    await connection.write(value, v).catch((e) => assert.equal(e.code, -32106));
  }
  const frames = sent.map(hex).join(' ');
  assert.ok(frames.includes('010b02d825500f590b3657a942a09c133cba55a891d2')); // 37(h'…')
  assert.ok(frames.includes('010b02d903e9a104c482281a3b9aca00')); // 1001({4: 4([-9, 10^9])})
  assert.ok(frames.includes('010b021bffffffffffffffff'));
  assert.ok(frames.includes('010b02f5'));
  assert.ok(frames.includes('010b0222')); // -3, not the vendor's 2^64 - 3
  await assert.rejects(connection.write(value, undefined), TypeError);
  connection.close();
});

test('sub-sessions (beyond the vendor\'s)', async () => {
  const connection = await connected();
  const element = await connection.lookupElement('Group 1.Data Point 1');
  const session = await connection.createSubSession('admin', 'admin');
  assert.ok(session instanceof X.SubSession);
  assert.match(session.id, /^[0-9a-f-]{36}$/);
  assert.equal(await connection.write(new X.Attribute(element, X.KnownAttribute.Value), 7.5, session), undefined);
  assert.equal(await session.close(), undefined);
  const refused = await rejection(connection.createSubSession('admin', 'wrong'));
  assert.equal(refused.code, -32102);
  connection.close();
});

test('credentials from user:password@ in the URL', async () => {
  const url = new URL(serverUrl());
  url.username = 'admin';
  url.password = 'admin';
  const connection = await connected(url.href);
  assert.equal((await connection.lookupElement('Group 1.Data Point 1')).uuid, DP1);
  connection.close();
  url.password = 'wrong';
  const refused = new X.Connection();
  const closed = events(refused, 'close', 1);
  const e = await rejection(refused.connect(url.href));
  assert.equal(e.wasClean, false);
  assert.equal((await closed)[0].wasClean, false);
  assert.equal(refused.isConnected(), false);
});

test('close: every pending promise rejects with {message, wasClean}; observers and the connection are told', async () => {
  const connection = await connected();
  const element = await connection.lookupElement('Group 1.Data Point 1');
  const observer = new X.AttributeObserver(connection, new X.Attribute(element, X.KnownAttribute.Value));
  const observerError = events(observer, 'error', 1);
  const closed = events(connection, 'close', 1);
  const pending = [connection.lookupElement('Group 1'), connection.read(new X.Attribute(element, X.KnownAttribute.Value))];
  connection.close();
  for (const p of pending) {
    const e = await rejection(p);
    assert.deepEqual([e.message, e.wasClean], ['closing websocket', true]);
  }
  const [event] = await closed;
  assert.deepEqual([event.reason, event.wasClean], ['closing websocket', true]);
  assert.equal((await observerError)[0].reason, 'closing websocket');
  assert.equal(connection.isConnected(), false);
  const after = await rejection(connection.lookupElement('Group 1'));
  assert.deepEqual([after.message, after.wasClean], ['Failed to send the command, the WebSocket is closed', false]);
  // The same Connection connects again, with a new session (a new hello).
  sent.length = 0;
  await connection.connect(serverUrl());
  assert.equal(hex(sent[0]), '818400010ea200010101');
  assert.equal((await connection.lookupElement('Group 1.Data Point 1')).uuid, DP1);
  connection.close();
});
