import type { Construct } from './cdktn.js';
import type { Condition, ProfileScope } from './conditions.js';
import { l1 } from './l1.js';
import { LinkedResource } from './resource.js';
import type { Schedule } from '../src/model/audience.js';

export interface AudienceProps {
  /**
   * The resource key: immutable, names the audience in the plan and the state.
   * @default - the construct id
   */
  readonly key?: string;
  /**
   * Display name.
   * @default - the key
   */
  readonly name?: string;
  /**
   * What the audience is for.
   * @default ''
   */
  readonly description?: string;
  /**
   * Whether the audience computes on its schedule. New audiences are disabled until enabled.
   * @default false
   */
  readonly enabled?: boolean;
  /**
   * When the audience computes (UTC): `Schedule.every('1h')` or `Schedule.cron('0 6 * * *')`.
   * @default Schedule.every('1d')
   */
  readonly schedule?: Schedule;
  /** Who is in the audience: `all(trait('plan').equals('premium'), cards.where(...).atLeast(1))`. */
  readonly where: Condition<ProfileScope>;
  /**
   * Refuse a plan that deletes or replaces the audience.
   * @default false
   */
  readonly preventDestroy?: boolean;
}

/** A linked audience: a condition over the Data Graph, computed in the warehouse on a schedule. */
export class Audience extends LinkedResource<'audience'> {
  readonly resource: l1.audience.Audience;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: AudienceProps,
  ) {
    super(scope, id, 'audience', props.key ?? id);
    this.resource = this.createL1(l1.audience.Audience);
  }

  override references(): readonly object[] {
    const refs: object[] = [];
    this.props.where.toModel({ relationship: null, refer: (target) => refs.push(target) });
    return refs;
  }

  toModel(): Record<string, unknown> {
    return {
      key: this.key,
      name: this.props.name ?? this.key,
      description: this.props.description,
      enabled: this.props.enabled,
      schedule: this.props.schedule,
      condition: this.props.where.toModel(),
      preventDestroy: this.props.preventDestroy,
    };
  }
}

export interface ClassicAudienceProps {
  /**
   * The resource key: immutable, names the audience in "part of" conditions, the plan and the state.
   * @default - the construct id
   */
  readonly key?: string;
  /**
   * Display name.
   * @default - the key
   */
  readonly name?: string;
  /** The warehouse table of member profile ids. */
  readonly table: string;
  /** Its column holding the profile id. */
  readonly profileIdColumn: string;
  /**
   * Refuse a plan that deletes or replaces the audience.
   * @default false
   */
  readonly preventDestroy?: boolean;
}

/** An audience computed elsewhere, for "part of a classic audience" conditions. */
export class ClassicAudience extends LinkedResource<'classic_audience'> {
  readonly resource: l1.classicAudience.ClassicAudience;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: ClassicAudienceProps,
  ) {
    super(scope, id, 'classic_audience', props.key ?? id);
    this.resource = this.createL1(l1.classicAudience.ClassicAudience);
  }

  toModel(): Record<string, unknown> {
    return {
      key: this.key,
      name: this.props.name ?? this.key,
      table: this.props.table,
      profileIdColumn: this.props.profileIdColumn,
      preventDestroy: this.props.preventDestroy,
    };
  }
}
