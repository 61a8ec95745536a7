import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { LinkedError } from '../model/errors.js';
import { packageInfo, projectDevDependencies } from './package-root.js';

/*
 * `linked init <dir>`: a new project from templates/project. Template files are written as they
 * are but for their `{{placeholders}}` (names, the dependency, the versions of TypeScript and
 * Node's types); two names are stored without their dot because npm leaves `.gitignore` out of a
 * packed tarball and a leading-dot folder is easy to miss.
 */

const RENAMED: Record<string, string> = { gitignore: '.gitignore', github: '.github' };

/** Entries a folder may already hold and still count as empty (a fresh `git init`, an editor's). */
const IGNORABLE = new Set(['.git', '.DS_Store', '.idea', '.vscode']);

export interface ScaffoldOptions {
  /** The package.json name; default: the folder's name. */
  name?: string;
  /** How the project depends on this package: an npm spec (a path, a tarball, a version). */
  dependency?: string;
}

export interface ScaffoldResult {
  dir: string;
  name: string;
  stack: string;
  dependency: string;
  /**
   * Where a local dependency (`file:`, `./`, `../`, an absolute path) points, taken from `dir` as
   * npm takes it from the project's package.json, and whether anything is there.
   */
  dependencyPath?: { path: string; exists: boolean };
  /** Written files, relative to `dir`. */
  files: string[];
}

/** True when `dir` does not exist or holds nothing but version-control or editor folders. */
export function isEmptyFolder(dir: string): boolean {
  if (!existsSync(dir)) return true;
  if (!statSync(dir).isDirectory()) throw new LinkedError('INIT_NOT_A_FOLDER', `${dir} is a file: give "linked init" a folder name, e.g. "linked init my-audiences".`);
  return readdirSync(dir).every((e) => IGNORABLE.has(e));
}

/** "My Audiences!" -> "my-audiences": valid as an npm name and as a stack name. */
export function projectName(raw: string): string {
  const name = raw
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return name === '' ? 'audiences' : name;
}

/**
 * The dependency a new project gets until the package is published: a `file:` path to the copy of
 * linked-audiences that runs this command (a checkout, or the tarball's unpacked folder).
 */
export function defaultDependency(projectDir: string): string {
  const root = packageInfo().root;
  const path = relative(projectDir, root).split(sep).join('/');
  // A sibling or a near cousin reads better relative; anything further, absolute.
  if (path.split('/').filter((p) => p === '..').length > 2) return `file:${root}`;
  return `file:${path.startsWith('.') ? path : `./${path}`}`;
}

/** Writes the project; refuses a folder that already holds files. */
export function scaffoldProject(target: string, options: ScaffoldOptions = {}): ScaffoldResult {
  const dir = resolve(target);
  if (!isEmptyFolder(dir)) {
    throw new LinkedError(
      'INIT_NOT_EMPTY',
      `${dir} is not empty and holds no cdktf.json: "linked init" creates a project only in a new or empty folder. Give it a new folder ("linked init my-audiences"), or, for an existing project, add its cdktf.json first (then "linked init" creates the state schema).`,
    );
  }
  const name = projectName(options.name ?? basename(dir));
  const dependency = options.dependency ?? defaultDependency(dir);
  const tools = projectDevDependencies();
  const values: Record<string, string> = { name, stack: name, linkedDependency: dependency, typescriptVersion: tools.typescript, typesNodeVersion: tools['@types/node'] };
  const templates = join(packageInfo().root, 'templates', 'project');
  const files: string[] = [];
  for (const from of templateFiles(templates)) {
    const to = from
      .split('/')
      .map((part, i) => (i === 0 ? (RENAMED[part] ?? part) : part))
      .join('/');
    const text = readFileSync(join(templates, from), 'utf8').replace(/\{\{(name|stack|linkedDependency|typescriptVersion|typesNodeVersion)\}\}/g, (_, key: string) => values[key]!);
    mkdirSync(dirname(join(dir, to)), { recursive: true });
    writeFileSync(join(dir, to), text);
    files.push(to);
  }
  const local = localPath(dependency);
  const dependencyPath = local === undefined ? undefined : { path: resolve(dir, local), exists: existsSync(resolve(dir, local)) };
  return { dir, name, stack: name, dependency, ...(dependencyPath ? { dependencyPath } : {}), files: files.sort() };
}

/** The path of an npm spec that names a local folder or tarball, else undefined (a version, a git URL). */
function localPath(spec: string): string | undefined {
  const path = spec.startsWith('file:') ? spec.slice('file:'.length) : spec;
  return path !== spec || /^(\.{1,2}\/|\/)/.test(path) ? path : undefined;
}

function templateFiles(root: string, under = ''): string[] {
  return readdirSync(join(root, under), { withFileTypes: true }).flatMap((e) => {
    const path = under ? `${under}/${e.name}` : e.name;
    return e.isDirectory() ? templateFiles(root, path) : [path];
  });
}
