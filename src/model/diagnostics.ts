/**
 * A finding about the desired model: from construct validation, the manifest loader, or the
 * Data Graph checked against the warehouse catalog. A plan with an `error` cannot be applied.
 */
export interface Diagnostic {
  severity: 'error' | 'warning';
  /** Stable code, e.g. ENTITY_MISSING, COLUMN_MISSING, DUPLICATE_PRIMARY_KEY. */
  code: string;
  /** For the seed's errors, its "External message" word for word. */
  message: string;
  /** Where: a construct path, or a resource address such as `audience.overdue-cards`. */
  resource?: string;
  /** Attribute path inside the resource, e.g. `condition.conditions[1].where`. */
  attribute?: string;
  /** What to do about it, apart from the message (which keeps the seed's words): "Did you mean …?". */
  hint?: string;
}

export const hasErrors = (ds: readonly Diagnostic[]) => ds.some((d) => d.severity === 'error');
