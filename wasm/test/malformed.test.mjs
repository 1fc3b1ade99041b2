// The browser client against a tiny fake server that answers what a test tells it to:
// a malformed reply rejects only its request (with the spec code) and the module goes on;
// a server's close, timeouts, credentials in the URL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X, WebSocketServer, sent, hex, events, rejection } from './common.mjs';

const HELLO_REPLY = '81830101a10001'; // [[1, 1, {0: 1}]]
const UUID = 'd82550e3ee10714d884ba18e5d0f1e4ce25ee8';
let server;
let url;
let reply; // (frame: Buffer, socket) => void, for what follows the hello
let lastAuthorization;

before(async () => {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  server.on('connection', (socket, request) => {
    lastAuthorization = request.headers.authorization;
    socket.on('message', (frame) => {
      if (hex(frame).startsWith('818400010e')) socket.send(Buffer.from(HELLO_REPLY, 'hex'));
      else reply(frame, socket);
    });
  });
  await new Promise((resolve) => server.once('listening', resolve));
  url = `ws://127.0.0.1:${server.address().port}/api/ws`;
});

after(() => server.close());

// A request's message id, for the one-request messages `[[0, id, op, …]]` of these tests
// (ids below 24: one byte).
const idOf = (frame, k = 0) => frame[3] + k;
const send = (socket, h) => socket.send(Buffer.from(h, 'hex'));
const byte = (n) => n.toString(16).padStart(2, '0');

async function connected() {
  const connection = new X.Connection();
  await connection.connect(url);
  return connection;
}

test('a malformed reply rejects only its request, with the spec code; the next request works', async () => {
  const connection = await connected();
  reply = (frame, socket) => {
    const id = byte(idOf(frame));
    if (frame.includes('bad')) send(socket, `818301${id}d8254401020304`); // 37(h'01020304'): not a UUID
    else send(socket, `818301${id}${UUID}`);
  };
  const e = await rejection(connection.lookupElement('bad'));
  assert.ok(e instanceof X.Error);
  assert.equal(e.code, -32602);
  assert.equal(e.wasClean, false);
  assert.match(e.message, /invalid UUID/);
  assert.equal((await connection.lookupElement('good')).uuid, 'e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8');

  // Two requests in one message, answered in one message whose first packet lacks the
  // item a lookup must have ([1, id]: -32602 "missing value", with its id): the first
  // rejects, its neighbour resolves.
  reply = (frame, socket) => send(socket, `828201${byte(idOf(frame))}8301${byte(idOf(frame, 1))}${UUID}`);
  const [first, second] = await Promise.allSettled([connection.lookupElement('one'), connection.lookupElement('two')]);
  assert.equal(first.status, 'rejected');
  assert.equal(first.reason.code, -32602);
  assert.equal(second.status, 'fulfilled');
  assert.equal(second.value.uuid, 'e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8');

  // Not CBOR at all: no request owns it, so the connection gets an 'error' event, the
  // request stays pending and is answered by the next message.
  reply = (frame, socket) => {
    send(socket, 'ff');
    send(socket, `818301${byte(idOf(frame))}${UUID}`);
  };
  const errors = events(connection, 'error', 1);
  assert.equal((await connection.lookupElement('after garbage')).uuid, 'e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8');
  const [error] = await errors;
  assert.equal(error.code, -32700);
  assert.match(error.reason, /at byte 0/);
  assert.equal(connection.isConnected(), true);

  // An error packet of the spec's shape rejects with the server's code and message.
  reply = (frame, socket) => send(socket, `818302${byte(idOf(frame))}a200397d6301${hex(Buffer.from([0x6f]))}${hex(Buffer.from('unknown element'))}`);
  const refused = await rejection(connection.lookupElement('nope'));
  assert.deepEqual([refused.message, refused.code], ['unknown element', -32100]);
  connection.close();
});

test('the server closing rejects pending requests with its reason and wasClean', async () => {
  const connection = await connected();
  reply = (frame, socket) => socket.close(4000, 'bye now');
  const closed = events(connection, 'close', 1);
  const e = await rejection(connection.lookupElement('x'));
  assert.deepEqual([e.message, e.wasClean], ['bye now', true]);
  const [event] = await closed;
  assert.deepEqual([event.reason, event.wasClean], ['bye now', true]);

  const dropped = await connected();
  reply = (frame, socket) => socket.terminate();
  const lost = await rejection(dropped.lookupElement('x'));
  assert.deepEqual([lost.message, lost.wasClean], ['WebSocket closed with code 1006', false]);
});

test('a request timeout (beyond the vendor\'s) rejects that request only', async () => {
  const connection = await connected();
  connection.requestTimeout = 100;
  reply = (frame, socket) => {
    if (!frame.includes('silent')) send(socket, `818301${byte(idOf(frame))}${UUID}`);
  };
  const started = performance.now();
  const e = await rejection(connection.lookupElement('silent'));
  assert.equal(e.message, 'request timed out');
  assert.ok(performance.now() - started >= 100);
  assert.equal((await connection.lookupElement('loud')).uuid, 'e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8');
  connection.close();
});

test('credentials in the URL go as the WebSocket\'s Basic header, as the vendor\'s do', async () => {
  const connection = new X.Connection();
  await connection.connect(url.replace('ws://', 'ws://user:secret@'));
  assert.equal(lastAuthorization, `Basic ${Buffer.from('user:secret').toString('base64')}`);
  connection.close();
});

test('the hello goes out on open, with the requests asked for in the open handler', async () => {
  const connection = new X.Connection();
  sent.length = 0;
  // [[1, 1, {0: 1}], [1, 2, 37(h'…')]]
  reply = (frame, socket) => send(socket, `82${HELLO_REPLY.slice(2)}830102${UUID}`);
  let lookup;
  connection.addEventListener('open', () => { lookup = connection.lookupElement('x'); });
  await connection.connect(url);
  assert.equal((await lookup).uuid, 'e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8');
  assert.ok(hex(sent[0]).startsWith('828400010ea200010101840002')); // [hello, lookup]
  connection.close();
});

test('a request from the server with the id of a pending request leaves that request alone', async () => {
  const connection = await connected();
  reply = (frame, socket) => {
    const id = byte(idOf(frame));
    send(socket, `818400${id}03a1006178`); // [[0, id, 3, {0: "x"}]]: servers send none
    send(socket, `818301${id}${UUID}`);
  };
  const errors = events(connection, 'error', 1);
  assert.equal((await connection.lookupElement('x')).uuid, 'e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8');
  assert.match((await errors)[0].reason, /unexpected request/);
  connection.close();
});

test('the value classes: Instant, Quality, the enums, Element, Attribute', () => {
  assert.equal(X.Instant.fromEpochMilliseconds(1000).toString(), '1970-01-01T00:00:01.000000000Z');
  assert.equal(X.Instant.fromEpochNanoseconds(1500000n).toString(), '1970-01-01T00:00:00.001500000Z');
  assert.equal(new X.Instant(-1n).toString(), '1969-12-31T23:59:59.999999999Z');
  assert.equal(X.Instant.fromEpochMilliseconds(1000).epochNanoseconds, 1000000000n);
  assert.equal(X.Instant.fromEpochNanoseconds(2500000n).epochMilliseconds, 2);
  assert.equal(new X.Quality(2).toString(), 'unreliable');
  assert.equal(+X.Quality.Bad, 3);
  assert.ok(new X.Quality(0).equals(X.Quality.Good));
  assert.equal(X.ElementCategory.values[2], X.ElementCategory.DataPoint);
  assert.equal(X.KnownAttribute.Value.value, 11);
  assert.equal(X.MetadataIdentifier.HasChildren.value, 3);
  const element = new X.Element('E3EE1071-4D88-4BA1-8E5D-0F1E4CE25EE8');
  assert.equal(element.uuid, 'e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8');
  assert.throws(() => new X.Element('nope'), TypeError);
  // A known attribute UUID is the same attribute as its number.
  assert.equal(new X.Attribute(element, '4aa0e4e0-521e-4599-a985-e454baa59f89').attribute, X.KnownAttribute.Value);
  assert.equal(new X.Attribute(element, 'a0a0a0a0-0000-4000-8000-000000000000').attribute, 'a0a0a0a0-0000-4000-8000-000000000000');
  assert.match(new X.Subscription([]).id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test('a text message is an error event, not a crash', async () => {
  const connection = await connected();
  reply = (frame, socket) => {
    socket.send('not binary');
    send(socket, `818301${byte(idOf(frame))}${UUID}`);
  };
  const errors = events(connection, 'error', 1);
  assert.equal((await connection.lookupElement('x')).uuid, 'e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8');
  assert.match((await errors)[0].reason, /text message/);
  connection.close();
});

// [8, 0, {0: 1(1700000000), 1: 37(h'E3EE…'), 2: VALUES}]: a data-change event packet.
const eventPacket = (values) => `830800a300c11a6553f10001${UUID}02${values}`;

test('an event with a value that does not decode fires error on its element\'s observers, and no valuechange', async () => {
  const connection = await connected();
  try {
    const element = new X.Element('e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8');
    const value = new X.Attribute(element, X.KnownAttribute.Value);
    const quality = new X.Attribute(element, X.KnownAttribute.Quality);
    const seen = [];
    const [valueObserver] = [['value', value], ['quality', quality]].map(([name, attribute]) => {
      const observer = new X.AttributeObserver(connection, attribute);
      observer.addEventListener('valuechange', (e) => seen.push(`${name} valuechange ${e.value}`));
      observer.addEventListener('error', (e) => seen.push(`${name} error ${e.code} ${e.wasClean} ${e.reason}`));
      return observer;
    });
    // An observer of another element hears nothing of these events.
    const other = new X.AttributeObserver(connection, new X.Attribute(new X.Element('a0a0a0a0-0000-4000-8000-000000000000'), X.KnownAttribute.Value));
    other.addEventListener('error', (e) => seen.push(`other element error ${e.reason}`));
    other.addEventListener('valuechange', (e) => seen.push(`other element valuechange ${e.value}`));
    reply = (frame, socket) => {
      send(socket, `818201${byte(idOf(frame))}`); // [[1, id]]: subscribed
      send(socket, `81${eventPacket('a209d879030b182a')}`); // {9: 121(3), 11: 42}: 42 is not tagged 121/122
      send(socket, `81${eventPacket('a209d879030bd87a05')}`); // {9: 121(3), 11: 122(5)}: 122 holds no map
      send(socket, `81${eventPacket('a209d879000bd87907')}`); // {9: 121(0), 11: 121(7)}: good
    };
    // The good event comes last: once its value is seen, everything before it has been.
    const good = events(valueObserver, 'valuechange', 1);
    await connection.subscribe(new X.Subscription([value, quality]));
    await good;
    assert.deepEqual(seen, [
      'value error -32602 false expected tag 121/122 alternative in attribute result at byte 39',
      'quality error -32602 false expected tag 121/122 alternative in attribute result at byte 39',
      'value error -32602 false expected map in error at byte 41',
      'quality error -32602 false expected map in error at byte 41',
      'quality valuechange good',
      'value valuechange 7',
    ]);
    assert.equal(connection.isConnected(), true);
  } finally {
    connection.close();
  }
});

test('observers hear their values: made before connect, of an attribute UUID, after a reconnect', async () => {
  const connection = new X.Connection();
  const element = new X.Element('e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8');
  const custom = 'c0c0c0c0-0000-4000-8000-00000000000c';
  const seen = [];
  const observe = (name, attribute) => {
    const observer = new X.AttributeObserver(connection, attribute);
    observer.addEventListener('valuechange', (e) => seen.push(`${name} ${e.value}`));
    return observer;
  };
  const value = new X.Attribute(element, X.KnownAttribute.Value);
  observe('value', value);
  observe('custom', new X.Attribute(element, custom));
  let clientSocket;
  reply = (frame, socket) => {
    clientSocket = socket;
    send(socket, `818201${byte(idOf(frame))}`); // [[1, id]]: subscribed
    // {11: 121(1), 37(custom): 121(2), 7: 121(4), 9: 121(0)}: the change time has no observer
    send(socket, `81${eventPacket(`a40bd87901d82550${custom.replaceAll('-', '')}d8790207d8790409d87900`)}`);
  };
  let quality;
  for (const round of [1, 2]) {
    await connection.connect(url);
    quality ??= observe('quality', new X.Attribute(element, X.KnownAttribute.Quality));
    const heard = events(quality, 'valuechange', 1);
    await connection.subscribe(new X.Subscription([value]));
    await heard;
    assert.deepEqual(seen.splice(0), ['value 1', 'custom 2', 'quality good'], `round ${round}`);
  }
  // A value of 3 MB: the message and the records outgrow the memory the core had.
  const big = 'x'.repeat(3e6);
  const heard = events(quality, 'valuechange', 1);
  send(clientSocket, `81${eventPacket(`a2d82550${custom.replaceAll('-', '')}d8797a002dc6c0${hex(Buffer.from(big))}09d87901`)}`);
  await heard;
  assert.deepEqual(seen.splice(0), [`custom ${big}`, 'quality acceptable']);
  connection.close();
});

test('a read answered with a result that does not decode rejects, even when the one asked for decodes', async () => {
  const connection = await connected();
  try {
    const attribute = new X.Attribute(new X.Element('e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8'), X.KnownAttribute.Value);
    // [[1, id, {11: 121(7), 9: 42}]]: the value is good, the quality is not tagged 121/122.
    reply = (frame, socket) => send(socket, `818301${byte(idOf(frame))}a20bd8790709182a`);
    const e = await rejection(connection.read(attribute));
    assert.ok(e instanceof X.Error);
    assert.deepEqual([e.code, e.wasClean, e.message], [-32602, false, 'expected tag 121/122 alternative in attribute result at byte 10']);
    // [[1, id, {11: 121(7)}]]: the same read, answered well.
    reply = (frame, socket) => send(socket, `818301${byte(idOf(frame))}a10bd87907`);
    assert.equal(await connection.read(attribute), 7);
  } finally {
    connection.close();
  }
});
