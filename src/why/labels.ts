import { countText, windowText } from '../model/condition-text.js';
import type { AudienceMembershipCondition, Condition, EntityPredicate, Operand } from '../model/condition.js';

/** The values one leaf was decided by, as the explain query read them. */
export interface LeafValues {
  /** trait, column: the compared value; entity: matching related rows; event: matching events in the window. */
  value: string | number | null;
  /** trait, column: the value of an operand that is a trait or a column (not a literal); entity: all related rows. */
  other?: string | number | null;
  /** event: the latest matching event, ignoring the window. */
  latest?: string | null;
}

const shown = (v: unknown) => (v === null || v === undefined ? 'NULL' : JSON.stringify(v));

/** The operand a comparison reads from the row or the profile, in words (`plan`, `accounts.limit`); null for a literal. */
function operandName(c: object): string | null {
  const v = 'value' in c ? (c.value as Operand | undefined) : undefined;
  if (!v || typeof v !== 'object' || Array.isArray(v)) return null;
  return 'trait' in v ? v.trait : 'relationship' in v ? `${v.relationship}.${v.column}` : null;
}

/** What decided a leaf (of the profile's tree, or of a related row's filter), in words: the value against the condition's threshold. */
export function decidedBy(c: Condition | EntityPredicate, v: LeafValues): string | null {
  switch (c.kind) {
    case 'trait':
    case 'column': {
      const operand = operandName(c);
      return `${c.kind === 'trait' ? c.trait : c.column} is ${shown(v.value)}${operand ? `, ${operand} is ${shown(v.other)}` : ''}`;
    }
    case 'entity':
      return `${v.value} of ${v.other} ${c.relationship} match; needs ${countText(c.count)}`;
    case 'event':
      return `${v.value} matching "${c.name}" events ${(c.window ? windowText(c.window) : 'ever')}; needs ${countText(c.count)}; latest ${v.latest ?? 'never'}`;
    case 'audience':
      return null;
    default:
      return null;
  }
}

/**
 * Where a "part of" leaf read the other audience's members: a linked audience's last run (its
 * snapshot) or its condition evaluated now (disabled or not computed yet, so it has none), a
 * classic audience's table.
 */
export type MembershipSource = { kind: 'snapshot' } | { kind: 'inline' } | { kind: 'classic'; table: string };

/**
 * What decided a "part of" leaf, in words: whether the profile is a member of the other audience
 * (the leaf holds for a member, or for a non-member under "not part of"), and where that was read.
 */
export function membershipDecidedBy(c: AudienceMembershipCondition, held: boolean, source: MembershipSource): string {
  const member = c.negate ? !held : held;
  if (source.kind === 'classic') return `${member ? '' : 'not '}in ${source.table} (classic audience ${c.audience})`;
  return `${member ? '' : 'not '}a member of ${c.audience}${source.kind === 'snapshot' ? ' at its last run' : ', its condition evaluated now (disabled, or not computed yet)'}`;
}
