// Static import graph from an entry (esbuild metafile): which inputs and packages it reaches, and one path to each package.
import { build } from 'esbuild';
const [entry, ...targets] = process.argv.slice(2);
const r = await build({ entryPoints: [entry], bundle: true, write: false, metafile: true, platform: 'node', format: 'esm', packages: 'external', outdir: '/tmp/h17prof/out', logLevel: 'silent' });
const inputs = r.metafile.inputs;
const start = entry.replace(/^\.\//, '');
const prev = new Map([[start, null]]); const q = [start]; const pk = new Map();
while (q.length) { const f = q.shift(); for (const imp of inputs[f]?.imports ?? []) { if (imp.kind === 'dynamic-import') continue; if (imp.external) { if (!pk.has(imp.path)) pk.set(imp.path, f); continue; } if (!prev.has(imp.path)) { prev.set(imp.path, f); q.push(imp.path); } } }
console.log('files', prev.size, 'packages', [...pk.keys()].join(' '));
for (const t of targets) { let f = pk.get(t) ?? prev.get(t); const chain = [t]; while (f) { chain.push(f); f = prev.get(f); } console.log(chain.reverse().join('\n   -> '), '\n'); }
