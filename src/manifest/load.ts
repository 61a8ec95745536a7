import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkDesired } from '../model/checks.js';
import { Desired, PROVIDER_NAME, RESOURCE_KINDS, RESOURCE_SCHEMAS, terraformType, type ResourceKind } from '../model/desired.js';
import type { Diagnostic } from '../model/diagnostics.js';
import { LinkedError } from '../model/errors.js';
import { WarehouseConfig } from '../model/warehouse.js';
import { providerAttributes, RESOURCE_ATTRIBUTES, decodeAttributes, tfNameOf, type AttributeSpec } from '../model/attributes.js';
import { formatPath, parseWithProblems, type Problem } from '../model/problems.js';

/*
 * cdktf.out -> Desired: only literal values, only known linkedaudiences_* types,
 * every resource validated by its zod schema, then the static checks shared with the constructs.
 * Every problem names the Terraform address (and the construct path when cdktn recorded it).
 */

type Json = Record<string, unknown>;

/** The stacks of a synthesized app: name -> cdk.tf.json path. */
export function listStacks(outDir: string): Map<string, string> {
  const out = new Map<string, string>();
  const manifestPath = join(outDir, 'manifest.json');
  if (existsSync(manifestPath)) {
    const manifest = readJson(manifestPath) as { stacks?: Record<string, { name?: string; synthesizedStackPath?: string }> };
    for (const [id, s] of Object.entries(manifest.stacks ?? {})) {
      out.set(s.name ?? id, join(outDir, s.synthesizedStackPath ?? join('stacks', id, 'cdk.tf.json')));
    }
    return out;
  }
  const stacksDir = join(outDir, 'stacks');
  if (existsSync(stacksDir)) {
    for (const name of readdirSync(stacksDir).sort()) {
      const file = join(stacksDir, name, 'cdk.tf.json');
      if (existsSync(file)) out.set(name, file);
    }
  }
  return out;
}

/** Reads `<outDir>/stacks/<stack>/cdk.tf.json` into the validated model. `stack` may be omitted when there is one. */
export async function loadDesired(outDir = 'cdktf.out', stack?: string): Promise<Desired> {
  const { name, file } = chooseStack(outDir, stack);
  return desiredFromStackJson(readJson(file) as Json, name);
}

/**
 * Only the stack's name and its validated warehouse (the provider block), for commands that read
 * the state and never the declared resources (`linked status`): validating every resource and
 * running the static checks is most of what reading a manifest costs.
 */
export function loadStackWarehouse(outDir = 'cdktf.out', stack?: string): { stack: string; warehouse: WarehouseConfig } {
  const { name, file } = chooseStack(outDir, stack);
  const problems: string[] = [];
  const warehouse = loadWarehouse(readJson(file) as Json, problems);
  if (problems.length > 0) throw invalid(name, problems);
  return { stack: name, warehouse: warehouse as WarehouseConfig };
}

/** The stack to read: `stack`, or the only one; errors name the stacks there are. */
function chooseStack(outDir: string, stack: string | undefined): { name: string; file: string } {
  const dir = resolve(outDir);
  const stacks = listStacks(dir);
  if (stacks.size === 0) {
    throw new LinkedError('MANIFEST_MISSING', `No synthesized stacks in ${dir}: run "linked synth" in the project directory first (for the state of a \`linked run --git\` controller, give --dir its home).`);
  }
  let name = stack;
  if (name === undefined) {
    if (stacks.size > 1) {
      throw new LinkedError('STACK_AMBIGUOUS', `${dir} holds several stacks (${[...stacks.keys()].join(', ')}): choose one with --stack.`, { stacks: [...stacks.keys()] });
    }
    name = [...stacks.keys()][0]!;
  }
  const file = stacks.get(name);
  if (!file) throw new LinkedError('STACK_UNKNOWN', `No stack "${name}" in ${dir}; stacks: ${[...stacks.keys()].join(', ')}.`);
  return { name, file };
}

/**
 * Where each resource of a stack was declared: model address (`audience.overdue-cards`) ->
 * construct path (`bank/overdue-cards`), as cdktn recorded it. Empty when cdktf.out holds no such
 * stack or no metadata; only for messages, never for identity.
 */
export function constructPaths(outDir: string, stack: string): Map<string, string> {
  const out = new Map<string, string>();
  const file = listStacks(resolve(outDir)).get(stack);
  if (!file || !existsSync(file)) return out;
  for (const r of locateResources(readJson(file) as Json, [])) {
    const path = constructPathOf(r);
    const key = typeof r.block.key === 'string' ? r.block.key : r.name;
    if (path) out.set(`${r.kind}.${key}`, path);
  }
  return out;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new LinkedError('MANIFEST_UNREADABLE', `Cannot read ${file}: ${(e as Error).message}`);
  }
}

interface Located {
  kind: ResourceKind;
  /** Terraform resource name (the key, when the constructs wrote it). */
  name: string;
  block: Json;
}

/** One stack's Terraform JSON -> Desired; throws a LinkedError listing every problem. */
export function desiredFromStackJson(json: Json, stackName: string): Desired {
  const problems: string[] = [];
  const located = locateResources(json, problems);
  const warehouse = loadWarehouse(json, problems);

  const parsed: Partial<Record<ResourceKind, unknown[]>> = {};
  for (const r of located) {
    const address = addressOf(r);
    const specs = RESOURCE_ATTRIBUTES[r.kind];
    const tooLarge = oversize(r.block);
    if (tooLarge) {
      problems.push(`${address}: ${tooLarge}`);
      continue;
    }
    const expressions = findExpressions(r.block);
    if (expressions.length > 0) {
      expressions.forEach((e) => problems.push(`${address}: ${tfNameOf(specs, e.attribute)}: ${expressionMessage(e.text)}`));
      continue;
    }
    const decoded = decodeAttributes(specs, r.block);
    decoded.problems.forEach((p) => problems.push(`${address}: ${p.attribute}: ${p.message}`));
    if (decoded.problems.length > 0) continue;
    const result = parseWithProblems(RESOURCE_SCHEMAS[r.kind], unescapeLiterals(decoded.value));
    if (!result.ok) result.problems.forEach((p) => problems.push(`${address}: ${attributePath(specs, p)}: ${p.message}`));
    else (parsed[r.kind] ??= []).push(result.value);
  }
  const graphs = located.filter((r) => r.kind === 'data_graph');
  if (graphs.length !== 1) {
    problems.push(
      graphs.length === 0
        ? `No ${terraformType('data_graph')} resource: a stack declares one Data Graph.`
        : `A stack declares one Data Graph; found ${graphs.length}: ${graphs.map(addressOf).join(', ')}.`,
    );
  }
  if (problems.length > 0) throw invalid(stackName, problems);

  const desired = Desired.safeParse({
    stack: stackName,
    warehouse,
    graph: parsed.data_graph?.[0],
    classicAudiences: parsed.classic_audience ?? [],
    audiences: parsed.audience ?? [],
    destinations: parsed.destination ?? [],
    emitters: parsed.event_emitter ?? [],
  });
  if (!desired.success) {
    throw invalid(stackName, desired.error.issues.map((i) => `stack: ${formatPath(i.path as (string | number)[])}: ${i.message}`));
  }
  const diagnostics = checkDesired(desired.data).filter((d) => d.severity === 'error');
  if (diagnostics.length > 0) {
    throw invalid(stackName, diagnostics.map((d) => describeDiagnostic(d, located)), diagnostics);
  }
  return desired.data;
}

function invalid(stack: string, problems: string[], diagnostics?: Diagnostic[]): LinkedError {
  const n = problems.length;
  return new LinkedError('MANIFEST_INVALID', `The stack ${stack} has ${n} problem${n === 1 ? '' : 's'}:\n  ${problems.join('\n  ')}`, {
    stack,
    problems,
    ...(diagnostics ? { diagnostics } : {}),
  });
}

const KIND_BY_TYPE = new Map(RESOURCE_KINDS.map((k) => [terraformType(k), k]));
const OUR_PREFIX = `${PROVIDER_NAME}_`;

function locateResources(json: Json, problems: string[]): Located[] {
  const out: Located[] = [];
  const resources = (json.resource ?? {}) as Record<string, Record<string, Json>>;
  for (const [type, byName] of Object.entries(resources)) {
    // Other providers' resources (grants, buckets...) may share the app: not ours to read.
    if (!type.startsWith(OUR_PREFIX)) continue;
    const kind = KIND_BY_TYPE.get(type);
    if (!kind) {
      problems.push(`${type}: unknown resource type; ${PROVIDER_NAME} has ${[...KIND_BY_TYPE.keys()].join(', ')}.`);
      continue;
    }
    for (const [name, block] of Object.entries(byName)) out.push({ kind, name, block });
  }
  for (const type of Object.keys((json.data ?? {}) as Json)) {
    if (type.startsWith(OUR_PREFIX)) problems.push(`data.${type}: unknown data source; ${PROVIDER_NAME} has no data sources.`);
  }
  return out;
}

function constructPathOf(r: Located): string | undefined {
  const path = ((r.block['//'] as Json | undefined)?.metadata as Json | undefined)?.path;
  return typeof path === 'string' ? path.replace(/\/resource$/, '') : undefined;
}

function addressOf(r: Located): string {
  const constructPath = constructPathOf(r);
  return `${terraformType(r.kind)}.${r.name}${constructPath ? ` (${constructPath})` : ''}`;
}

/** The zod path with its first segment (a model field) written as the Terraform attribute. */
function attributePath(specs: readonly AttributeSpec[], p: Problem): string {
  if (p.path.length === 0) return '(resource)';
  const [head, ...rest] = p.path;
  return formatPath([typeof head === 'string' ? tfNameOf(specs, head) : head, ...rest]);
}

function loadWarehouse(json: Json, problems: string[]): unknown {
  const blocks = ((json.provider ?? {}) as Record<string, Json[] | Json>)[PROVIDER_NAME];
  const list = (Array.isArray(blocks) ? blocks : blocks ? [blocks] : []).filter((b) => b.alias === undefined);
  const where = `provider.${PROVIDER_NAME}`;
  if (list.length !== 1) {
    problems.push(
      list.length === 0
        ? `${where}: missing; the provider block holds the warehouse (LinkedAudiencesStack's warehouse).`
        : `${where}: ${list.length} blocks without alias; a stack has one warehouse.`,
    );
    return undefined;
  }
  const block = Object.fromEntries(Object.entries(list[0]).filter(([k]) => k !== 'alias'));
  const expressions = findExpressions(block);
  if (expressions.length > 0) {
    expressions.forEach((e) => problems.push(`${where}: ${e.attribute}: ${expressionMessage(e.text)}`));
    return undefined;
  }
  const decoded = decodeAttributes(providerAttributes(), block);
  decoded.problems.forEach((p) => problems.push(`${where}: ${p.attribute}: ${p.message}`));
  const result = parseWithProblems(WarehouseConfig, unescapeLiterals(decoded.value));
  if (!result.ok) {
    result.problems.forEach((p) => problems.push(`${where}: ${attributePath(providerAttributes(), p)}: ${p.message}`));
    return undefined;
  }
  return result.value;
}

/** A Terraform interpolation: `${` not written as the escape `$${`. */
const EXPRESSION = /(?<!\$)\$\{[^}]*\}?/;
/** Terraform's escape for a literal `${`. */
const ESCAPED_EXPRESSION = /\$\$\{/g;

/** `${...}` anywhere in a block's values (JSON-encoded attributes included, as raw strings). */
function findExpressions(block: Json): { attribute: string; text: string }[] {
  const out: { attribute: string; text: string }[] = [];
  const visit = (attribute: string, v: unknown): void => {
    if (typeof v === 'string') {
      const m = EXPRESSION.exec(v);
      if (m) out.push({ attribute, text: m[0] });
    } else if (Array.isArray(v)) v.forEach((x) => visit(attribute, x));
    else if (v && typeof v === 'object') Object.values(v).forEach((x) => visit(attribute, x));
  };
  for (const [attribute, v] of Object.entries(block)) if (attribute !== '//') visit(attribute, v);
  return out;
}

function expressionMessage(text: string): string {
  const shown = text.length > 60 ? `${text.slice(0, 57)}...` : text;
  return `holds the Terraform expression ${shown}; linked-audiences reads literal values only: pass keys and values, not references (e.g. an Audience construct, not audience.key tokens); for a literal "\${" write "$\${", as in Terraform`;
}

/** Every string of a decoded value with Terraform's `$${` escape turned back into the literal `${`. */
function unescapeLiterals<T>(v: T): T {
  if (typeof v === 'string') return v.replace(ESCAPED_EXPRESSION, '${') as T;
  if (Array.isArray(v)) return v.map(unescapeLiterals) as T;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unescapeLiterals(x)])) as T;
  return v;
}

/** The largest a resource may be once synthesized: beyond it, plans and the state grow with every copy. */
export const MAX_RESOURCE_BYTES = 1024 * 1024;

/** A resource past MAX_RESOURCE_BYTES, with its size, or undefined. */
function oversize(block: Json): string | undefined {
  const bytes = Buffer.byteLength(JSON.stringify(block), 'utf8');
  if (bytes <= MAX_RESOURCE_BYTES) return undefined;
  return `is ${(bytes / 1024 / 1024).toFixed(1)} MiB once synthesized; a resource may be at most ${MAX_RESOURCE_BYTES / 1024 / 1024} MiB: keep long lists of values in a warehouse table (a classic audience, an entity or a trait) and refer to it in the condition`;
}

/** A static-check diagnostic, addressed like the other problems, with its hint as the constructs show it at synth. */
function describeDiagnostic(d: Diagnostic, located: Located[]): string {
  const [kind, ...rest] = (d.resource ?? '').split('.');
  const key = rest.join('.');
  const r = located.find((x) => x.kind === kind && (x.block.key === key || (x.kind === 'data_graph' && x.block.key === undefined)));
  const where = r ? addressOf(r) : (d.resource ?? 'stack');
  return `${where}: ${d.message}${d.attribute ? ` (at ${d.attribute})` : ''}${d.hint ? ` ${d.hint}` : ''}`;
}
