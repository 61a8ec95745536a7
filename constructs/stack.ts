import type { z } from 'zod';
import { TerraformStack, type Construct, type IConstruct } from './cdktn.js';
import { l1 } from './l1.js';
import type { LinkedResource } from './resource.js';
import { PROVIDER_ATTRIBUTES, encodeAttributes } from '../src/model/attributes.js';
import { formatPath, parseWithProblems } from '../src/model/problems.js';
import { Slug, type SecretRef } from '../src/model/common.js';
import { Desired, RESOURCE_SCHEMAS, type ResourceKind } from '../src/model/desired.js';
import type { Diagnostic } from '../src/model/diagnostics.js';
import { LinkedError } from '../src/model/errors.js';
import { WarehouseConfig, type DuckDbWarehouse, type SnowflakeWarehouse } from '../src/model/warehouse.js';
import { checkDesired } from '../src/model/checks.js';
import { membershipReferences } from '../src/model/condition-references.js';
import type { Condition } from '../src/model/condition.js';

// ---- warehouse -------------------------------------------------------------------------------

type DuckDbInput = Omit<z.input<typeof DuckDbWarehouse>, 'type'>;
type SnowflakeInput = Omit<z.input<typeof SnowflakeWarehouse>, 'type'>;
type SnowflakeAuthInput = SnowflakeInput['auth'];

/** Where audiences are computed and state is kept: the `linkedaudiences` provider block. */
export class Warehouse {
  private constructor(
    /** The warehouse configuration as the model's input. */
    readonly config: z.input<typeof WarehouseConfig>,
  ) {}

  /** A DuckDB file (relative to the project directory) or ':memory:'. The embedded default. */
  static duckdb(props: DuckDbInput): Warehouse {
    return new Warehouse({ type: 'duckdb', ...props });
  }

  /** Snowflake, with key-pair or password auth by secret reference (see `SnowflakeAuth`). */
  static snowflake(props: SnowflakeInput): Warehouse {
    return new Warehouse({ type: 'snowflake', ...props });
  }
}

/** Snowflake authentication: secrets by reference only (DESIGN D9). */
export const SnowflakeAuth = {
  keyPair(privateKey: SecretRef, passphrase?: SecretRef): SnowflakeAuthInput {
    return passphrase ? { type: 'keypair', privateKey, passphrase } : { type: 'keypair', privateKey };
  },
  password(password: SecretRef): SnowflakeAuthInput {
    return { type: 'password', password };
  },
};

// ---- stack -----------------------------------------------------------------------------------

export interface LinkedAudiencesStackProps {
  /** The warehouse the stack's audiences are computed in, e.g. `Warehouse.duckdb({ path: 'bank.duckdb' })`. */
  readonly warehouse: Warehouse;
}

/** The result of checking a stack: the model when it is valid, and every problem by construct. */
interface Analysis {
  desired?: Desired;
  problems: Map<IConstruct, string[]>;
}

const STACK_SYMBOL = Symbol.for('linked-audiences.LinkedAudiencesStack');

/**
 * One stack = one Desired model: a warehouse, one Data Graph, and the audiences, destinations and
 * event emitters over it. Synthesizes to cdktf.out/stacks/<id>/cdk.tf.json.
 */
export class LinkedAudiencesStack extends TerraformStack {
  /** The stack that holds `construct`; throws when there is none. */
  static override of(construct: IConstruct): LinkedAudiencesStack {
    for (let c: IConstruct | undefined = construct; c; c = c.node.scope) {
      if ((c as unknown as Record<symbol, unknown>)[STACK_SYMBOL]) return c as LinkedAudiencesStack;
    }
    throw new LinkedError('NO_STACK', `${construct.node.path}: linked-audiences constructs must be created inside a LinkedAudiencesStack`);
  }

  readonly warehouse: Warehouse;
  private readonly members: LinkedResource[] = [];
  private analysis?: Analysis;

  constructor(scope: Construct, id: string, props: LinkedAudiencesStackProps) {
    super(scope, id);
    Object.defineProperty(this, STACK_SYMBOL, { value: true });
    this.warehouse = props.warehouse;
    new l1.provider.LinkedaudiencesProvider(
      this,
      'linkedaudiences',
      encodeAttributes(PROVIDER_ATTRIBUTES, props.warehouse.config) as unknown as l1.provider.LinkedaudiencesProviderConfig,
    );
    this.node.addValidation({ validate: () => this._problemsOf(this) });
  }

  /** @internal */
  _register(member: LinkedResource): void {
    this.members.push(member);
    this.analysis = undefined;
  }

  /** The resources declared in this stack, in declaration order. */
  get resources(): readonly LinkedResource[] {
    return this.members;
  }

  /** The model this stack declares, exactly as the loader will read it back; throws with every problem. */
  toDesired(): Desired {
    const analysis = this.analyze();
    if (analysis.desired && analysis.problems.size === 0) return analysis.desired;
    const lines = [...analysis.problems].flatMap(([c, msgs]) => msgs.map((m) => `[${c.node.path}] ${m}`));
    throw new LinkedError('INVALID_STACK', `The stack ${this.node.id} is invalid:\n  ${lines.join('\n  ')}`);
  }

  /**
   * Before cdktn synthesizes: check once, then write every L1 resource from the parsed model (or
   * the raw input when it does not parse; validation fails the synth right after).
   */
  override prepareStack(): void {
    this.analysis = this.analyze();
    const parsed = new Map(this.parsedResources().map((r) => [r.member, r.value]));
    for (const member of this.members) {
      const model = parsed.get(member);
      if (model) member._materialize(model, this.dependenciesOf(member, model));
      else member._materialize(member.toModel(), []);
    }
    super.prepareStack();
  }

  /** @internal the validation messages of one construct (cdktn prefixes them with its path) */
  _problemsOf(construct: IConstruct): string[] {
    const analysis = this.analysis ?? this.analyze();
    return analysis.problems.get(construct) ?? [];
  }

  private parsedResources(): { member: LinkedResource; value: Record<string, unknown> }[] {
    const out: { member: LinkedResource; value: Record<string, unknown> }[] = [];
    for (const member of this.members) {
      const r = parseWithProblems(RESOURCE_SCHEMAS[member.kind], member.toModel());
      if (r.ok) out.push({ member, value: r.value as Record<string, unknown> });
    }
    return out;
  }

  /** Resources named by key in the parsed `model`, as literal Terraform addresses. */
  private dependenciesOf(member: LinkedResource, model: Record<string, unknown>): string[] {
    const find = (kind: ResourceKind, key: unknown) => this.members.find((m) => m.kind === kind && m.key === key);
    const deps: (LinkedResource | undefined)[] = [];
    if (member.kind !== 'data_graph') deps.push(...this.members.filter((m) => m.kind === 'data_graph'));
    if (member.kind === 'audience') {
      for (const ref of membershipReferences(model.condition as Condition)) {
        deps.push(find(ref.source === 'linked' ? 'audience' : 'classic_audience', ref.audience));
      }
    }
    if (member.kind === 'event_emitter') deps.push(find('audience', model.audience), find('destination', model.destination));
    const addresses = deps.filter((d): d is LinkedResource => d !== undefined && d !== member).map((d) => d.terraformAddress);
    return [...new Set(addresses)];
  }

  private analyze(): Analysis {
    const problems = new Map<IConstruct, string[]>();
    const add = (c: IConstruct, msg: string) => problems.set(c, [...(problems.get(c) ?? []), msg]);

    if (!Slug.safeParse(this.node.id).success) {
      add(this, `The stack id "${this.node.id}" must be a slug (lowercase letters, digits, "-" or "_", starting with a letter): it names the stack in cdktf.out and in the state`);
    }
    const warehouse = parseWithProblems(WarehouseConfig, this.warehouse.config);
    if (!warehouse.ok) warehouse.problems.forEach((p) => add(this, `warehouse.${formatPath(p.path)}: ${p.message}`));

    // Phase 1: each resource against its schema. Cross-resource checks need every resource parsed.
    const parsed: Partial<Record<ResourceKind, unknown[]>> = {};
    let schemaErrors = !warehouse.ok;
    for (const member of this.members) {
      const r = parseWithProblems(RESOURCE_SCHEMAS[member.kind], member.toModel());
      if (r.ok) (parsed[member.kind] ??= []).push(r.value);
      else {
        schemaErrors = true;
        r.problems.forEach((p) => add(member, `${formatPath(p.path)}: ${p.message}`));
      }
    }
    const graphs = this.members.filter((m) => m.kind === 'data_graph');
    if (graphs.length !== 1) {
      add(this, graphs.length === 0 ? 'A LinkedAudiencesStack needs one DataGraph' : `A LinkedAudiencesStack has one DataGraph; found ${graphs.length}: ${graphs.map((g) => g.node.path).join(', ')}`);
      schemaErrors = true;
    }
    if (schemaErrors || !warehouse.ok) return { problems };

    // Phase 2: the static checks shared with the manifest loader.
    const desired = Desired.parse({
      stack: this.node.id,
      warehouse: warehouse.value,
      graph: parsed.data_graph?.[0],
      classicAudiences: parsed.classic_audience ?? [],
      audiences: parsed.audience ?? [],
      destinations: parsed.destination ?? [],
      emitters: parsed.event_emitter ?? [],
    });
    const seen = new Map<string, number>();
    for (const d of checkDesired(desired)) {
      const owners = this.members.filter((m) => m.address === d.resource);
      // A duplicate key is reported on the second (third...) construct that reuses it.
      let owner: IConstruct = owners[0] ?? this;
      if (d.code === 'DUPLICATE_KEY' && d.resource) {
        const n = (seen.get(d.resource) ?? 0) + 1;
        seen.set(d.resource, n);
        owner = owners[n] ?? owner;
      }
      add(owner, describe(d));
    }
    return { desired, problems };
  }
}

function describe(d: Diagnostic): string {
  return d.attribute ? `${d.message} (at ${d.attribute})` : d.message;
}

