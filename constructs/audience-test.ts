import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Construct } from './cdktn.js';
import { keyOf, type AudienceRef, type RelationshipPath } from './emitter.js';
import { LinkedAudiencesStack } from './stack.js';
import { foreignReferences } from './validation.js';
import { AudienceTestSpec, type FixtureRow, type FixtureType, type SourceLocation } from '../src/model/audience-test.js';
import { formatPath, parseWithProblems } from '../src/model/problems.js';

export type { FixtureRow, FixtureType };

/** The entities an audience should match along one relationship, per member. */
export interface EntityMatchesExpectation {
  /** The relationship of the entity trigger: `cards` (from `accounts.relate('cards', ...)`). */
  readonly relationship: RelationshipPath;
  /** Profile id → the entity ids that should match for it; every other pair must not. */
  readonly matches: Record<string, string[]>;
}

export interface AudienceTestExpectation {
  /**
   * The exact members: every other profile of the fixtures must be out.
   * @default - not checked
   */
  readonly members?: string[];
  /**
   * Profiles that must be members (others may be too).
   * @default []
   */
  readonly includes?: string[];
  /**
   * Profiles that must not be members.
   * @default []
   */
  readonly excludes?: string[];
  /**
   * The exact entity matches along relationships: what an entity trigger on that relationship would see.
   * @default []
   */
  readonly entityMatches?: EntityMatchesExpectation[];
}

export interface AudienceTestProps {
  /**
   * The test's name in reports; unique in the stack.
   * @default - the construct id
   */
  readonly name?: string;
  /** The audience under test: an Audience construct, or its key. */
  readonly audience: AudienceRef;
  /**
   * The reference time: relative windows ("within the last 30 days") count from it. Set it
   * whenever the audience uses one, or the test depends on the day it runs.
   * @default - the moment `linked test` runs
   */
  readonly now?: string | Date;
  /**
   * Rows of the profile table.
   * @default []
   */
  readonly profiles?: FixtureRow[];
  /**
   * Rows of the events table; `properties` as an object.
   * @default []
   */
  readonly events?: FixtureRow[];
  /**
   * Rows of entity tables, by entity slug: `{ account: [{ account_id: 'a1', user_id: 'u1' }] }`.
   * @default {}
   */
  readonly entities?: Record<string, FixtureRow[]>;
  /**
   * Rows of junction tables, by the slug of their many-to-many relationship.
   * @default {}
   */
  readonly junctions?: Record<string, FixtureRow[]>;
  /**
   * Rows of classic audiences' tables, by audience key.
   * @default {}
   */
  readonly classicAudiences?: Record<string, FixtureRow[]>;
  /**
   * Column types the rows cannot tell, by table as the graph names it:
   * `{ 'main.profiles': { credit_score: 'BIGINT' } }` for a column every row leaves null.
   * @default - read from the rows (text, whole number, number, boolean, ISO date or timestamp, object as JSON); VARCHAR when all are null
   */
  readonly types?: Record<string, Record<string, FixtureType>>;
  /** What the audience should select from the fixtures. */
  readonly expect: AudienceTestExpectation;
}

/**
 * A unit test of an audience: fixture rows in, expected members (and entity matches) out.
 * Declared beside the audience, written to cdktf.out at synth, run by `linked test` on an
 * in-memory DuckDB with the real compiler. Not a resource: plan and apply ignore it.
 */
export class AudienceTest extends Construct {
  readonly stack: LinkedAudiencesStack;
  /** Where the test was declared (the file and line that created it), when the stack trace tells. */
  readonly source?: SourceLocation;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: AudienceTestProps,
  ) {
    super(scope, id);
    this.source = callerLocation();
    this.stack = LinkedAudiencesStack.of(this);
    this.stack._registerTest(this);
    this.node.addValidation({ validate: () => this.problems() });
  }

  get name(): string {
    return this.props.name ?? this.node.id;
  }

  /** The test as linked-tests.json holds it (the model's input shape). */
  toSpec(): Record<string, unknown> {
    const p = this.props;
    const now = p.now instanceof Date ? p.now.toISOString() : p.now;
    return {
      name: this.name,
      audience: keyOf(p.audience),
      now,
      fixtures: {
        profiles: p.profiles,
        events: p.events,
        entities: p.entities,
        junctions: p.junctions,
        classicAudiences: p.classicAudiences,
      },
      types: p.types,
      expect: {
        members: p.expect.members,
        includes: p.expect.includes,
        excludes: p.expect.excludes,
        entityMatches: p.expect.entityMatches?.map((e) => ({ path: e.relationship.path, matches: e.matches })),
      },
      source: this.source,
    };
  }

  private problems(): string[] {
    const parsed = parseWithProblems(AudienceTestSpec, this.toSpec());
    const out = parsed.ok ? [] : parsed.problems.map((p) => `${formatPath(p.path)}: ${p.message}`);
    const handles = (this.props.expect.entityMatches ?? []).map((e) => e.relationship);
    out.push(...foreignReferences(this.stack, [...(typeof this.props.audience === 'string' ? [] : [this.props.audience]), ...handles]));
    const audience = keyOf(this.props.audience);
    const audiences = this.stack.resources.filter((r) => r.kind === 'audience').map((r) => r.key);
    if (!audiences.includes(audience)) out.push(`audience: no audience "${audience}" in the stack; audiences: ${audiences.join(', ') || '(none)'}`);
    const twins = this.stack.tests.filter((t) => t.name === this.name);
    if (twins.length > 1 && twins[0] !== this) out.push(`name: another test of the stack is named "${this.name}": test names are unique in a stack`);
    return out;
  }
}

/** The first frame of the stack outside this library: the user's `new AudienceTest(...)`. */
function callerLocation(): SourceLocation | undefined {
  const here = fileURLToPath(new URL('.', import.meta.url));
  for (const line of (new Error().stack ?? '').split('\n').slice(1)) {
    const m = /\(?((?:file:\/\/)?[^()\s]+):(\d+):\d+\)?\s*$/.exec(line.trim());
    if (!m) continue;
    const file = m[1].startsWith('file://') ? fileURLToPath(m[1]) : m[1];
    if (file.startsWith(here) || file.startsWith('node:') || file.includes('/node_modules/')) continue;
    return { file: relative(process.cwd(), file) || file, line: Number(m[2]) };
  }
  return undefined;
}
