import type { Construct } from './cdktn.js';
import { LinkedResource } from './resource.js';
import type { Condition, ProfileScope } from './conditions.js';
import type { Schedule } from '../src/model/audience.js';

export interface AudienceProps {
  /** Resource key; default: the construct id. */
  readonly key?: string;
  /** Display name; default: the key. */
  readonly name?: string;
  readonly description?: string;
  /** New audiences are disabled until enabled (the product's default). */
  readonly enabled?: boolean;
  /** `Schedule.every('1h')` or `Schedule.cron('0 6 * * *')`; default every day. */
  readonly schedule?: Schedule;
  /** Who is in the audience: `all(trait('plan').equals('premium'), cards.where(...).atLeast(1))`. */
  readonly where: Condition<ProfileScope>;
  readonly preventDestroy?: boolean;
}

/** A linked audience: a condition over the Data Graph, computed in the warehouse on a schedule. */
export class Audience extends LinkedResource {
  constructor(
    scope: Construct,
    id: string,
    private readonly props: AudienceProps,
  ) {
    super(scope, id, 'audience', props.key ?? id);
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
  /** Resource key; default: the construct id. */
  readonly key?: string;
  readonly name?: string;
  /** The warehouse table of member profile ids. */
  readonly table: string;
  /** Its column holding the profile id. */
  readonly profileIdColumn: string;
  readonly preventDestroy?: boolean;
}

/** An audience computed elsewhere, for "part of a classic audience" conditions. */
export class ClassicAudience extends LinkedResource {
  constructor(
    scope: Construct,
    id: string,
    private readonly props: ClassicAudienceProps,
  ) {
    super(scope, id, 'classic_audience', props.key ?? id);
  }

  toModel(): Record<string, unknown> {
    return {
      key: this.key,
      name: this.props.name,
      table: this.props.table,
      profileIdColumn: this.props.profileIdColumn,
      preventDestroy: this.props.preventDestroy,
    };
  }
}
