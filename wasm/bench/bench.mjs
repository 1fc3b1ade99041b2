// One benchmark round of one module, in this process: the module (either client: ours in
// wasm/pkg or the vendor's, both with the vendor's JavaScript API) on a fake WebSocket that
// answers the hello, lookups, reads and subscribes at once (a task later), then one case:
//
//   a  event messages of one value ([[8, 0, {0: 1(t), 1: 37(uuid), 2: {11: 121(f64)}}]])
//      to one AttributeObserver: events/s, timed until every valuechange has fired;
//   b  300 event messages of 10 packets (10 elements) × 3 attributes (value f64, quality
//      0, change time) with an observer on each: events/s (valuechange events);
//   c  1,000 lookupElement (or, with --read, read) requests in flight at once, answered by
//      the fake socket one message per message: requests/s.
//
// Each case: after a warm-up, the median of three timed runs. Prints one JSON
// line: {module, case, n, seconds, rate}. run.mjs runs the rounds.
//
//   node bench/bench.mjs --module DIR --case a|b|c [--read] [--n N]
import { readFileSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? fallback : args[i + 1];
};
const dir = resolve(opt('module', new URL('../pkg', import.meta.url).pathname));
const which = opt('case', 'a');
const read = args.includes('--read');
const N = Number(opt('n', { a: 20000, b: 300, c: 1000 }[which]));

// ---- CBOR: what the fake server needs to read a request and write its answers ----

function decode(b) {
  let i = 0;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const arg = (info) => {
    if (info < 24) return info;
    if (info === 24) return b[i++];
    if (info === 25) { i += 2; return v.getUint16(i - 2); }
    if (info === 26) { i += 4; return v.getUint32(i - 4); }
    i += 8;
    return Number(v.getBigUint64(i - 8));
  };
  const item = () => {
    const head = b[i++];
    const major = head >> 5, info = head & 31;
    if (major === 7) {
      if (info === 25) { i += 2; return v.getFloat16?.(i - 2) ?? 0; }
      if (info === 26) { i += 4; return v.getFloat32(i - 4); }
      if (info === 27) { i += 8; return v.getFloat64(i - 8); }
      return [false, true, null, undefined][info - 20];
    }
    const n = arg(info);
    switch (major) {
      case 0: return n;
      case 1: return -1 - n;
      case 2: i += n; return b.subarray(i - n, i);
      case 3: i += n; return Buffer.from(b.subarray(i - n, i)).toString();
      case 4: return Array.from({ length: n }, item);
      case 5: { const m = new Map(); for (let k = 0; k < n; k++) m.set(item(), item()); return m; }
      default: return item(); // a tag: its content
    }
  };
  return item();
}

class Encoder {
  b = [];
  /** Where each f64 is (to patch copies of a template). */
  floats = [];
  head(major, n) {
    if (n < 24) this.b.push((major << 5) | n);
    else if (n < 256) this.b.push((major << 5) | 24, n);
    else if (n < 65536) this.b.push((major << 5) | 25, n >> 8, n & 255);
    else this.b.push((major << 5) | 26, (n >>> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255);
    return this;
  }
  uint(n) { return this.head(0, n); }
  array(n) { return this.head(4, n); }
  map(n) { return this.head(5, n); }
  tag(n) { return this.head(6, n); }
  uuid(bytes) { this.tag(37).head(2, 16); this.b.push(...bytes); return this; }
  f64(x) {
    this.floats.push(this.b.length + 1);
    const d = new DataView(new ArrayBuffer(8));
    d.setFloat64(0, x);
    this.b.push(0xfb, ...new Uint8Array(d.buffer));
    return this;
  }
  done() { return new Uint8Array(this.b).buffer; }
}

/** The UUID the fake server gives the element of primary key `key`. */
const uuidOf = (key) => {
  const u = new Uint8Array(16);
  Buffer.from(String(key)).copy(u, 0, 0, 12);
  u[6] = 0x40 | (u[6] & 15);
  u[8] = 0x80 | (u[8] & 63);
  u[15] = String(key).length;
  return [...u];
};

/** One event packet: element `uuid`, `values` [[attribute, encode value]], time `t` (s). */
function eventPacket(e, uuid, t, values) {
  e.array(3).uint(8).uint(0).map(3);
  e.uint(0).tag(1).f64(t);
  e.uint(1).uuid(uuid);
  e.uint(2).map(values.length);
  for (const [attribute, value] of values) { e.uint(attribute).tag(121); value(e); }
}

// ---- the fake WebSocket ----

const later = (f) => setImmediate(f);
let sockets = [];

class FakeWebSocket {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;
  readyState = 0;
  binaryType = 'blob';
  onopen = null;
  onmessage = null;
  onclose = null;
  onerror = null;
  constructor(url) {
    this.url = url;
    sockets.push(this);
    later(() => {
      this.readyState = 1;
      this.onopen?.({ type: 'open' });
    });
  }
  /** Answers every request of the message in one message, a task later. */
  send(data) {
    const packets = decode(new Uint8Array(data));
    const e = new Encoder().array(packets.length);
    for (const [, id, op, params] of packets) {
      e.array(3).uint(1).uint(id);
      if (op === 14) e.map(1).uint(0).uint(1);
      else if (op === 3) e.uuid(uuidOf(params.get(0)));
      else if (op === 6) e.uuid(params.get(3) ?? uuidOf('subscription'));
      else if (op === 4) {
        const attributes = params.get(1);
        e.map(attributes.length);
        for (const a of attributes) e.uint(a).tag(121).f64(id / 2);
      } else e.uint(0);
    }
    const answer = e.done();
    later(() => this.readyState === 1 && this.onmessage?.({ data: answer }));
  }
  close(code = 1000, reason = '') {
    this.readyState = 3;
    later(() => this.onclose?.({ code, reason, wasClean: true }));
  }
  /** Delivers a server message (an ArrayBuffer), as the socket's next message would. */
  deliver(data) { this.onmessage({ data }); }
}
globalThis.WebSocket = FakeWebSocket;

// ---- the module ----

const wasmBytes = readFileSync(join(dir, 'xentara-client.wasm'));
const { default: create } = await import(pathToFileURL(join(dir, 'xentara-client.js')).href);
// Ours takes `wasm`, the vendor's (Emscripten) `wasmBinary`; each ignores the other's.
const X = await create({ wasm: wasmBytes, wasmBinary: wasmBytes, locateFile: (name) => join(dir, name), print() {}, printErr() {} });
const name = X.Uuid ? 'ours' : 'vendor';

const connection = new X.Connection();
const opened = new Promise((resolveOpen) => connection.addEventListener('open', resolveOpen));
connection.connect('ws://fake/api/ws').catch(() => {});
await opened;
const socket = sockets.at(-1);
const tick = () => new Promise((r) => setImmediate(r));

/** Resolves when `count()` reaches `n`, yielding to other tasks in between. */
async function until(count, n) {
  while (count() < n) await tick();
}

let events = 0;
let t = 1.7e9;

/** Subscribes `attributes` with an observer on each (counting valuechange events). */
async function observe(attributes) {
  for (const a of attributes) {
    const o = new X.AttributeObserver(connection, a);
    o.addEventListener('valuechange', (event) => {
      if (event.value === undefined) throw new Error('no value');
      events++;
    });
    o.addEventListener('error', (event) => { throw new Error(`error event: ${event.reason}`); });
  }
  await connection.subscribe(new X.Subscription(attributes));
}

/** Delivers `messages` (ArrayBuffers) in bursts of 100, one task each, until `perMessage` × their count events fired. */
async function inject(messages, perMessage) {
  const target = events + messages.length * perMessage;
  for (let k = 0; k < messages.length; k += 100) {
    const end = Math.min(messages.length, k + 100);
    for (let m = k; m < end; m++) socket.deliver(messages[m]);
    await tick();
  }
  await until(() => events, target);
}

async function timed(f) {
  const start = process.hrtime.bigint();
  await f();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

let seconds;
let n;
if (which === 'a' || which === 'b') {
  const elements = which === 'a' ? 1 : 10;
  const keys = Array.from({ length: elements }, (_, k) => `Group 1.Data Point ${k + 1}`);
  const found = await Promise.all(keys.map((k) => connection.lookupElement(k)));
  const known = which === 'a' ? [X.KnownAttribute.Value] : [X.KnownAttribute.Value, X.KnownAttribute.Quality, X.KnownAttribute.ChangeTime];
  await observe(found.flatMap((element) => known.map((a) => new X.Attribute(element, a))));
  const perMessage = elements * known.length;
  // One message encoded, then copies with new times and values in its f64s.
  const e = new Encoder().array(elements);
  keys.forEach((key, k) => {
    const values = [[11, (x) => x.f64(k + 0.25)]];
    if (which === 'b') values.push([9, (x) => x.uint(0)], [7, (x) => x.tag(1).f64(t)]);
    eventPacket(e, uuidOf(key), t, values);
  });
  const template = e.done();
  const make = (count) => Array.from({ length: count }, (_, m) => {
    const message = template.slice(0);
    const view = new DataView(message);
    t += 0.001;
    e.floats.forEach((at, k) => view.setFloat64(at, k % 2 ? m + k / 16 : t));
    return message;
  });
  await inject(make(N), perMessage); // warm-up
  // The median of three runs: the machine may be shared.
  const runs = [];
  for (let r = 0; r < 3; r++) {
    const messages = make(N);
    runs.push(await timed(() => inject(messages, perMessage)));
  }
  seconds = runs.sort((x, y) => x - y)[1];
  n = N * perMessage;
} else {
  const element = await connection.lookupElement('Group 1.Data Point 1');
  const value = new X.Attribute(element, X.KnownAttribute.Value);
  if (read && !connection.read) throw new Error('this module has no read()');
  const one = (k) => (read ? connection.read(value) : connection.lookupElement(`Group 1.Data Point ${k}`));
  const round = async () => {
    const answers = await Promise.all(Array.from({ length: N }, (_, k) => one(k)));
    if (answers.length !== N || answers.some((x) => x === undefined)) throw new Error('a request was not answered');
  };
  for (let r = 0; r < 3; r++) await round(); // warm-up
  // The median of three runs of five rounds each.
  const rounds = 5;
  const runs = [];
  for (let k = 0; k < 3; k++) runs.push(await timed(async () => { for (let r = 0; r < rounds; r++) await round(); }));
  seconds = runs.sort((x, y) => x - y)[1];
  n = N * rounds;
}
connection.close();
console.log(JSON.stringify({ module: name, case: which + (read ? '-read' : ''), n, seconds, rate: n / seconds }));
process.exit(0);
