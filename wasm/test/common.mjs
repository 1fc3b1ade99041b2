// Shared by the Node tests: the `ws` package as the global WebSocket (recording what each
// socket sends), the built module (wasm/pkg), and small helpers.
import WebSocket, { WebSocketServer } from 'ws';

/** Every frame sent by a client socket, as Buffers, in order (tests may clear it). */
export const sent = [];
globalThis.WebSocket = class extends WebSocket {
  send(data, ...rest) {
    sent.push(Buffer.from(data));
    return super.send(data, ...rest);
  }
};

const { default: createXentaraModule } = await import(new URL('../pkg/xentara-client.js', import.meta.url));
export { createXentaraModule, WebSocketServer };
export const X = await createXentaraModule();

/** The example server's address, from test.sh. */
export function serverUrl() {
  const url = process.env.XENTARA_URL;
  if (!url) throw new Error('XENTARA_URL is not set: run wasm/test.sh, or start the example server and set it');
  return url;
}

export const hex = (b) => Buffer.from(b).toString('hex');
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with the first `n` events of `type` on `target` (rejects after `ms`). */
export function events(target, type, n, ms = 3000) {
  return new Promise((resolve, reject) => {
    const seen = [];
    const timer = setTimeout(() => reject(new Error(`${seen.length} of ${n} '${type}' events in ${ms} ms`)), ms);
    target.addEventListener(type, function on(e) {
      seen.push(e);
      if (seen.length === n) {
        clearTimeout(timer);
        target.removeEventListener(type, on);
        resolve(seen);
      }
    });
  });
}

/** The rejection of `promise` (fails if it resolves). */
export async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('the promise resolved');
}
