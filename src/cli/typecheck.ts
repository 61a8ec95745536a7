import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import type * as TS from 'typescript';
import { readCdktfJson } from '../manifest/index.js';
import { LinkedError } from '../model/errors.js';
import { projectDevDependencies } from './package-root.js';

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
  /** How many of the project's own files were checked (not those it imports from packages). */
  files: number;
  diagnostics: TypeDiagnostic[];
}

/**
 * The TypeScript majors whose compiler API this module calls: 6 keeps 5's API (it deprecates
 * options, not functions); 7, the Go port, has none of it.
 */
const SUPPORTED_MAJORS = [5, 6];

/** `npm install --save-dev typescript@~5.9.3`: the version this package is built and tested with. */
export function typescriptInstallHint(): string {
  return `npm install --save-dev typescript@${projectDevDependencies().typescript}`;
}

/**
 * The project's own TypeScript when it has one (the version its editor shows), else the one this
 * package depends on. A major whose API differs is refused by name rather than failing inside it.
 */
function loadTypeScript(projectDir: string): typeof TS {
  for (const from of [join(projectDir, 'package.json'), import.meta.url]) {
    let ts: typeof TS;
    try {
      ts = createRequire(from)('typescript') as typeof TS;
    } catch {
      continue; // try the next place
    }
    const version = typeof ts.version === 'string' ? ts.version : 'of an unknown version';
    if (!SUPPORTED_MAJORS.includes(Number.parseInt(version, 10))) {
      throw new LinkedError(
        'TYPESCRIPT_UNSUPPORTED',
        `TypeScript ${version} is installed, and "linked check" needs TypeScript ${SUPPORTED_MAJORS.join(' or ')} (it calls its compiler API): run "${typescriptInstallHint()}" in ${projectDir}.`,
      );
    }
    return ts;
  }
  throw new LinkedError('TYPESCRIPT_MISSING', `TypeScript is not installed: run "${typescriptInstallHint()}" in ${projectDir}.`);
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
  const projectFiles = program.getSourceFiles().filter((f) => isProjectFile(program, f));
  const found = [
    ...configErrors,
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...projectFiles.flatMap((f) => [...program.getSyntacticDiagnostics(f), ...program.getSemanticDiagnostics(f)]),
  ];
  const diagnostics = ts
    .sortAndDeduplicateDiagnostics(found)
    .filter((d) => d.category === ts.DiagnosticCategory.Error || d.category === ts.DiagnosticCategory.Warning)
    .map((d) => toDiagnostic(ts, d, dir));
  mkdirSync(dirname(tsBuildInfoFile), { recursive: true });
  builder.emit();
  return { config: configFile, files: projectFiles.length, diagnostics };
}

/**
 * The project's own files are checked, not what it imports from packages. linked-audiences ships
 * its constructs as TypeScript sources, which skipLibCheck (declaration files only) does not skip:
 * checked under the project's options (a stricter flag than the package's own, Node's types
 * missing) they would report errors in files the user neither wrote nor can fix. The checker still
 * reads them for every type the project's files use.
 */
function isProjectFile(program: TS.Program, file: TS.SourceFile): boolean {
  if (program.isSourceFileDefaultLibrary(file) || program.isSourceFileFromExternalLibrary(file)) return false;
  return !/[\\/]node_modules[\\/]/.test(file.fileName);
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
    // TS2688: a "types" entry of tsconfig.json not installed; for Node's, the fix is one command.
    const nodeTypes = errors.some((d) => d.code === 2688 && d.message.includes("'node'"))
      ? ` Node's types are not installed: run "npm install --save-dev @types/node@${projectDevDependencies()['@types/node']}".`
      : '';
    throw new LinkedError('TYPE_ERRORS', `${summarizeDiagnostics(errors)}: fix ${errors.length === 1 ? 'it' : 'them'}, then run "linked check" again.${nodeTypes}`, { diagnostics: errors });
  }
  return result;
}
