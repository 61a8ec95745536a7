/**
 * linked-audiences: the authoring library. `import { ... } from 'linked-audiences'`.
 * See docs/constructs.md.
 */
export { App } from './cdktn.js';
export { LinkedAudiencesStack, type LinkedAudiencesStackProps } from './stack.js';
export { Warehouse, SnowflakeAuth, type DuckDbProps, type SnowflakeProps } from './warehouse.js';
export { LinkedResource } from './resource.js';
export type { StackMember } from './member.js';
export {
  DataGraph,
  EntityRef,
  ProfileRef,
  Relationship,
  JunctionRelationship,
  type JunctionTableProps,
  type DataGraphProps,
  type ProfileProps,
  type RelationshipNameProps,
  type EntityProps,
  type EntityJoinProps,
  type JunctionJoinProps,
  type ProfileJoinProps,
} from './graph.js';
export {
  all,
  any,
  not,
  trait,
  col,
  prop,
  event,
  partOf,
  notPartOf,
  minutes,
  hours,
  days,
  Condition,
  EntityCondition,
  EventCondition,
  PropertyFilter,
  ColumnRef,
  Field,
  TraitField,
  ColumnField,
  JunctionField,
  PropertyField,
  type ProfileScope,
  type OperandInput,
  type DateInput,
} from './conditions.js';
export { Schedule, type Interval } from './schedule.js';
export { Audience, ClassicAudience, type AudienceProps, type ClassicAudienceProps } from './audience.js';
export {
  Destination,
  secret,
  type DestinationProps,
  type DestinationCommonProps,
  type WebhookProps,
  type BrazeProps,
  type IterableProps,
  type CustomerIoProps,
  type SegmentProps,
  type WarehouseDestinationProps,
} from './destination.js';
export {
  AudienceTest,
  type AudienceTestProps,
  type AudienceTestExpectation,
  type EntityMatchesExpectation,
  type FixtureRow,
  type FixtureType,
} from './audience-test.js';
export {
  EventEmitter,
  Trigger,
  type EventEmitterProps,
  type EnrichmentProps,
  type EnrichedEntity,
  type TriggerSpec,
  type AudienceRef,
  type DestinationRef,
} from './emitter.js';
