import type { Construct } from './cdktn.js';
import type { RelationshipLike } from './conditions.js';
import { l1 } from './l1.js';
import { LinkedResource } from './resource.js';
import type { Trigger as TriggerName } from '../src/model/emitter.js';

/** What makes an emitter send: a trigger, and for entity triggers the relationship path of the entity. */
export interface TriggerSpec {
  readonly trigger: TriggerName;
  /**
   * For entity triggers: relationship slugs from the profile down to the entity.
   * @default - none (profile triggers)
   */
  readonly entityPath?: string[];
  /**
   * For entity triggers: the relationship handle the path came from, for the stack to refuse
   * another stack's.
   * @default - none (profile triggers)
   */
  readonly handle?: RelationshipPath;
}

/** A relationship handle from the Data Graph (`accounts.relate('cards', ...)` returns one). */
export interface RelationshipPath {
  readonly path: string[];
  /**
   * The Data Graph construct that declares it, for the stack to refuse another stack's.
   * @default - unknown: not checked
   */
  readonly graph?: object;
}

export const Trigger = {
  /** A profile entered the audience. */
  audienceEntered: (): TriggerSpec => ({ trigger: 'audience_entered' }),
  /** A profile left the audience. */
  audienceExited: (): TriggerSpec => ({ trigger: 'audience_exited' }),
  /** An Identify with the membership as a trait, on enter and exit. */
  membershipChanged: (): TriggerSpec => ({ trigger: 'audience_membership_changed' }),
  /** An entity matching the audience's conditions appeared for a member: `Trigger.entityAdded(cards)`. */
  entityAdded: (relationship: RelationshipPath): TriggerSpec => ({ trigger: 'entity_added', entityPath: relationship.path, handle: relationship }),
  /** An entity stopped matching for a member. */
  entityRemoved: (relationship: RelationshipPath): TriggerSpec => ({ trigger: 'entity_removed', entityPath: relationship.path, handle: relationship }),
};

/** An Audience construct, or the key of an audience declared elsewhere in the same stack. */
export type AudienceRef = { readonly key: string; readonly kind: 'audience' } | string;
/** A Destination construct, or the key of a destination declared elsewhere in the same stack. */
export type DestinationRef = { readonly key: string; readonly kind: 'destination' } | string;
/** The key a reference names. */
export const keyOf = (ref: AudienceRef | DestinationRef) => (typeof ref === 'string' ? ref : ref.key);

export interface EnrichmentProps {
  /**
   * Profile traits added to each event.
   * @default []
   */
  readonly traits?: string[];
  /**
   * Entity columns added to each event, per relationship: `cards.columns('balance', 'due_date')`;
   * for a many-to-many relationship, also columns of the junction row that links each entity row
   * to its parent: `products.junctionColumns('quantity', 'unit_price')`.
   * @default []
   */
  readonly entities?: EnrichedEntity[];
}

/** What `rel.columns(...)` and `rel.junctionColumns(...)` return: the columns one relationship adds to events. */
export interface EnrichedEntity {
  readonly relationship: string;
  /**
   * Columns of the entity (its primary key is always sent).
   * @default []
   */
  readonly columns?: string[];
  /**
   * Columns of the junction row of a many-to-many relationship (its primary key is always sent).
   * @default - none
   */
  readonly junctionColumns?: string[];
  /**
   * The relationship handle that made it (`rel.columns(...)`), for the stack to refuse another
   * stack's; not part of the model.
   * @default - unknown: not checked
   */
  readonly handle?: RelationshipLike;
}

export interface EventEmitterProps {
  /**
   * The resource key: immutable, names the emitter in the plan and the state.
   * @default - the construct id
   */
  readonly key?: string;
  /** The audience whose changes are sent: an `Audience` (not a `ClassicAudience`), or its key. */
  readonly audience: AudienceRef;
  /** Where the events go: a `Destination`, or its key. */
  readonly destination: DestinationRef;
  /** `Trigger.audienceEntered()`, `Trigger.entityAdded(cards)`... */
  readonly trigger: TriggerSpec;
  /**
   * The destination action to run, e.g. `trackEvent`.
   * @default - the destination's preset for the trigger
   */
  readonly action?: string;
  /**
   * Segment mapping-kit JSON.
   * @default - the destination's preset
   */
  readonly mapping?: Record<string, unknown>;
  /**
   * The event name.
   * @default - the trigger's name: "Audience Entered", "Audience Exited", ...
   */
  readonly eventName?: string;
  /**
   * Profile traits, entity columns (`cards.columns('balance')`) and junction columns
   * (`products.junctionColumns('quantity')`) added to each event.
   * @default - no enrichment
   */
  readonly enrich?: EnrichmentProps;
  /**
   * Also send for profiles and entities already in the audience when the emitter is created.
   * @default false
   */
  readonly sendForCurrent?: boolean;
  /**
   * Refuse a plan that deletes or replaces the emitter.
   * @default false
   */
  readonly preventDestroy?: boolean;
}

/** Sends an audience's changes (entered, exited, entity added/removed, membership) to a destination. */
export class EventEmitter extends LinkedResource<'event_emitter'> {
  readonly resource: l1.eventEmitter.EventEmitter;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: EventEmitterProps,
  ) {
    super(scope, id, 'event_emitter', props.key ?? id);
    this.resource = this.createL1(l1.eventEmitter.EventEmitter);
  }

  override references(): readonly object[] {
    const handles = [this.props.trigger.handle, ...(this.props.enrich?.entities ?? []).map((e) => e.handle)];
    return [this.props.audience, this.props.destination, ...handles].filter((ref) => ref !== undefined && typeof ref !== 'string');
  }

  toModel(): Record<string, unknown> {
    return {
      key: this.key,
      audience: keyOf(this.props.audience),
      destination: keyOf(this.props.destination),
      trigger: this.props.trigger.trigger,
      entityPath: this.props.trigger.entityPath,
      action: this.props.action,
      mapping: this.props.mapping,
      eventName: this.props.eventName,
      enrich: enrichModel(this.props.enrich),
      sendForCurrent: this.props.sendForCurrent,
      preventDestroy: this.props.preventDestroy,
    };
  }
}

/** The enrichment as the model takes it: each entity without its handle, which is ours, not the model's. */
function enrichModel(enrich: EnrichmentProps | undefined): Record<string, unknown> | undefined {
  if (!enrich?.entities) return enrich as Record<string, unknown> | undefined;
  return { ...enrich, entities: enrich.entities.map(({ handle: _handle, ...entity }) => entity) };
}
