// Runs bench.mjs for ours (wasm/pkg) and the vendor's module side by side: every case,
// rounds alternating the two modules (each round a new process), then a table of the
// medians and their ratio (ours / vendor's). Without the vendor's files it says where to
// get them and runs ours alone.
//
//   node bench/run.mjs [VENDOR_DIR] [--rounds 5] [--cases a,b,c] [--ours DIR] [--before DIR] [--quick]
//
// VENDOR_DIR holds the vendor's xentara-client.js and xentara-client.wasm (the public
// repository xentara/xentara-sample-web-ui, mvp-ui-main/assets/). --quick: one short
// round of each (CI runs it so that the benchmark keeps working; nobody asserts a time).
// --ours DIR: another build of ours instead of wasm/pkg; --before DIR: an older build of
// ours, run beside the others (rows "before"), to compare two builds in one run.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { availableParallelism, cpus } from 'node:os';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? fallback : args.splice(i, 2)[1];
};
const quick = args.includes('--quick');
if (quick) args.splice(args.indexOf('--quick'), 1);
const rounds = Number(opt('rounds', quick ? 1 : 5));
const cases = opt('cases', 'a,b,c').split(',');
const bench = new URL('bench.mjs', import.meta.url).pathname;
const ours = resolve(opt('ours', new URL('../pkg', import.meta.url).pathname));
const before = opt('before', null);
let vendor = args[0] && resolve(args[0]);
if (!vendor || !['xentara-client.js', 'xentara-client.wasm'].every((f) => existsSync(join(vendor, f)))) {
  console.log(`No vendor's module${vendor ? ` in ${vendor}` : ''}: ours alone. Its two files are in the public repository
xentara/xentara-sample-web-ui (https://github.com/xentara/xentara-sample-web-ui), mvp-ui-main/assets/
xentara-client.js and xentara-client.wasm; put them in a directory and pass it:
  git clone --depth 1 https://github.com/xentara/xentara-sample-web-ui /tmp/sample-ui
  bash wasm/bench/run.sh /tmp/sample-ui/mvp-ui-main/assets
`);
  vendor = null;
}
if (!existsSync(join(ours, 'xentara-client.wasm'))) throw new Error(`no module in ${ours}: run bash wasm/build.sh first`);

// What each case runs: [label, module dir, extra arguments]; the first vendor row is
// what ours are measured against.
const runs = {
  a: [['ours', ours, []], ['vendor', vendor, []]],
  b: [['ours', ours, []], ['vendor', vendor, []]],
  c: [['ours', ours, []], ['ours (read)', ours, ['--read']], ['vendor', vendor, []]],
};
if (before) {
  for (const c of Object.keys(runs)) {
    const mine = runs[c].filter(([label]) => label.startsWith('ours'));
    runs[c].unshift(...mine.map(([label, , extra]) => [label.replace('ours', 'before'), resolve(before), extra]));
  }
}
const titles = {
  a: 'a: 20,000 event messages, 1 value, 1 observer (events/s)',
  b: 'b: 300 event messages of 10 elements × 3 attributes, 30 observers (events/s)',
  c: 'c: 1,000 requests in flight, lookupElement (ours also read) (requests/s)',
};
const small = { a: 2000, b: 30, c: 200 };

const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (x) => Math.round(x).toLocaleString('en-US');

const rows = [];
for (const c of cases) {
  const todo = runs[c].filter(([, dir]) => dir);
  const rates = todo.map(() => []);
  for (let round = 0; round < rounds; round++) {
    // Alternating which module goes first, so neither always meets the same load.
    const order = todo.map((_, k) => k);
    if (round % 2) order.reverse();
    for (const k of order) {
      const [, dir, extra] = todo[k];
      const n = quick ? ['--n', String(small[c])] : [];
      const out = execFileSync(process.execPath, [bench, '--module', dir, '--case', c, ...extra, ...n], { encoding: 'utf8' });
      const { rate } = JSON.parse(out.trim().split('\n').pop());
      rates[k].push(rate);
      process.stderr.write(`${c} round ${round + 1}: ${todo[k][0]} ${fmt(rate)}/s\n`);
    }
  }
  const base = todo.findIndex(([label]) => label === 'vendor');
  todo.forEach(([label], k) => {
    const m = median(rates[k]);
    const ratio = base < 0 || label === 'vendor' ? '' : `${(m / median(rates[base])).toFixed(2)}×`;
    rows.push(`| ${titles[c]} | ${label} | ${fmt(m)} | ${ratio} |`);
  });
}
if (quick) console.log('\nQuick: fewer messages and requests than the titles say; that it runs, not how fast.');
console.log(`\nMedians of ${rounds} round(s) each, modules alternating, one process per round; node ${process.version}, ${availableParallelism()} × ${cpus()[0]?.model ?? 'CPU'}.\n`);
console.log('| case | module | per second | ours / vendor\'s |\n|---|---|---:|---:|');
console.log(rows.join('\n'));
