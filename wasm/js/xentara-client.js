// The Xentara WebSocket API in the browser (or Node >= 20 with a global WebSocket), with
// the vendor client's JavaScript API: `const X = await createXentaraModule(options)`, then
// X.Connection, X.Element, X.Attribute, X.Subscription, X.AttributeObserver, ... as the
// sample web UI uses them. The protocol (hello, message ids, batching, typing each answer
// by its request, CBOR both ways, request deadlines) is the xentara-ws crate's
// ClientSession compiled to wasm (src/lib.rs); this file holds the classes, the promises,
// the events, the WebSocket and the clock. Both sides talk in byte tapes (see src/lib.rs).
//
// build.sh puts wasm-bindgen's glue (class Core, standard_attribute, attribute_uuid,
// __wbg_init) where the next line is and writes pkg/xentara-client.js.
//@@WASM_BINDGEN_GLUE@@

const enc = new TextEncoder();
const dec = new TextDecoder();
const HEX = [...Array(256)].map((_, i) => (i + 256).toString(16).slice(1));
const NOT_SENT = 'Failed to send the command, the WebSocket is closed';
const [SUCCESS, ERROR, EVENT, INVALID, UNEXPECTED, LOST] = [1, 2, 3, 4, 5, 6];
// An EVENT record's count of values when one of them does not decode.
const BAD_EVENT = 2 ** 32 - 1;
const QUALITY = 9, CATEGORY = 4; // standard attributes whose integer values get a class
const now = () => performance.now();

// ---- UUIDs ----

function uuidBytes(text) {
  const hex = String(text).replace(/^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/i, '$1$2$3$4$5');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new TypeError(`invalid UUID: ${text}`);
  return Uint8Array.from(hex.match(/../g), (h) => parseInt(h, 16));
}

function uuidText(b) {
  let s = '';
  for (let i = 0; i < 16; i++) s += (i === 4 || i === 6 || i === 8 || i === 10 ? '-' : '') + HEX[b[i]];
  return s;
}

/** A random (version 4) UUID, as bytes. */
function randomUuid() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  return b;
}

/** A UUID value (an attribute of type Uuid, or one to write). */
class Uuid {
  #b;
  constructor(uuid) {
    this.#b = uuid instanceof Uint8Array ? uuid.slice(0, 16) : uuidBytes(uuid);
  }
  get bytes() { return this.#b.slice(); }
  equals(other) { return String(other) === String(this); }
  toString() { return uuidText(this.#b); }
}

// ---- the vendor's value classes ----

/** An embind-style enum: `E.Name` is `{value}`, `E.values[n]` the same object. */
function enumOf(name, names) {
  const E = class {};
  Object.defineProperty(E, 'name', { value: name });
  E.values = {};
  names.forEach((n, value) => {
    const member = Object.freeze(Object.assign(Object.create(E.prototype), { value }));
    E[n] = E.values[value] = member;
  });
  return E;
}

const KnownAttribute = enumOf('KnownAttribute', ['PrimaryKey', 'Name', 'UUID', 'Type', 'Category', 'SourceTime', 'UpdateTime', 'ChangeTime', 'WriteTime', 'Quality', 'DeviceState', 'Value', 'Error', 'WriteError', 'Unknown']);
const MetadataIdentifier = enumOf('MetadataIdentifier', ['PrimaryKey', 'ElementCategory', 'AttributeList', 'HasChildren']);
const CATEGORIES = ['RootElement', 'ElementGroup', 'DataPoint', 'Timer', 'ExecutionTrack', 'ExecutionPipeline', 'Device', 'SubDevice', 'DeviceGroup', 'DataPointGroup', 'Transaction', 'Microservice', 'AI', 'DataStorage', 'ExternalInterface', 'SpecialPurpose'];
const ElementCategory = enumOf('ElementCategory', CATEGORIES);
const categoryText = (c) => (CATEGORIES[c?.value] ?? String(c?.value)).replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
// Spec 7.8 and 7.9 (the crate's Access and DataType), as the vendor's toString() names them.
const ACCESS = ['read only', 'write only', 'read and write'];
const TYPES = ['Boolean', ...[8, 16, 32, 64].map((n) => `SignedInteger${n}`), ...[8, 16, 32, 64].map((n) => `UnsignedInteger${n}`), 'Float32', 'Float64', 'String', 'WString', 'U8String', 'U16String', 'U32String', 'TimePoint', 'Uuid', 'Quality', 'ElementCategory', 'ErrorCode', 'Custom', 'None'];
const category = (n) => ElementCategory.values[n] ?? Object.freeze(Object.assign(Object.create(ElementCategory.prototype), { value: n }));

class Quality {
  #n;
  constructor(n) { this.#n = Number(n); }
  toString() { return ['good', 'acceptable', 'unreliable'][this.#n] ?? 'bad'; }
  valueOf() { return this.#n; }
  equals(other) { return other instanceof Quality && +other === this.#n; }
}
['Good', 'Acceptable', 'Unreliable', 'Bad'].forEach((n, i) => { Quality[n] = new Quality(i); });

/** A point in time, exact to the nanosecond (a BigInt of nanoseconds since the epoch). */
class Instant {
  #ns;
  constructor(epochNanoseconds) { this.#ns = BigInt(epochNanoseconds); }
  static fromEpochMilliseconds(ms) {
    const whole = Math.floor(ms);
    return new Instant(BigInt(whole) * 1000000n + BigInt(Math.round((ms - whole) * 1e6)));
  }
  static fromEpochNanoseconds(ns) { return new Instant(ns); }
  get epochMilliseconds() { return Number(this.#ns / 1000000n); }
  get epochNanoseconds() { return this.#ns; }
  toString() {
    const ms = this.#ns / 1000000n - (this.#ns < 0n && this.#ns % 1000000n ? 1n : 0n);
    if (ms > 8640000000000000n || ms < -8640000000000000n) return this.#ns < 0n ? '-infinity' : 'infinity';
    const fraction = ((this.#ns % 1000000000n) + 1000000000n) % 1000000000n;
    return new Date(Number(ms)).toISOString().replace(/\.\d+Z$/, `.${String(fraction).padStart(9, '0')}Z`);
  }
}

class Element {
  #b;
  #s;
  constructor(uuid) {
    this.#b = uuid instanceof Uint8Array ? uuid : uuidBytes(uuid);
    this.#s = uuidText(this.#b);
  }
  get uuid() { return this.#s; }
  toString() { return this.#s; }
  /** @internal the 16 bytes */
  get _bytes() { return this.#b; }
}

/** An attribute of an element: a KnownAttribute, its number, or an attribute UUID. */
class Attribute {
  #e;
  #a;
  constructor(element, attribute) {
    if (!(element instanceof Element)) throw new TypeError('Attribute: the first argument must be an Element');
    this.#e = element;
    const n = attribute?.value ?? attribute;
    if (typeof n === 'number' && n >= 0 && Number.isInteger(n)) this.#a = n;
    else {
      const b = attribute instanceof Uuid ? attribute.bytes : uuidBytes(attribute);
      const standard = standard_attribute(b);
      this.#a = standard >= 0 ? standard : b;
    }
  }
  get element() { return this.#e; }
  /** The attribute: a KnownAttribute, or a UUID string. */
  get attribute() { return typeof this.#a === 'number' ? KnownAttribute.values[this.#a] ?? this.#a : uuidText(this.#a); }
  /** @internal the number or the 16 bytes */
  get _id() { return this.#a; }
  /** @internal the key events are matched by */
  get _key() { return attributeKey(this.#e.uuid, this.#a); }
}

const attributeKey = (element, a) => element + '/' + (typeof a === 'number' ? a : uuidText(a));

/** What a subscribe sends: attributes and, beyond the vendor's, the update rates (ms). */
class Subscription {
  #attributes = [];
  #id = randomUuid();
  /** Throttle: the shortest time between two events (key 1; none by default). */
  maximumUpdateRate = null;
  /** Heartbeat: the longest time without an event (key 2; 100 ms by default, as the vendor's). */
  minimumUpdateRate = 100;
  constructor(attributes, rates = {}) {
    for (const a of attributes) this.addAttribute(a);
    if ('maximumUpdateRate' in rates) this.maximumUpdateRate = rates.maximumUpdateRate;
    if ('minimumUpdateRate' in rates) this.minimumUpdateRate = rates.minimumUpdateRate;
  }
  addAttribute(attribute) {
    if (!(attribute instanceof Attribute)) throw new TypeError('Subscription: not an Attribute');
    this.#attributes.push(attribute);
  }
  get attributes() { return this.#attributes.slice(); }
  /** The subscription's id (a random v4 UUID, sent as the desired id). */
  get id() { return uuidText(this.#id); }
  /** @internal */
  get _idBytes() { return this.#id; }
}

/** What embind vectors offer, on an Array (browse results, attribute lists, arguments). */
class Vector extends Array {
  size() { return this.length; }
  get(i) { return this[i]; }
  set(i, v) { this[i] = v; return true; }
  push_back(v) { this.push(v); }
  resize(n, v) { const k = this.length; this.length = n; this.fill(v, k); }
}

class ElementEntry {
  constructor(primaryKey, uuid, elementCategory) { Object.assign(this, { primaryKey, uuid, elementCategory }); }
  toString() { return `Primary key: ${this.primaryKey}, UUID: ${this.uuid}, Element Category: ${categoryText(this.elementCategory)}`; }
}

class AttributeMetadata {
  constructor(name, attribute, access, dataType) { Object.assign(this, { name, attribute, access, dataType }); }
  toString() {
    const a = this.attribute;
    const id = typeof a === 'string' ? a : uuidOfStandard(a.value ?? a);
    return `name: ${this.name}, identifier: ${id}, access: ${this.access}, data type: ${this.dataType}`;
  }
}

/** A standard attribute's UUID when it is known, else its KnownAttribute name. */
function uuidOfStandard(n) {
  const b = attribute_uuid(n);
  return b.length ? uuidText(b) : Object.keys(KnownAttribute).find((k) => KnownAttribute[k]?.value === n) ?? n;
}

class ElementMetadata {
  toString() {
    let s = 'Element meta data:';
    if (this.primaryKey !== undefined) s += `\n primary key: ${this.primaryKey}`;
    if (this.elementCategory !== undefined) s += `\n element category: ${categoryText(this.elementCategory)}`;
    if (this.attributeList !== undefined) s += '\n attribute meta data: ' + this.attributeList.map((a) => `\n [${a}]`).join('');
    if (this.hasChildren !== undefined) s += `\n has children: ${this.hasChildren}`;
    return s;
  }
}

/** Why a promise rejected: the message, whether the connection closed cleanly, the spec code. */
class XentaraError extends Error {
  constructor(message, wasClean = false, code) {
    super(message);
    this.wasClean = wasClean;
    if (code !== undefined) this.code = code;
  }
}

class ValueChangeEvent extends Event {
  #value;
  constructor(value, options) {
    super('valuechange', options);
    this.#value = value;
  }
  get value() { return this.#value; }
}

class XentaraErrorEvent extends Event {
  constructor(type, reason, wasClean, options = {}) {
    super(type, options);
    Object.defineProperties(this, { reason: { value: reason }, wasClean: { value: wasClean } });
  }
}

/** An 'error' event (not of a clean close); `code` is the spec's, when a malformed message gave one. */
function errorEvent(reason, code) {
  const event = new XentaraErrorEvent('error', reason, false);
  if (code !== undefined) Object.defineProperty(event, 'code', { value: code });
  return event;
}

/** A sub-session (create_sub_session): pass it to write(), close it with close(). */
class SubSession {
  #c;
  #id;
  constructor(connection, id) { this.#c = connection; this.#id = id; }
  get id() { return uuidText(this.#id); }
  close() { return this.#c.closeSubSession(this); }
  /** @internal */
  get _idBytes() { return this.#id; }
}

// ---- tapes (see src/lib.rs) ----

class Writer {
  b = new Uint8Array(64);
  v = new DataView(this.b.buffer);
  n = 0;
  room(k) {
    if (this.n + k <= this.b.length) return;
    const b = new Uint8Array(2 * (this.n + k));
    b.set(this.b);
    this.b = b;
    this.v = new DataView(b.buffer);
  }
  u8(x) { this.room(1); this.b[this.n++] = x; }
  u32(x) { this.room(4); this.v.setUint32(this.n, x, true); this.n += 4; }
  f64(x) { this.room(8); this.v.setFloat64(this.n, x, true); this.n += 8; }
  i64(x) { this.room(8); this.v.setBigInt64(this.n, x, true); this.n += 8; }
  bytes(a) { this.room(a.length); this.b.set(a, this.n); this.n += a.length; }
  str(s) { const a = enc.encode(s); this.u32(a.length); this.bytes(a); }
  list(xs, f) { this.u32(xs.length); xs.forEach(f); }
  attr(a) { if (typeof a === 'number') { this.u8(0); this.u32(a); } else { this.u8(1); this.bytes(a); } }
  element(e) {
    if (!(e instanceof Element)) throw new TypeError('not an Element');
    this.bytes(e._bytes);
  }
  rate(x) { this.f64(x === null || x === undefined ? -1 : Number(x)); }
  /** A value to write: null, boolean, number, bigint, string, bytes, Uuid/Element, Instant, Date, Quality. */
  value(v) {
    const t = typeof v;
    if (v === null) this.u8(0);
    else if (t === 'boolean') this.u8(v ? 2 : 1);
    else if (t === 'number') {
      if (Number.isSafeInteger(v)) { this.u8(4); this.i64(BigInt(v)); } else { this.u8(3); this.f64(v); }
    } else if (t === 'bigint') {
      if (v < -(2n ** 63n) || v >= 2n ** 64n) throw new RangeError(`integer out of range: ${v}`);
      this.u8(v < 2n ** 63n ? 4 : 5);
      this.i64(BigInt.asIntN(64, v));
    } else if (t === 'string') { this.u8(6); this.str(v); }
    else if (v instanceof Uint8Array || v instanceof ArrayBuffer) {
      const a = new Uint8Array(v);
      this.u8(7); this.u32(a.length); this.bytes(a);
    } else if (v instanceof Uuid || v instanceof Element) { this.u8(8); this.bytes(uuidBytes(String(v))); }
    else if (v instanceof Instant) { this.u8(9); this.i64(v.epochNanoseconds); }
    else if (v instanceof Date) { this.u8(9); this.i64(Instant.fromEpochMilliseconds(v.getTime()).epochNanoseconds); }
    else if (v instanceof Quality) { this.u8(4); this.i64(BigInt(+v)); }
    else throw new TypeError(`cannot write a value of type ${t}`);
  }
  done() { return this.b.subarray(0, this.n); }
}

class Reader {
  constructor(b = new Uint8Array(0)) { this.b = b; this.v = new DataView(b.buffer, b.byteOffset, b.byteLength); this.i = 0; this.end = b.length; }
  /** Reads the `n` bytes of wasm memory at `at` next (copied: listeners may call the core). */
  load(at, n) {
    if (n > this.b.length) { this.b = new Uint8Array(2 * n); this.v = new DataView(this.b.buffer); }
    this.b.set(getUint8ArrayMemory0().subarray(at, at + n));
    this.i = 0;
    this.end = n;
    return this;
  }
  more() { return this.i < this.end; }
  u8() { return this.b[this.i++]; }
  u32() { this.i += 4; return this.v.getUint32(this.i - 4, true); }
  f64() { this.i += 8; return this.v.getFloat64(this.i - 8, true); }
  i64() { this.i += 8; return this.v.getBigInt64(this.i - 8, true); }
  take(n) { this.i += n; return this.b.subarray(this.i - n, this.i); }
  str() { return dec.decode(this.take(this.u32())); }
  uuid() { return uuidText(this.take(16)); }
  list(f) { const a = new Vector(); for (let n = this.u32(); n > 0; n--) a.push(f()); return a; }
  attr() { return this.u8() ? this.take(16).slice() : this.u32(); }
  /** A value; `attribute` (a standard number) types quality and category integers. */
  value(attribute) {
    const int = (x) => (x >= -(2n ** 53n) && x <= 2n ** 53n ? Number(x) : x);
    const type = this.u8();
    switch (type) {
      case 0: return null;
      case 1: return false;
      case 2: return true;
      case 3: return this.f64();
      case 4: case 5: {
        const x = this.i64();
        const n = int(type === 5 ? BigInt.asUintN(64, x) : x);
        return attribute === QUALITY ? new Quality(n) : attribute === CATEGORY ? category(n) : n;
      }
      case 6: return this.str();
      case 8: return new Uuid(this.take(16));
      case 9: return new Instant(this.i64());
      default: return this.take(this.u32()).slice(); // bytes, or another CBOR item as its bytes
    }
  }
  /** 0 + value, or 1 + code + message (an Error). */
  result(attribute) {
    if (this.u8() === 0) return this.value(attribute);
    const code = this.f64();
    return new XentaraError(this.str(), false, code);
  }
}

/** The success item of `opcode`. */
function item(r, opcode) {
  switch (opcode) {
    case 3: return new Element(r.take(16).slice());
    case 12: return r.take(16).slice();
    case 6: return r.u8() ? r.uuid() : undefined;
    case 1: return r.list(() => new ElementEntry(r.str(), r.uuid(), category(r.u32())));
    case 4: return r.list(() => { const a = r.attr(); return [a, r.result(a)]; });
    case 2: {
      const m = new ElementMetadata();
      const flags = r.u8();
      if (flags & 1) m.primaryKey = r.str();
      if (flags & 2) m.elementCategory = category(r.u32());
      if (flags & 4) {
        m.attributeList = r.list(() => {
          const name = r.str();
          const a = r.attr();
          const [access, type] = [r.u32(), r.u32()];
          return new AttributeMetadata(name, typeof a === 'number' ? KnownAttribute.values[a] ?? a : uuidText(a), ACCESS[access] ?? `access ${access}`, TYPES[type] ?? `type ${type}`);
        });
      }
      if (flags & 8) m.hasChildren = r.u8() === 1;
      return m;
    }
    default: return undefined;
  }
}

// ---- the connection ----

// Connection -> its watched attributes: `keys` (key -> slot number) and `slots` ({set of
// AttributeObservers, attr: number or bytes, tape: what Core.watch takes}); events name
// slots, so no string is built per value.
const watchesOf = new WeakMap();

class Connection extends EventTarget {
  #ws = null;
  #core = null;
  #queue = []; // requests not sent yet: {args, resolve, reject, done, deadline}
  #pending = new Map(); // message id -> request
  #scheduled = false;
  #timer = 0;
  #opening = null;
  #in = new Reader();
  #watches = { keys: new Map(), slots: [], core: () => this.#core };
  /** ms until a request without an answer fails (beyond the vendor's); null: never. */
  requestTimeout = defaults.requestTimeout ?? null;

  constructor() {
    super();
    watchesOf.set(this, this.#watches);
  }

  /** Opens ws(s)://[user:password@]host:port/api/ws; resolves once the WebSocket is open. */
  connect(url) {
    this.close(); // the WebSocket before, if any
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url); // credentials in the URL: the WebSocket's Basic header
      ws.binaryType = 'arraybuffer';
      this.#ws = ws;
      this.#core = new Core();
      for (const slot of this.#watches.slots) this.#core.watch(slot.tape);
      this.#opening = reject;
      ws.onopen = () => {
        this.#opening = null;
        this.dispatchEvent(new Event('open'));
        this.flush(); // the hello, and what the open handlers asked for
        resolve();
      };
      ws.onmessage = (e) => this.#receive(e.data);
      ws.onclose = (e) => this.#shutdown(e.reason || `WebSocket closed with code ${e.code}`, e.wasClean);
      ws.onerror = () => {}; // a close follows, with the reason
    });
  }

  close() {
    const ws = this.#ws;
    if (!ws) return;
    this.#shutdown('closing websocket', true);
    ws.close(1000, 'closing websocket');
  }

  isConnected() { return this.#ws?.readyState === 1; }

  /** Sends what was asked for since the last flush, as one message (runs once per tick anyway). */
  flush() {
    this.#scheduled = false;
    if (this.#ws?.readyState !== 1) return;
    const batch = this.#queue;
    this.#queue = [];
    const w = new Writer();
    for (const q of batch) { w.f64(q.deadline); w.bytes(q.args); }
    const r = new Reader(this.#core.send(w.done()));
    const retry = [];
    const sent = r.u32();
    batch.forEach((q, k) => {
      const id = k < sent ? r.f64() : -32603;
      if (id > 0) this.#pending.set(id, q);
      else if (id === 0) retry.push(q); // every pending entry taken: after the next answers
      else q.reject(new XentaraError(k < sent ? r.str() : 'not sent', false, id));
    });
    this.#queue = retry.concat(this.#queue);
    if (r.more()) this.#ws.send(r.b.slice(r.i));
    this.#arm();
  }

  lookupElement(primaryKey) {
    return this.#request((w) => { w.u8(3); w.str(String(primaryKey)); });
  }

  browse(element, { depth, elementCategory } = {}) {
    return this.#request((w) => {
      w.u8(1);
      w.element(element);
      w.rate(depth);
      w.u8(elementCategory ? 1 : 0);
      if (elementCategory) w.list([...elementCategory], (c) => w.u8(c?.value ?? c));
    });
  }

  metadata(element, identifiers) {
    return this.#request((w) => {
      w.u8(2);
      w.element(element);
      w.list([...identifiers], (m) => w.u8(m?.value ?? m));
    });
  }

  /** Beyond the vendor's: an attribute's current value (the promise rejects with its error). */
  read(attribute) {
    return this.#request((w) => {
      w.u8(4);
      w.element(attribute.element);
      w.list([attribute._id], (a) => w.attr(a));
    }, (results) => {
      const [, result] = results.find(([a]) => attributeKey(attribute.element.uuid, a) === attribute._key) ?? [];
      if (result instanceof XentaraError) throw result;
      return result;
    });
  }

  /** Writes a value; `subSession` (beyond the vendor's) checks its credentials as well. */
  write(attribute, value, subSession) {
    return this.#request((w) => {
      w.u8(5);
      w.element(attribute.element);
      w.attr(attribute._id);
      w.value(value);
      w.u8(subSession ? 1 : 0);
      if (subSession) w.bytes(subSession._idBytes);
    });
  }

  subscribe(subscription) {
    return this.#request((w) => {
      const groups = new Map(); // element uuid -> [element, Set of attribute keys, ids]
      for (const a of subscription.attributes) {
        const g = groups.get(a.element.uuid) ?? groups.set(a.element.uuid, [a.element, new Set(), []]).get(a.element.uuid);
        if (!g[1].has(a._key)) { g[1].add(a._key); g[2].push(a._id); }
      }
      w.u8(6);
      w.list([...groups.values()], ([e, , ids]) => { w.element(e); w.list(ids, (a) => w.attr(a)); });
      w.rate(subscription.maximumUpdateRate);
      w.rate(subscription.minimumUpdateRate);
      w.bytes(subscription._idBytes);
    }, () => undefined);
  }

  unsubscribe(subscription) {
    return this.#request((w) => { w.u8(7); w.bytes(subscription._idBytes); });
  }

  /** Beyond the vendor's: a sub-session with a user name and password. */
  createSubSession(username, password) {
    return this.#request((w) => {
      w.u8(12);
      w.str(String(username));
      w.str(String(password));
      w.u8(0);
    }, (id) => new SubSession(this, id));
  }

  closeSubSession(subSession) {
    return this.#request((w) => { w.u8(13); w.bytes(subSession._idBytes); });
  }

  /** Queues a request for this tick's message; `done` maps the success item. */
  #request(args, done = (x) => x) {
    return new Promise((resolve, reject) => {
      if (!this.#ws || this.#ws.readyState > 1) throw new XentaraError(NOT_SENT, false);
      const w = new Writer();
      args(w);
      const t = this.requestTimeout;
      this.#queue.push({ args: w.done(), resolve, reject, done, deadline: t === null || t === undefined ? -1 : now() + Number(t) });
      if (!this.#scheduled) {
        this.#scheduled = true;
        queueMicrotask(() => this.flush());
      }
    });
  }

  #receive(data) {
    if (typeof data === 'string') return this.#error('a text message (the protocol is binary)');
    const core = this.#core;
    const message = new Uint8Array(data);
    const at = core.input(message.length); // first: it may grow the memory
    getUint8ArrayMemory0().set(message, at);
    const n = core.receive(message.length);
    // One reader for every message, unless a listener got here within one.
    const r = this.#in.more() ? new Reader() : this.#in;
    const answers = this.#records(r.load(core.output(), n));
    if (this.#queue.length) this.flush();
    // Only events: no request ended, the deadlines stay.
    else if (answers) this.#arm();
  }

  /** Applies the records of receive/expire/close (see src/lib.rs); says whether any was not an event. */
  #records(r, closed) {
    let answers = false;
    while (r.more()) {
      const kind = r.u8();
      if (kind === EVENT) { this.#event(r); continue; }
      answers = true;
      const id = r.f64();
      // An unexpected packet answers its request only when it came before the hello (1):
      // not for an unknown id (0), nor a request of the server's (2), whose id is its own.
      const q = kind !== UNEXPECTED || r.b[r.i] === 1 ? this.#pending.get(id) : undefined;
      if (q) this.#pending.delete(id);
      if (kind === SUCCESS) {
        const value = item(r, r.u8());
        if (q) {
          try { q.resolve(q.done(value)); } catch (e) { q.reject(e); }
        }
      } else if (kind === ERROR || kind === INVALID) {
        if (kind === ERROR) r.u8();
        const code = r.f64();
        const error = new XentaraError(r.str(), false, code);
        if (q) q.reject(error);
        else this.#error(error.message, code); // the hello refused, a packet of no request
      } else if (kind === UNEXPECTED) {
        const reason = r.u8();
        if (reason === 1 && q) q.reject(new XentaraError('answered before the hello', false, -32000));
        else this.#error(`unexpected ${['response (unknown id', 'response (before the hello', 'request (id'][reason]} ${id})`);
      } else if (kind === LOST) {
        const cause = r.u8();
        q?.reject(closed ?? new XentaraError(cause ? 'the server did not answer the hello' : 'request timed out', false));
        if (cause && !closed) return this.#shutdown('the server did not answer the hello', false);
      }
    }
    return answers;
  }

  #event(r) {
    const slots = this.#watches.slots;
    let n = r.u32();
    if (n === BAD_EVENT) {
      // A value does not decode: the whole event fails, on every observer of its element.
      const code = r.f64(), reason = r.str();
      for (let k = r.u32(); k > 0; k--) for (const o of slots[r.u32()].set) o.dispatchEvent(errorEvent(reason, code));
      return;
    }
    for (; n > 0; n--) {
      const slot = slots[r.u32()];
      const result = r.result(slot.attr);
      for (const o of slot.set) {
        o.dispatchEvent(result instanceof XentaraError
          ? errorEvent(result.message)
          : new ValueChangeEvent(result));
      }
    }
  }

  /** Something wrong that no request owns: an 'error' event; the connection stays. */
  #error(reason, code) {
    this.dispatchEvent(errorEvent(reason, code));
  }

  #arm() {
    clearTimeout(this.#timer);
    const t = this.#core?.timeout() ?? -1;
    if (t >= 0) {
      this.#timer = setTimeout(() => {
        if (!this.#core) return;
        this.#records(new Reader(this.#core.expire(now())));
        this.#arm();
      }, Math.max(0, t - now()) + 1);
    }
  }

  /** The connection is gone: every request rejects with {message, wasClean}. */
  #shutdown(reason, wasClean) {
    const ws = this.#ws;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = null;
    const core = this.#core;
    this.#ws = this.#core = null;
    clearTimeout(this.#timer);
    const error = new XentaraError(reason, wasClean);
    this.#records(new Reader(core.close()), error);
    core.free();
    for (const q of [...this.#pending.values(), ...this.#queue]) q.reject(error);
    this.#pending.clear();
    this.#queue = [];
    if (this.#opening) this.#opening(error);
    this.#opening = null;
    for (const { set } of this.#watches.slots) {
      for (const o of set) o.dispatchEvent(new XentaraErrorEvent('error', reason, wasClean));
    }
    this.dispatchEvent(new XentaraErrorEvent('close', reason, wasClean));
  }
}

/** Dispatches 'valuechange' ({value}) and 'error' ({reason, wasClean}) for one attribute. */
class AttributeObserver extends EventTarget {
  #set = null;
  constructor(connection, attribute) {
    super();
    const watches = watchesOf.get(connection);
    if (!watches || !(attribute instanceof Attribute)) throw new TypeError('AttributeObserver(connection, attribute)');
    const key = attribute._key;
    let n = watches.keys.get(key);
    if (n === undefined) {
      const w = new Writer();
      w.element(attribute.element);
      w.attr(attribute._id);
      watches.keys.set(key, n = watches.slots.length);
      watches.slots.push({ set: new Set(), attr: attribute._id, tape: w.done() });
      watches.core()?.watch(watches.slots[n].tape);
    }
    this.#set = watches.slots[n].set;
    this.#set.add(this);
  }
  unhook() {
    this.#set?.delete(this);
    this.#set = null;
  }
  get isUnhooked() { return this.#set === null; }
}

// The vendor's objects are embind handles; pages may call these.
for (const C of [Connection, AttributeObserver, Element, Attribute, Subscription, Quality, Instant, ElementEntry, ElementMetadata, AttributeMetadata, SubSession, Uuid]) {
  Object.assign(C.prototype, { delete() {}, deleteLater() { return this; }, isDeleted() { return false; }, clone() { return this; } });
}

// ---- the factory ----

const defaults = {};
let loading = null;

/**
 * Loads the wasm core (`xentara-client.wasm` beside this file, or `options.wasm`: a URL,
 * a Response, bytes or a WebAssembly.Module; `options.locateFile(name, dir)` as the
 * vendor's Emscripten module has it) and resolves to the API's classes.
 * `options.requestTimeout` (ms) is each new Connection's default request timeout.
 */
export default async function createXentaraModule(options = {}) {
  if ('requestTimeout' in options) defaults.requestTimeout = options.requestTimeout;
  loading ??= (async () => {
    const here = new URL('.', import.meta.url).href;
    let source = options.wasm ?? (options.locateFile ? options.locateFile('xentara-client.wasm', here) : new URL('xentara-client.wasm', import.meta.url));
    if (String(source).startsWith('file:') && typeof process === 'object' && process.versions?.node) {
      source = await (await import('node:fs/promises')).readFile(new URL(String(source)));
    }
    await __wbg_init({ module_or_path: source });
  })().catch((e) => { loading = null; throw e; });
  await loading;
  return {
    Connection, Element, Attribute, Subscription, AttributeObserver, KnownAttribute, MetadataIdentifier,
    ElementCategory, Quality, Instant, Uuid, SubSession, ElementEntry, ElementMetadata, AttributeMetadata,
    Error: XentaraError, ErrorEvent: XentaraErrorEvent, ValueChangeEvent,
    ElementEntryVector: Vector, AttributeVector: Vector, AttributeMetadataVector: Vector, MetadataIdentifierVector: Vector,
  };
}
export { createXentaraModule };
