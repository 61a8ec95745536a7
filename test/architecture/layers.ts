/*
 * The layer rules of docs/architecture.md, as data, and the import graph of src/ and constructs/
 * read with the TypeScript compiler API (static imports, re-exports and dynamic import() alike).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/**
 * Each layer and the layers it may import (its own files always may). Bottom to top. A file
 * belongs to the first layer whose prefix its path starts with.
 */
export const LAYERS: readonly { name: string; prefixes: string[]; mayImport: string[] }[] = [
  { name: 'model', prefixes: ['src/model/'], mayImport: [] },
  { name: 'dialect', prefixes: ['src/dialect/'], mayImport: ['model'] },
  { name: 'support', prefixes: ['src/secrets.ts', 'src/retry.ts'], mayImport: ['model'] },
  { name: 'warehouse', prefixes: ['src/warehouse/'], mayImport: ['model', 'dialect', 'support'] },
  { name: 'sql', prefixes: ['src/sql/'], mayImport: ['model', 'dialect'] },
  { name: 'graph', prefixes: ['src/graph/'], mayImport: ['model', 'dialect', 'warehouse', 'sql'] },
  { name: 'manifest', prefixes: ['src/manifest/'], mayImport: ['model', 'support'] },
  { name: 'state', prefixes: ['src/state/'], mayImport: ['model', 'dialect', 'support', 'warehouse', 'graph'] },
  { name: 'preview', prefixes: ['src/preview/'], mayImport: ['model', 'dialect', 'support', 'warehouse', 'sql', 'graph', 'state'] },
  /** `linked test`: audience tests on an in-memory DuckDB built from fixtures. */
  { name: 'testing', prefixes: ['src/testing/'], mayImport: ['model', 'dialect', 'support', 'warehouse', 'sql', 'graph', 'manifest', 'preview'] },
  { name: 'compute', prefixes: ['src/compute/'], mayImport: ['model', 'dialect', 'support', 'warehouse', 'sql', 'graph', 'state'] },
  { name: 'activation', prefixes: ['src/activation/'], mayImport: ['model', 'dialect', 'support', 'warehouse', 'sql', 'graph', 'state'] },
  /** `linked trace`: from a delivered event back to the run, audience version, apply and commit. */
  { name: 'trace', prefixes: ['src/trace/'], mayImport: ['model', 'dialect', 'support', 'warehouse', 'state'] },
  /** `linked why`: one profile's condition tree evaluated in the warehouse. */
  { name: 'why', prefixes: ['src/why/'], mayImport: ['model', 'dialect', 'support', 'warehouse', 'sql', 'graph', 'state', 'compute'] },
  /** The daemon's metrics, health, logs and their HTTP endpoint. */
  { name: 'observe', prefixes: ['src/observe/'], mayImport: ['model', 'dialect', 'support', 'warehouse', 'sql', 'graph', 'state', 'compute', 'activation'] },
  { name: 'plan', prefixes: ['src/plan/'], mayImport: ['model', 'dialect', 'support', 'warehouse', 'sql', 'graph', 'manifest', 'state', 'preview', 'compute'] },
  {
    name: 'github',
    prefixes: ['src/github/'],
    mayImport: ['model', 'dialect', 'support', 'warehouse', 'sql', 'graph', 'manifest', 'state', 'preview', 'compute', 'activation', 'plan'],
  },
  {
    name: 'controller',
    prefixes: ['src/controller/'],
    mayImport: ['model', 'dialect', 'support', 'warehouse', 'sql', 'graph', 'manifest', 'state', 'preview', 'compute', 'activation', 'observe', 'plan', 'github'],
  },
  /** The read-only dashboard (`linked ui`, `linked run --ui`). */
  {
    name: 'ui',
    prefixes: ['src/ui/'],
    mayImport: ['model', 'dialect', 'support', 'warehouse', 'sql', 'graph', 'manifest', 'state', 'preview', 'compute', 'activation', 'trace', 'why', 'observe', 'plan', 'github', 'controller'],
  },
  { name: 'cli', prefixes: ['src/cli/'], mayImport: ['*'] },
  /** The example data generators `linked example` runs. */
  { name: 'examples', prefixes: ['examples/'], mayImport: ['model', 'dialect', 'warehouse'] },
  { name: 'constructs', prefixes: ['constructs/'], mayImport: ['model'] },
];

export interface ImportEdge {
  from: string;
  to: string;
  line: number;
}

function filesUnder(root: string, dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir))) {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) out.push(...filesUnder(root, path));
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Every import between files of `dirs` (paths relative to `root`); imports of packages are left out. */
export function importGraph(root: string, dirs: string[]): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of dirs.flatMap((d) => filesUnder(root, d))) {
    const source = ts.createSourceFile(file, readFileSync(join(root, file), 'utf8'), ts.ScriptTarget.Latest, true);
    const add = (spec: ts.Node | undefined, at: ts.Node) => {
      if (!spec || !ts.isStringLiteralLike(spec) || !spec.text.startsWith('.')) return;
      const target = relative(root, resolve(root, dirname(file), spec.text)).replace(/\.js$/, '.ts');
      edges.push({ from: file, to: target, line: source.getLineAndCharacterOfPosition(at.getStart()).line + 1 });
    };
    const visit = (node: ts.Node) => {
      if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier, node);
      else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node.arguments[0], node);
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return edges;
}

export const layerOf = (file: string) => LAYERS.find((l) => l.prefixes.some((p) => file.startsWith(p)));

/** The imports that break a layer rule, as `from:line -> to (layer -> layer)`. */
export function layerViolations(edges: readonly ImportEdge[]): string[] {
  const out: string[] = [];
  for (const e of edges) {
    const [from, to] = [layerOf(e.from), layerOf(e.to)];
    if (!from || from.mayImport.includes('*')) continue;
    if (from.name === 'constructs' && e.to.startsWith('constructs/')) continue;
    if (!to) {
      out.push(`${e.from}:${e.line} -> ${e.to} (${from.name} -> a file outside every layer)`);
      continue;
    }
    if (to !== from && !from.mayImport.includes(to.name)) out.push(`${e.from}:${e.line} -> ${e.to} (${from.name} -> ${to.name})`);
  }
  return out;
}

/** Groups of files that import each other in a loop (strongly connected components, Tarjan). */
export function importCircles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const connect = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      group.push(w);
    } while (w !== v);
    if (group.length > 1) circles.push(group.sort());
  };
  for (const v of next.keys()) if (!index.has(v)) connect(v);
  return circles;
}
