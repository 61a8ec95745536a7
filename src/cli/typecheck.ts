import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import type * as TS from 'typescript';
import { readCdktfJson } from '../manifest/index.js';
import { LinkedError } from '../model/errors.js';

/*
 * `linked check`: the type check tsx skips when it runs the app. The constructs' types are where a
 * relationship used at the wrong level or a misspelt column shows up first, and only a type
 * check reports them, with the line to fix.
 */

export interface TypeDiagnostic {
  /** Relative to the project directory. */
  file: string;
  line: number;
  column: number;
  category: 'error' | 'warning';
  code: number;
  message: string;
}

export interface TypecheckResult {
  /** The tsconfig.json whose options were used, or null for TypeScript's defaults. */
  config: string | null;
  /** How many files were checked, the project's and those it imports. */
  files: number;
  diagnostics: TypeDiagnostic[];
}

/**
 * The project's own TypeScript when it has one (the version its editor shows), else the one this
 * package depends on.
 */
function loadTypeScript(projectDir: string): typeof TS {
  for (const from of [join(projectDir, 'package.json'), import.meta.url]) {
    try {
      return createRequire(from)('typescript') as typeof TS;
    } catch {
      // try the next place
    }
  }
  throw new LinkedError('TYPESCRIPT_MISSING', `TypeScript is not installed: run "npm install --save-dev typescript" in ${projectDir}.`);
}

/**
 * The app's entry file: the first `.ts` argument of cdktf.json's "app" ("tsx main.ts" -> main.ts).
 */
export function appEntry(projectDir: string): string | undefined {
  const word = readCdktfJson(projectDir)
    .app.split(/\s+/)
    .find((w) => /\.(c|m)?tsx?$/.test(w));
  return word ? resolve(projectDir, word) : undefined;
}

/**
 * Type-checks a project. With a tsconfig.json of its own, every file it includes (as `tsc --noEmit
 * -p <dir>`); without one, the app's entry file and what it imports, under the nearest tsconfig.json
 * above it (or TypeScript's strict defaults).
 */
export function typecheckProject(projectDir: string): TypecheckResult {
  const dir = resolve(projectDir);
  const ts = loadTypeScript(dir);
  const own = join(dir, 'tsconfig.json');
  const configFile = existsSync(own) ? own : (ts.findConfigFile(dir, ts.sys.fileExists) ?? null);
  let options: TS.CompilerOptions = { strict: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, skipLibCheck: true };
  let rootNames: string[] = [];
  const configErrors: TS.Diagnostic[] = [];
  if (configFile) {
    const read = ts.readConfigFile(configFile, ts.sys.readFile);
    if (read.error) configErrors.push(read.error);
    const parsed = ts.parseJsonConfigFileContent(read.config ?? {}, ts.sys, dirname(configFile), undefined, configFile);
    configErrors.push(...parsed.errors);
    options = parsed.options;
    rootNames = parsed.fileNames;
  }
  if (configFile !== own) {
    const entry = appEntry(dir);
    if (!entry) throw new LinkedError('CHECK_NO_ENTRY', `Cannot tell which file to type-check: cdktf.json's "app" names no .ts file and ${dir} has no tsconfig.json. Add a tsconfig.json (linked init writes one).`);
    rootNames = [entry];
  }
  // Incremental: a second check reuses what the first learnt about every unchanged file (the
  // constructs' sources above all), which is most of the time of a check.
  const tsBuildInfoFile = join(existsSync(join(dir, 'node_modules')) ? join(dir, 'node_modules', '.cache', 'linked') : join(tmpdir(), `linked-check-${hash(dir)}`), 'tsbuildinfo');
  const builder = ts.createIncrementalProgram({ rootNames, options: { ...options, noEmit: true, incremental: true, tsBuildInfoFile } });
  const program = builder.getProgram();
  const diagnostics = [...configErrors, ...ts.getPreEmitDiagnostics(program)]
    .filter((d) => d.category === ts.DiagnosticCategory.Error || d.category === ts.DiagnosticCategory.Warning)
    .map((d) => toDiagnostic(ts, d, dir));
  mkdirSync(dirname(tsBuildInfoFile), { recursive: true });
  builder.emit();
  return { config: configFile, files: program.getSourceFiles().length, diagnostics };
}

const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 12);

function toDiagnostic(ts: typeof TS, d: TS.Diagnostic, dir: string): TypeDiagnostic {
  const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
  return {
    file: d.file ? relative(dir, d.file.fileName) : '',
    line: at ? at.line + 1 : 0,
    column: at ? at.character + 1 : 0,
    category: d.category === ts.DiagnosticCategory.Error ? 'error' : 'warning',
    code: d.code,
    message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
  };
}

/** `main.ts:12:5 - error TS2322: ...`, the follow-up lines of the message indented under it. */
export function renderDiagnostics(diagnostics: readonly TypeDiagnostic[]): string {
  return diagnostics
    .map((d) => {
      const where = d.file ? `${d.file}:${d.line}:${d.column}` : '(config)';
      const [first, ...rest] = d.message.split('\n');
      return [`${where} - ${d.category} TS${d.code}: ${first}`, ...rest.map((l) => `    ${l.trim()}`)].join('\n');
    })
    .join('\n\n');
}

/** "2 type errors in main.ts, graph.ts". */
export function summarizeDiagnostics(diagnostics: readonly TypeDiagnostic[]): string {
  const errors = diagnostics.filter((d) => d.category === 'error');
  const files = [...new Set(errors.map((d) => d.file || 'tsconfig.json'))];
  return `${errors.length} type error${errors.length === 1 ? '' : 's'} in ${files.join(', ')}`;
}

/**
 * The type check as a gate (`linked check`, `linked synth --check`): diagnostics on stderr (in
 * `--json` mode they travel in the error's details), then an error naming the count and the files.
 */
export function requireTypesClean(projectDir: string, opts: { json?: boolean } = {}): TypecheckResult {
  const result = typecheckProject(projectDir);
  const errors = result.diagnostics.filter((d) => d.category === 'error');
  if (!opts.json && result.diagnostics.length > 0) process.stderr.write(renderDiagnostics(result.diagnostics) + '\n\n');
  if (errors.length > 0) {
    throw new LinkedError('TYPE_ERRORS', `${summarizeDiagnostics(errors)}: fix ${errors.length === 1 ? 'it' : 'them'}, then run "linked check" again.`, { diagnostics: errors });
  }
  return result;
}
