import { mkdtempSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importCircles, importGraph, layerOf, layerViolations } from './layers.js';

const ROOT = join(import.meta.dirname, '..', '..');
const graph = importGraph(ROOT, ['src', 'constructs']);

describe('architecture: layers point one way (docs/architecture.md)', () => {
  it('every file of src/ and constructs/ belongs to a layer', () => {
    const files = new Set(graph.flatMap((e) => [e.from, e.to]));
    expect([...files].filter((f) => !f.startsWith('constructs/.gen/') && !layerOf(f))).toEqual([]);
  });

  it('no import breaks a layer rule', () => {
    expect(layerViolations(graph)).toEqual([]);
  });

  it('no files import each other in a circle', () => {
    expect(importCircles(graph)).toEqual([]);
  });

  it('the check sees a forbidden import, a circle and a dynamic import()', () => {
    const root = mkdtempSync(join(tmpdir(), 'layers-'));
    const write = (path: string, text: string) => {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), text);
    };
    write('src/sql/compiler.ts', "import { openDuckDb } from '../warehouse/duckdb.js';\nexport const x = 1;\n");
    write('src/warehouse/duckdb.ts', "export const openDuckDb = () => import('../compute/run.js');\n");
    write('src/compute/run.ts', "import { y } from './b.js';\nexport const x = y;\n");
    write('src/compute/b.ts', "export { x as y } from './run.js';\n");
    const edges = importGraph(root, ['src']);
    expect(layerViolations(edges)).toEqual([
      'src/sql/compiler.ts:1 -> src/warehouse/duckdb.ts (sql -> warehouse)',
      'src/warehouse/duckdb.ts:1 -> src/compute/run.ts (warehouse -> compute)',
    ]);
    expect(importCircles(edges)).toEqual([['src/compute/b.ts', 'src/compute/run.ts']]);
  });
});

/** Words that start a statement; only the printers and the migrations' DDL may spell them. */
const SQL_TEXT = /\b(SELECT|INSERT|UPDATE|DELETE|MERGE) /;
const MAY_HOLD_SQL = ['src/dialect/', 'src/state/migrations/', 'src/state/migrate.ts'];

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    return statSync(join(ROOT, path)).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** String and template literals of a file (comments excluded), with their line numbers. */
function literals(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  const re = /\/\/[^\n]*|\/\*[\s\S]*?\*\/|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[0].startsWith('/')) continue;
    out.push({ line: text.slice(0, m.index).split('\n').length, text: m[0] });
  }
  return out;
}

describe('architecture: one SQL layer', () => {
  it('no SQL text outside the printers and the migrations', () => {
    const found = sourceFiles('src')
      .filter((f) => !MAY_HOLD_SQL.some((p) => f.startsWith(p)))
      .flatMap((f) => literals(readFileSync(join(ROOT, f), 'utf8')).filter((l) => SQL_TEXT.test(l.text)).map((l) => `${f}:${l.line}: ${l.text.slice(0, 80)}`));
    expect(found).toEqual([]);
  });

  it('the scan finds SQL in a string and a template, not in a comment', () => {
    const text = "// SELECT in a comment\nconst a = 'SELECT 1';\nconst b = `DELETE FROM ${t}`;\n/* UPDATE x */";
    expect(literals(text).filter((l) => SQL_TEXT.test(l.text)).map((l) => l.line)).toEqual([2, 3]);
  });
});
