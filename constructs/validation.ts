import type { z } from 'zod';
import { Construct, type IConstruct } from './cdktn.js';
import type { StackMember } from './member.js';
import { checkDesired } from '../src/model/checks.js';
import { Slug } from '../src/model/common.js';
import { Desired, RESOURCE_SCHEMAS, type ResourceKind } from '../src/model/desired.js';
import type { Diagnostic } from '../src/model/diagnostics.js';
import { formatPath, parseWithProblems } from '../src/model/problems.js';
import { WarehouseConfig } from '../src/model/warehouse.js';

/** The result of checking a stack. */
export interface StackAnalysis {
  /** The model, when every resource parses (there may still be problems from the static checks). */
  desired?: Desired;
  /** Each resource's parsed model (zod output, defaults applied), for those that parse. */
  models: Map<StackMember, Record<string, unknown>>;
  /** Validation messages by construct. */
  problems: Map<IConstruct, string[]>;
}

class Problems {
  readonly byConstruct = new Map<IConstruct, string[]>();
  add(c: IConstruct, message: string): void {
    this.byConstruct.set(c, [...(this.byConstruct.get(c) ?? []), message]);
  }
}

/**
 * Checks a stack in two phases: each resource against its schema, then (when all parse and
 * there is one Data Graph) the static checks shared with the manifest loader.
 */
export function analyzeStack(stack: IConstruct, warehouseInput: z.input<typeof WarehouseConfig>, members: readonly StackMember[]): StackAnalysis {
  const problems = new Problems();
  if (!Slug.safeParse(stack.node.id).success) {
    problems.add(stack, `The stack id "${stack.node.id}" must be a slug (lowercase letters, digits, "-" or "_", starting with a letter): it names the stack in cdktf.out and in the state`);
  }
  const warehouse = parseWithProblems(WarehouseConfig, warehouseInput);
  if (!warehouse.ok) warehouse.problems.forEach((p) => problems.add(stack, `warehouse.${formatPath(p.path)}: ${p.message}`));

  const models = new Map<StackMember, Record<string, unknown>>();
  let schemaErrors = !warehouse.ok;
  for (const member of members) {
    const foreign = foreignReferences(stack, member.references());
    foreign.forEach((p) => problems.add(member, p));
    // The checks across resources would resolve such a key among this stack's resources.
    if (foreign.length > 0) schemaErrors = true;
    const r = parseWithProblems(RESOURCE_SCHEMAS[member.kind], member.toModel());
    if (r.ok) models.set(member, r.value);
    else {
      schemaErrors = true;
      r.problems.forEach((p) => problems.add(member, `${formatPath(p.path)}: ${p.message}${formatPath(p.path) === 'key' ? keyFromIdHint(member) : ''}`));
    }
  }
  const graphs = members.filter((m) => m.kind === 'data_graph');
  if (graphs.length !== 1) {
    problems.add(stack, graphs.length === 0 ? 'A LinkedAudiencesStack needs one DataGraph' : `A LinkedAudiencesStack has one DataGraph; found ${graphs.length}: ${graphs.map((g) => g.node.path).join(', ')}`);
    schemaErrors = true;
  }
  if (schemaErrors || !warehouse.ok) return { models, problems: problems.byConstruct };

  const desired = desiredOf(stack.node.id, warehouse.value, members, models);
  reportStaticChecks(stack, members, checkDesired(desired), problems);
  return { desired, models, problems: problems.byConstruct };
}

/**
 * The fix for a key that is not a slug because it came from the construct id: aws-cdk ids are
 * often PascalCase (`OverdueCards`), which no key may be.
 */
function keyFromIdHint(member: StackMember): string {
  if (member.key !== member.node.id) return '';
  const slug = member.node.id
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[^a-z]+|-+$/g, '')
    .slice(0, 63);
  const key = Slug.safeParse(slug).success ? `key: '${slug}'` : 'a key';
  return `. The key defaults to the construct id "${member.node.id}": pass ${key}, or make the id a slug`;
}

/**
 * A problem for each construct of `refs` declared outside `stack`. The model names resources by
 * key and relationships by slug, resolved among the stack's own, so another stack's audience
 * would stand for this stack's namesake (or for nothing) without a word.
 */
export function foreignReferences(stack: IConstruct, refs: readonly object[]): string[] {
  const foreign = new Set<string>();
  for (const ref of refs) {
    const [what, declaredBy] = declaration(ref);
    if (declaredBy && !declaredBy.node.scopes.includes(stack)) foreign.add(what);
  }
  return [...foreign].map(
    (what) =>
      `uses ${what}, which another stack declares: a stack resolves the keys and slugs it uses among its own resources only. ` +
      `Declare it in stack ${stack.node.id} as well (a function that builds one stack's resources can build each stack's) and use that one`,
  );
}

/**
 * How a problem names a reference, and the construct that declares it (none for a plain key). A
 * handle of the Data Graph (a relationship, a trait, an entity) carries the graph that made it.
 */
function declaration(ref: object): [string, IConstruct | undefined] {
  if (Construct.isConstruct(ref)) return [ref.node.path, ref];
  const { graph, slug, path, trait, entity } = ref as { graph?: unknown; slug?: string; path?: string[]; trait?: unknown; entity?: unknown };
  if (!Construct.isConstruct(graph)) return ['', undefined];
  // A relationship handle has an `entity` too: the EntityRef it joins, not a slug.
  const what = typeof trait === 'string' ? `the trait ${trait}` : typeof entity === 'string' ? `the entity ${entity}` : `the relationship ${slug ?? path?.at(-1)}`;
  return [`${what} of ${graph.node.path}`, graph];
}

function desiredOf(stack: string, warehouse: WarehouseConfig, members: readonly StackMember[], models: Map<StackMember, Record<string, unknown>>): Desired {
  const of = (kind: ResourceKind) => members.filter((m) => m.kind === kind).map((m) => models.get(m));
  return Desired.parse({
    stack,
    warehouse,
    graph: of('data_graph')[0],
    classicAudiences: of('classic_audience'),
    audiences: of('audience'),
    destinations: of('destination'),
    emitters: of('event_emitter'),
  });
}

/** Each finding on the construct of the resource it names (else on the stack). */
function reportStaticChecks(stack: IConstruct, members: readonly StackMember[], diagnostics: Diagnostic[], problems: Problems): void {
  const seen = new Map<string, number>();
  for (const d of diagnostics) {
    const owners = members.filter((m) => m.address === d.resource);
    // A duplicate key is reported on the second (third...) construct that reuses it.
    let owner: IConstruct = owners[0] ?? stack;
    if (d.code === 'DUPLICATE_KEY' && d.resource) {
      const n = (seen.get(d.resource) ?? 0) + 1;
      seen.set(d.resource, n);
      owner = owners[n] ?? owner;
    }
    const hint = d.hint ? ` ${d.hint}` : '';
    problems.add(owner, `${d.attribute ? `${d.message} (at ${d.attribute})` : d.message}${hint}`);
  }
}
