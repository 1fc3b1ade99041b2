// Writes pkg/xentara-client.js: js/xentara-client.js with wasm-bindgen's glue (from
// `wasm-bindgen --target web`) put in place of its marker line, as one ES module; the
// glue's exports become plain declarations. What ships has no comment lines, blank lines
// or indentation (js/ is the source to read); nothing else changes.
//
//   node tools/bundle.mjs GLUE.js OUT.js
import { readFileSync, writeFileSync } from 'node:fs';

const [glueFile, outFile] = process.argv.slice(2);
const here = new URL('..', import.meta.url);
const api = readFileSync(new URL('js/xentara-client.js', here), 'utf8');
const marker = '//@@WASM_BINDGEN_GLUE@@\n';
let glue = readFileSync(glueFile, 'utf8')
  .replace(/\/\*\*[\s\S]*?\*\/\n?/g, '')
  .replace(/^export (class|function|async function) /gm, '$1 ')
  .replace(/^export \{ initSync, __wbg_init as default \};\n?/m, '')
  .replace(/^function initSync\(module\) \{\n[\s\S]*?\n\}\n/m, '') // unused: the factory is async
  .replace(/^if \(Symbol\.dispose\) .*\n/m, '') // Core is internal: nobody disposes of it with `using`
  .replace(/^\s*\n/gm, '');
for (const name of ['class Core', 'function standard_attribute', 'function attribute_uuid', 'async function __wbg_init', 'function getUint8ArrayMemory0']) {
  if (!glue.includes(name)) throw new Error(`bundle: the glue has no "${name}" (another wasm-bindgen version?)`);
}
if (/^export /m.test(glue)) throw new Error('bundle: an export is left in the glue');
if (glue.includes('initSync')) throw new Error('bundle: initSync is left in the glue');
if (!api.includes(marker)) throw new Error('bundle: no glue marker in js/xentara-client.js');
let inComment = false;
const code = api
  .replace(marker, glue)
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => {
    if (inComment) return !(inComment = !line.includes('*/')) && false;
    if (line.startsWith('/*')) return !(inComment = !line.includes('*/')) && false;
    return line && !line.startsWith('//');
  })
  .join('\n');
const header = '// xentara-client.js: the Xentara WebSocket API (the vendor client\'s JavaScript API) over\n' +
  '// the xentara-ws crate compiled to WebAssembly. Built from wasm/js/xentara-client.js (MIT).\n';
writeFileSync(outFile, `${header}${code}\n`);
