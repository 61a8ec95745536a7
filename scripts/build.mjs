// `npm run build`: compiles the CLI to dist/ with esbuild (the bundler tsx itself uses).
// Our code is bundled; packages stay imports of node_modules (native DuckDB bindings, the
// Snowflake driver and the others load as they are), except the few in BUNDLED: packages of many
// small files that nearly every command loads, where finding, reading and linking each file costs
// more than running them (DuckDB's JavaScript API is about 180 CommonJS files whose export names
// Node's lexer reads one by one before an import can link; zod is about 100 modules). Each command is an entry point of its own so
// `linked <command>` loads one command's code, and code shared between commands goes to chunks.
// The stamp dist/.built is written last: bin/linked.js runs dist/ only once the build finished.
import { build } from 'esbuild';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const commands = readdirSync(join(root, 'src/cli/commands'))
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('.test.ts'))
  .map((f) => join(root, 'src/cli/commands', f));

const BUNDLED = new Set(['@duckdb/node-api', 'zod', 'commander']);
const packageName = (spec) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');
const externalPackages = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:') || BUNDLED.has(packageName(args.path))) return undefined;
      return { path: args.path, external: true };
    });
    // zod's `z.locales` namespace holds every language's messages (about a third of zod's code);
    // we never call it, and English, the default, is imported on its own.
    b.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({ contents: "export { default as en } from './en.js';", loader: 'js' }));
  },
};

const started = Date.now();
rmSync(dist, { recursive: true, force: true });
const { metafile } = await build({
  absWorkingDir: root,
  entryPoints: [join(root, 'src/cli/main.ts'), ...commands],
  outbase: join(root, 'src'),
  outdir: dist,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  plugins: [externalPackages],
  // A bundled CommonJS package's own require() of a package left outside (DuckDB's native
  // bindings) needs a require in an ES module.
  banner: { js: "import { createRequire as __linkedCreateRequire } from 'node:module'; const require = __linkedCreateRequire(import.meta.url);" },
  sourcemap: 'linked',
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
  metafile: true,
});
// The files outside src/ and node_modules the bundle read (the examples' data generators):
// bin/source-files.js checks exactly these, so running or editing an example app never makes the
// build look stale.
const inputs = Object.keys(metafile.inputs).filter((p) => !/^(src|node_modules)\//.test(p));
writeFileSync(join(dist, '.inputs.json'), `${JSON.stringify(inputs)}\n`);
writeFileSync(join(dist, '.built'), `${new Date().toISOString()}\n`);
if (!process.argv.includes('--quiet')) process.stdout.write(`Built dist/ in ${Date.now() - started} ms\n`);
