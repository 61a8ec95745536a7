import { z } from 'zod';
import { ColumnName, nameOrKey, Slug, TableRef } from './common.js';
import { Condition } from './condition.js';

/** Interval sugar from 1m to 1d; the controller's fastest tick is one minute. */
export const INTERVALS = ['1m', '5m', '10m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '1d'] as const;

export const Schedule = z.discriminatedUnion('type', [
  z.object({ type: z.literal('interval'), every: z.enum(INTERVALS) }).strict(),
  /** Five-field cron expression, UTC. Checked by cronProblem in src/model/checks/audience.ts. */
  z.object({ type: z.literal('cron'), expression: z.string().min(9) }).strict(),
]);
export type Schedule = z.infer<typeof Schedule>;

export const Audience = z
  .object({
    key: Slug,
    name: z.string().min(1),
    description: z.string().default(''),
    /** New audiences are disabled until enabled (the seed's default). */
    enabled: z.boolean().default(false),
    schedule: Schedule.default({ type: 'interval', every: '1d' }),
    condition: Condition,
    preventDestroy: z.boolean().default(false),
  })
  .strict();
export type Audience = z.infer<typeof Audience>;

/** An audience computed elsewhere: a warehouse table of member profile ids. */
export const ClassicAudience = z
  .object({
    key: Slug,
    /** Display name; empty or omitted: the key. */
    name: z.string().default(''),
    table: TableRef,
    profileIdColumn: ColumnName,
    preventDestroy: z.boolean().default(false),
  })
  .strict()
  .transform(nameOrKey);
export type ClassicAudience = z.infer<typeof ClassicAudience>;
