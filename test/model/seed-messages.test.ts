import { describe, expect, it } from 'vitest';
import { MESSAGES } from '../../src/compute/policy.js';
import { STATUSES } from '../../src/compute/types.js';
import { GRAPH_ERRORS } from '../../src/model/seed-messages.js';

/*
 * The "External message" column of the product guide's Error States table, copied from the guide
 * with its placeholders. Every message the product says for one of these failures comes from
 * GRAPH_ERRORS (Data Graph failures) or MESSAGES (run failures), so these rows hold them all.
 */
const GUIDE: [failure: string, external: string, said: string][] = [
  ['Parse error', 'An unknown error occurred. Execution will retry. If the problem persists, please contact Segment support.', MESSAGES.unknown],
  ['Graph missing entity', 'Entity missing from Data Graph: <entity>', GRAPH_ERRORS.entityMissing('<entity>')],
  [
    'Graph missing column for entity',
    'Entity column missing from Data Graph for Entity <entity> and Column: <column>',
    GRAPH_ERRORS.columnMissing('<entity>', '<column>'),
  ],
  ['No columns exist for entity', 'No columns exist for entity in Data Graph: <entity>', GRAPH_ERRORS.noColumns('<entity>')],
  ['Missing join key between entities', 'Join key missing from Data Graph for relation: <relationship>', GRAPH_ERRORS.joinKeyMissing('<relationship>')],
  ['Join key is wrong type', 'Relationship key should be a string: <relationship>', GRAPH_ERRORS.joinKeyType('<relationship>')],
  ['Entity relationship not in Data Graph', 'Entity relationship not in Data Graph for entity <entity>', GRAPH_ERRORS.entityUnrelated('<entity>')],
  [
    'Entity relationship not in Data Graph',
    'Entity relationship not in Data Graph for relationship: <relationship slug>',
    GRAPH_ERRORS.relationshipMissing('<relationship slug>'),
  ],
  [
    'Entity relationship not in Data Graph',
    'Entity relationship not in Data Graph for entity: <entity> and relationship: <relationship slug>',
    GRAPH_ERRORS.relationshipNotChild('<entity>', '<relationship slug>'),
  ],
  [
    'Query fails for unknown internal error, Update model fails, Kick off rETL job',
    'An unexpected error occurred. Execution will retry. If the problem persists, please contact Segment support.',
    MESSAGES.unexpected,
  ],
  [
    'Duplicate records for ID',
    'extract phase failed: Duplicate records have been detected. This could be because the model query returned multiple records for the same ID column (MATCHID), or the Segment records table itself has duplicate records.',
    MESSAGES.duplicate('MATCHID'),
  ],
  ['Check results', 'An unexpected error occurred attempting to execute this model query.', MESSAGES.checkResults],
  ['Process results, Load results', 'Execution is paused due to an identified operational issue.', MESSAGES.paused],
];

describe("the product guide's error messages", () => {
  it.each(GUIDE)('%s: "%s", word for word', (_failure, external, said) => {
    expect(said).toBe(external);
  });

  it('SQL compilation: the guide\'s prefix, then the warehouse\'s own message', () => {
    const snowflake = "000904 (42000): SQL compilation error: error line 30 at position 61 invalid identifier '<XX.PROPERTIES>'";
    expect(MESSAGES.sqlCompilation('snowflake', snowflake)).toBe(
      `extract phase failed: An unexpected Snowflake error occurred trying to execute your model query: ${snowflake}`,
    );
  });
});

describe("the product guide's compute statuses", () => {
  it('are exactly Computing, Live, Disabled and Failed', () => {
    expect([...STATUSES]).toEqual(['Computing', 'Live', 'Disabled', 'Failed']);
  });
});
