import { CursorStore } from '../state/delivery/cursors.js';
import { DeliveryHealthStore, type HealthRecord } from '../state/delivery/health.js';
import { DeliveryRecorder, type PageCommit, type RunEnd, type RunStart } from '../state/delivery/recorder.js';
import type { Cursor } from '../state/delivery/types.js';
import { StatementBatch } from '../warehouse/statement-batch.js';

/**
 * The bookkeeping of delivery passes that run together, each statement sent once for all the
 * passes waiting for it (warehouse/statement-batch.ts): their cursors, their health records, the
 * records of their runs' starts and ends, and the commits of their pages. Thirty emitters starting
 * after a tick read their cursors with one statement instead of thirty, and pages acknowledged
 * while another commit ran are committed together. A daemon shares one between all its passes; a
 * `linked deliver` of several emitters has one of its own.
 */
export class SharedBookkeeping {
  readonly cursors: StatementBatch<string, Cursor | undefined>;
  readonly health: StatementBatch<{ emitterKey: string; destinationKey: string; at: Date }, HealthRecord>;
  readonly runStarts: StatementBatch<RunStart, undefined>;
  readonly runEnds: StatementBatch<RunEnd, undefined>;
  readonly pageCommits: StatementBatch<PageCommit, Cursor>;

  constructor(schema: string) {
    this.cursors = new StatementBatch(async (wh, keys) => {
      const found = await new CursorStore(wh, schema).readMany(keys);
      return keys.map((k) => found.get(k));
    });
    this.health = new StatementBatch((wh, emitters) => new DeliveryHealthStore(wh, schema).forDelivery(emitters, emitters[0].at));
    this.runStarts = StatementBatch.ofWrites((wh, runs) => new DeliveryRecorder(wh, schema).startRuns(runs));
    // Commits are on delivery's hot path: each goes as soon as the connection is free (a page
    // waits for the commit before the one it follows), joined by those that came while it waited.
    this.runEnds = StatementBatch.ofWrites((wh, runs) => new DeliveryRecorder(wh, schema).finishRuns(runs), 'queue');
    this.pageCommits = new StatementBatch((wh, commits) => new DeliveryRecorder(wh, schema).commitPages(commits), 'queue');
  }
}
