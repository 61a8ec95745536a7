import { z } from 'zod';

/** Resource keys and relationship/entity slugs: immutable, lowercase, dashes and underscores. */
export const Slug = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,62}$/, 'must be lowercase letters, digits, "-" or "_", starting with a letter (max 63)');

/**
 * A warehouse table reference as written by the user: `table`, `schema.table` or `db.schema.table`,
 * each part as the warehouse spells it. The printer quotes every part (a quote inside a name is
 * doubled), so a part written in quotes, `"Crm Data"`, would name a table whose name starts and
 * ends with a quote: refused, with the reference to write. So is a part that only starts or only ends
 * with one, half of a quoted name with a dot in it.
 */
export const TableRef = z
  .string()
  .min(1)
  .superRefine((s, ctx) => {
    const parts = s.split('.');
    if (parts.some((p) => p.length > 1 && p.startsWith('"') && p.endsWith('"'))) {
      const bare = parts.map((p) => (p.length > 1 && p.startsWith('"') && p.endsWith('"') ? p.slice(1, -1).replace(/""/g, '"') : p)).join('.');
      ctx.addIssue({ code: 'custom', message: `is written with quotes: write "${bare}" (each part as the warehouse spells it, spaces and case included); every part is quoted for you` });
    } else if (parts.some((p) => p.startsWith('"') || p.endsWith('"'))) {
      // Half a quoted part (`"my.schema".t` splits at the dot inside the quotes): no unquoted
      // spelling names the same table, so none is offered.
      ctx.addIssue({ code: 'custom', message: 'is written with quotes: write each part as the warehouse spells it, without quotes, parts separated by "."; every part is quoted for you' });
    } else if (!parts.every((p) => p.length > 0) || parts.length > 3) {
      ctx.addIssue({ code: 'custom', message: 'must be "table", "schema.table" or "database.schema.table"' });
    }
  });

/** A column name as it exists in the warehouse. Quoted by the SQL printer, never spliced. */
export const ColumnName = z.string().min(1).max(255);

/**
 * A secret is never a value in the model: only the name of the environment variable that holds it
 * (decision D9). The value is read at the moment of use by `resolveSecret`.
 */
export const SecretRef = z
  .object({ secret: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name') })
  .strict();
export type SecretRef = z.infer<typeof SecretRef>;

export function isSecretRef(v: unknown): v is SecretRef {
  return SecretRef.safeParse(v).success;
}

/** Scalars a user may compare against. Dates and timestamps are ISO-8601 strings. */
export const Scalar = z.union([z.string(), z.number().finite(), z.boolean()]);
export type Scalar = z.infer<typeof Scalar>;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-](\d{2}):?(\d{2}))?)?$/;
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** The part of a date or timestamp written as ISO-8601 that does not exist in the calendar. */
export interface CalendarProblem {
  invalid: 'date' | 'time' | 'time zone offset';
  why: string;
}

/**
 * Whether a string is an ISO-8601 date or timestamp that exists: undefined when it is, 'shape'
 * when it is not written as one, else the part at fault. The one judge of date literals: the model
 * refuses them at synth, the catalog check on a DATE or TIMESTAMP column. The shape alone is not
 * enough: JavaScript's Date and the warehouses roll an impossible day over (1997-02-30 becomes
 * 1997-03-02 or 1997-03-03), so each field is checked against the calendar.
 */
export function isoDateProblem(text: string): 'shape' | CalendarProblem | undefined {
  const m = ISO_DATE.exec(text);
  if (!m) return 'shape';
  const [year, month, day, hour = 0, minute = 0, second = 0, offsetHours = 0, offsetMinutes = 0] = [m[1], m[2], m[3], m[4], m[5], m[6], m[8], m[9]].map(Number);
  if (month < 1 || month > 12) return { invalid: 'date', why: 'months run from 01 to 12' };
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  if (day < 1 || day > days) return { invalid: 'date', why: `${MONTHS[month - 1]} ${year} has ${days} days` };
  if (hour > 23) return { invalid: 'time', why: 'hours run from 00 to 23' };
  if (minute > 59 || second > 59) return { invalid: 'time', why: 'minutes and seconds run from 00 to 59' };
  if (offsetHours > 23 || offsetMinutes > 59) return { invalid: 'time zone offset', why: 'offsets run from -23:59 to +23:59' };
  return undefined;
}

/** An ISO-8601 date or timestamp that exists in the calendar (`isoDateProblem`). */
export const isIsoDate = (text: string): boolean => isoDateProblem(text) === undefined;

export const IsoDate = z.string().superRefine((text, ctx) => {
  const problem = isoDateProblem(text);
  if (problem === 'shape') ctx.addIssue({ code: 'custom', message: 'must be an ISO-8601 date or timestamp' });
  else if (problem) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(text)} is not a valid ${problem.invalid}: ${problem.why}` });
});

export const TimeUnit = z.enum(['minutes', 'hours', 'days']);
export type TimeUnit = z.infer<typeof TimeUnit>;

export const Duration = z.object({ amount: z.number().int().positive(), unit: TimeUnit }).strict();
export type Duration = z.infer<typeof Duration>;

/**
 * A resource's display name, defaulting to its key as an audience's does (the constructs write the
 * key at synth). An empty name, what destinations and classic audiences defaulted to before, reads
 * as none: a spec applied so reads back as the one synthesized now, and plans no change.
 */
export const nameOrKey = <T extends { key: string; name: string }>(resource: T): T => (resource.name === '' ? { ...resource, name: resource.key } : resource);
