/*
 * The product guide's "External message" for each Data Graph failure of its Error States table,
 * word for word (decision D10). The static checks, the compiler and the catalog checks all speak
 * through these, so the guide's words are written once and a test holds them to the guide. What
 * a person should do about a failure goes in a diagnostic's `hint`, never into these messages.
 */
export const GRAPH_ERRORS = {
  /** Graph missing entity. */
  entityMissing: (entity: string) => `Entity missing from Data Graph: ${entity}`,
  /** Graph missing column for entity. */
  columnMissing: (entity: string, column: string) => `Entity column missing from Data Graph for Entity ${entity} and Column: ${column}`,
  /** No columns exist for entity. */
  noColumns: (entity: string) => `No columns exist for entity in Data Graph: ${entity}`,
  /** Missing join key between entities. */
  joinKeyMissing: (relationship: string) => `Join key missing from Data Graph for relation: ${relationship}`,
  /** Join key is wrong type. */
  joinKeyType: (relationship: string) => `Relationship key should be a string: ${relationship}`,
  /** Entity relationship not in Data Graph: an entity that no relationship of the graph reaches. */
  entityUnrelated: (entity: string) => `Entity relationship not in Data Graph for entity ${entity}`,
  /** Entity relationship not in Data Graph: a slug the graph does not have. */
  relationshipMissing: (slug: string) => `Entity relationship not in Data Graph for relationship: ${slug}`,
  /** Entity relationship not in Data Graph: a relationship used under an entity it does not hang from. */
  relationshipNotChild: (entity: string, slug: string) => `Entity relationship not in Data Graph for entity: ${entity} and relationship: ${slug}`,
  /** Duplicate records for ID (the run prefixes it with the phase, as the guide's example shows). */
  duplicateRecords: (column: string) =>
    `Duplicate records have been detected. This could be because the model query returned multiple records for the same ID column (${column}), or the Segment records table itself has duplicate records.`,
} as const;
