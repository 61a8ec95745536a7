import { countText, windowText } from '../model/condition-text.js';
import type { AudienceMembershipCondition, Condition } from '../model/condition.js';

/** The values one leaf was decided by, as the explain query read them. */
export interface LeafValues {
  /** trait: the trait's value; entity: matching related rows; event: matching events in the window. */
  value: string | number | null;
  /** trait: a trait operand's value; entity: all related rows. */
  other?: string | number | null;
  /** event: the latest matching event, ignoring the window. */
  latest?: string | null;
}

const shown = (v: unknown) => (v === null || v === undefined ? 'NULL' : JSON.stringify(v));

/** What decided a leaf, in words: the value against the condition's threshold. */
export function decidedBy(c: Condition, v: LeafValues): string | null {
  switch (c.kind) {
    case 'trait': {
      const operandTrait = 'value' in c && c.value && typeof c.value === 'object' && !Array.isArray(c.value) && 'trait' in c.value ? c.value.trait : null;
      return `${c.trait} is ${shown(v.value)}${operandTrait ? `, ${operandTrait} is ${shown(v.other)}` : ''}`;
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
