import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { TerraformStack, type Construct, type IConstruct, type ISynthesisSession } from './cdktn.js';
import { ModelAttributes, type AllAttributes } from './attributes.js';
import { l1 } from './l1.js';
import type { StackMember, StackTest } from './member.js';
import { analyzeStack, type StackAnalysis } from './validation.js';
import type { Warehouse } from './warehouse.js';
import { providerAttributes, RESOURCE_ATTRIBUTES, encodeAttributes } from '../src/model/attributes.js';
import type { Condition } from '../src/model/condition.js';
import { membershipReferences } from '../src/model/condition-walk.js';
import type { Desired, ResourceKind } from '../src/model/desired.js';
import { TESTS_FILE } from '../src/model/audience-test.js';
import { LinkedError } from '../src/model/errors.js';
import type { WarehouseConfig } from '../src/model/warehouse.js';

export interface LinkedAudiencesStackProps {
  /** The warehouse the stack's audiences are computed in, e.g. `Warehouse.duckdb({ path: 'bank.duckdb' })`. */
  readonly warehouse: Warehouse;
}

/** Marks a stack; found by symbol so that two copies of this library still recognize each other's stacks. */
const STACK_SYMBOL = Symbol.for('linked-audiences.LinkedAudiencesStack');

function isLinkedAudiencesStack(c: IConstruct): c is LinkedAudiencesStack {
  return STACK_SYMBOL in c;
}

/**
 * One stack = one Desired model: a warehouse, one Data Graph, and the audiences, destinations and
 * event emitters over it. Synthesizes to cdktf.out/stacks/<id>/cdk.tf.json.
 */
export class LinkedAudiencesStack extends TerraformStack {
  /** The stack that holds `construct`; throws when there is none. */
  static override of(construct: IConstruct): LinkedAudiencesStack {
    for (let c: IConstruct | undefined = construct; c; c = c.node.scope) {
      if (isLinkedAudiencesStack(c)) return c;
    }
    throw new LinkedError('NO_STACK', `${construct.node.path}: linked-audiences constructs must be created inside a LinkedAudiencesStack`);
  }

  readonly warehouse: Warehouse;
  private readonly members: StackMember[] = [];
  private readonly audienceTests: StackTest[] = [];
  private analysis?: StackAnalysis;

  constructor(scope: Construct, id: string, props: LinkedAudiencesStackProps) {
    super(scope, id);
    Object.defineProperty(this, STACK_SYMBOL, { value: true });
    this.warehouse = props.warehouse;
    new l1.provider.LinkedaudiencesProvider(this, 'linkedaudiences', providerConfig(props.warehouse));
    this.node.addValidation({ validate: () => this._problemsOf(this) });
    // Tests are not Terraform: they are written beside cdk.tf.json, after it, by the same synth.
    const terraform = this.synthesizer;
    this.synthesizer = {
      synthesize: (session: ISynthesisSession) => {
        terraform.synthesize(session);
        this.writeTests(session);
      },
    };
  }

  /** @internal */
  _registerTest(test: StackTest): void {
    this.audienceTests.push(test);
  }

  /** The audience tests declared in this stack, in declaration order. */
  get tests(): readonly StackTest[] {
    return this.audienceTests;
  }

  /** @internal */
  _register(member: StackMember): void {
    this.members.push(member);
    this.analysis = undefined;
  }

  /** The resources declared in this stack, in declaration order. */
  get resources(): readonly StackMember[] {
    return this.members;
  }

  /** The model this stack declares, exactly as the loader will read it back; throws with every problem. */
  toDesired(): Desired {
    const analysis = this.analyze();
    if (analysis.desired && analysis.problems.size === 0) return analysis.desired;
    const lines = [...analysis.problems].flatMap(([c, msgs]) => msgs.map((m) => `[${c.node.path}] ${m}`));
    throw new LinkedError('INVALID_STACK', `The stack ${this.node.id} is invalid:\n  ${lines.join('\n  ')}`);
  }

  /** Before cdktn synthesizes: check once, then give each L1 resource its literal `depends_on`. */
  override prepareStack(): void {
    this.analysis = this.analyze();
    for (const member of this.members) {
      const model = this.analysis.models.get(member);
      const dependsOn = model ? this.dependenciesOf(member, model) : [];
      member.resource.dependsOn = dependsOn.length > 0 ? dependsOn : undefined;
    }
    super.prepareStack();
  }

  /** @internal the validation messages of one construct (cdktn prefixes them with its path) */
  _problemsOf(construct: IConstruct): string[] {
    const analysis = this.analysis ?? this.analyze();
    return analysis.problems.get(construct) ?? [];
  }

  /**
   * @internal a member's L1 attribute values: its parsed model (defaults applied), or its raw
   * input when it does not parse (validation then fails the synth).
   */
  _attributesOf(member: StackMember): Record<string, unknown> {
    const analysis = this.analysis ?? this.analyze();
    return encodeAttributes(RESOURCE_ATTRIBUTES[member.kind], analysis.models.get(member) ?? member.toModel());
  }

  /** Resources named by key in the parsed `model`, as literal Terraform addresses. */
  private dependenciesOf(member: StackMember, model: Record<string, unknown>): string[] {
    const find = (kind: ResourceKind, key: unknown) => this.members.find((m) => m.kind === kind && m.key === key);
    const deps: (StackMember | undefined)[] = [];
    if (member.kind !== 'data_graph') deps.push(...this.members.filter((m) => m.kind === 'data_graph'));
    if (member.kind === 'audience') {
      for (const ref of membershipReferences(model.condition as Condition)) {
        deps.push(find(ref.source === 'linked' ? 'audience' : 'classic_audience', ref.audience));
      }
    }
    if (member.kind === 'event_emitter') deps.push(find('audience', model.audience), find('destination', model.destination));
    const addresses = deps.filter((d): d is StackMember => d !== undefined && d !== member).map((d) => d.terraformAddress);
    return [...new Set(addresses)];
  }

  /** cdktf.out/stacks/<id>/linked-tests.json, when the stack declares tests. */
  private writeTests(session: ISynthesisSession): void {
    if (this.audienceTests.length === 0) return;
    const dir = join(session.outdir, session.manifest.forStack(this).workingDirectory);
    mkdirSync(dir, { recursive: true });
    const file = { version: 1, stack: this.node.id, tests: this.audienceTests.map((t) => t.toSpec()) };
    writeFileSync(join(dir, TESTS_FILE), JSON.stringify(file, null, 2) + '\n');
  }

  private analyze(): StackAnalysis {
    return analyzeStack(this, this.warehouse.config, this.members);
  }
}

/** The provider block: the warehouse configuration as written (the loader applies its defaults). */
function providerConfig(warehouse: Warehouse): AllAttributes<l1.provider.LinkedaudiencesProviderConfig> {
  const a = new ModelAttributes<z.input<typeof WarehouseConfig>>(() => encodeAttributes(providerAttributes(), warehouse.config));
  return {
    type: a.string('type'),
    path: a.string('path'),
    stateSchema: a.string('stateSchema'),
    account: a.string('account'),
    username: a.string('username'),
    database: a.string('database'),
    warehouse: a.string('warehouse'),
    role: a.string('role'),
    schema: a.string('schema'),
    auth: a.json('auth'),
    accessUrl: a.string('accessUrl'),
    loginTimeoutSeconds: a.number('loginTimeoutSeconds'),
    statementTimeoutSeconds: a.number('statementTimeoutSeconds'),
    queryTag: a.string('queryTag'),
  };
}
