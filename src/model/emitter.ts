import { z } from 'zod';
import { ColumnName, Slug } from './common.js';

export const TRIGGERS = [
  'audience_entered',
  'audience_exited',
  'entity_added',
  'entity_removed',
  'audience_membership_changed',
] as const;
export const Trigger = z.enum(TRIGGERS);
export type Trigger = z.infer<typeof Trigger>;

export const ENTITY_TRIGGERS: readonly Trigger[] = ['entity_added', 'entity_removed'];
/** The seed: "send events for current profiles and entities" exists only for these. */
export const SEND_FOR_CURRENT_TRIGGERS: readonly Trigger[] = ['entity_added', 'audience_entered', 'audience_membership_changed'];

export const Enrichment = z
  .object({
    traits: z.array(ColumnName).default([]),
    /**
     * Entity columns per relationship (slug; its path from the profile is implied by the graph),
     * and for a many-to-many relationship the columns of the junction row (the link) that joins
     * each entity row to its parent: an order line's quantity for a product of an order.
     */
    entities: z
      .array(
        z
          .object({ relationship: Slug, columns: z.array(ColumnName).default([]), junctionColumns: z.array(ColumnName).min(1).optional() })
          .strict()
          .refine((e) => e.columns.length > 0 || e.junctionColumns !== undefined, {
            message: 'list the entity columns (columns) or the junction columns (junctionColumns) to add to events',
            path: ['columns'],
          }),
      )
      .default([]),
  })
  .strict();
export type Enrichment = z.infer<typeof Enrichment>;

export const EventEmitter = z
  .object({
    key: Slug,
    audience: Slug,
    destination: Slug,
    trigger: Trigger,
    /** For entity triggers: relationship slugs from the profile down to the trigger entity. */
    entityPath: z.array(Slug).optional(),
    /** The destination action to run, e.g. "trackEvent"; defaults to the destination's preset for the trigger. */
    action: z.string().min(1).optional(),
    /** Segment mapping-kit JSON; omitted: the destination preset. */
    mapping: z.record(z.string(), z.unknown()).optional(),
    /** Overrides the default event name ("Audience Entered", ...). */
    eventName: z.string().min(1).optional(),
    enrich: Enrichment.default({ traits: [], entities: [] }),
    sendForCurrent: z.boolean().default(false),
    preventDestroy: z.boolean().default(false),
  })
  .strict();
export type EventEmitter = z.infer<typeof EventEmitter>;
