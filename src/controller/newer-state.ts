import { isLinkedError, type LinkedError } from '../model/errors.js';
import { readStateVersion, refuseNewerState } from '../state/migrate.js';
import type { QueryOptions, Row, Warehouse } from '../warehouse/types.js';

/*
 * A daemon runs for months, and meanwhile a newer linked (a CI apply, the next image of the
 * daemon itself) may migrate the state past the versions this code knows. Every command refuses
 * such a state when it starts (STATE_TOO_NEW); a daemon must refuse it as soon as it changes
 * under it, or its loops go on writing rows in this code's shape (runs, outbox rows, delivery
 * records, collections, applies) into a state the newer linked reads as incomplete history.
 *
 * Where the daemon looks (daemon.ts wires it):
 * - On the shared DuckDB file, each time it opens the file. Another process can migrate the file
 *   only while the daemon has let go of it (DuckDB admits one process), so no statement of the
 *   daemon meets a version it did not check: a run's commit or a page's commit either ran before
 *   the migration (the migration then finds those rows as it finds all older ones) or is refused.
 * - On connections of its own (Snowflake), at each open (a tick, a delivery look or pass, a
 *   collection, a sync step) and last thing inside each transaction (a run's commit, a page's
 *   commit, a collection, an apply), so a commit never lands on a version its own transaction did
 *   not read; a newer one rolls it back. Last, not first: the read is then as close to the commit
 *   as it can be (Snowflake's migrations are DDL that commits on its own, so one landing between
 *   the read and the commit is not excluded, only made as unlikely as it can be), and the
 *   transaction's first statement is still its own (a read first would start its snapshot before
 *   the table lock its first write waits for, where snapshots are taken at the first statement).
 *
 * Once a newer version is seen the guard trips: every statement the daemon issues afterwards is
 * refused before it reaches the warehouse, so its loops stop where they are, and the daemon halts.
 *
 * A page the destination acknowledged after the state moved is therefore not recorded: the newer
 * linked sends it again, with the same messageIds (decision D7). That is the safer of the two
 * cuts: an unrecorded page is what a crash leaves, which delivery is built for (a crash resends at
 * most the pages in flight), while committing it would write this code's delivery record into a
 * state whose migrations expect more of it (trace links, backfill links: migrations 9 and 10),
 * which is exactly what the refusal exists to prevent.
 */

/** Refuses the daemon's statements once a newer linked migrated its state; see the file comment. */
export class NewerStateGuard {
  private tripped?: LinkedError;

  constructor(
    private readonly schema: string,
    /** Told once, when the guard trips: the daemon halts. Must not wait for the daemon's work (it is called from inside it). */
    private readonly onTrip: (refusal: LinkedError) => void,
  ) {}

  /** The STATE_TOO_NEW refusal once the guard tripped. */
  get refusal(): LinkedError | undefined {
    return this.tripped;
  }

  /** Throws the refusal once the guard tripped; reads nothing. */
  assertCurrent(): void {
    if (this.tripped) throw this.tripped;
  }

  /**
   * Reads the state's version on `wh`: a version past this code's trips the guard and throws
   * STATE_TOO_NEW. A state not created yet passes (the daemon's first open migrates it), and so
   * does a read that fails otherwise: the statements after it surface that failure themselves.
   */
  async verify(wh: Warehouse): Promise<void> {
    this.assertCurrent();
    const version = await readStateVersion(wh, this.schema).catch(() => undefined);
    if (!version || version.current <= version.latest) return;
    await refuseNewerState(wh, this.schema, version.current).catch((e: unknown) => {
      this.notice(e);
      throw e;
    });
  }

  /** Trips on a STATE_TOO_NEW refusal met elsewhere (the first open's migration refuses the state). */
  notice(e: unknown): void {
    if (this.tripped || !isLinkedError(e) || e.code !== 'STATE_TOO_NEW') return;
    this.tripped = e;
    this.onTrip(e);
  }

  /** `open`, refused once tripped and verified after it opens: what the shared file opens, and each kept connection lent. */
  verifiedOpen(open: () => Promise<Warehouse>): () => Promise<Warehouse> {
    return async () => {
      // Before opening: a file opened only to be refused would cost an open and a checkpoint.
      this.assertCurrent();
      const wh = await open();
      try {
        await this.verify(wh);
      } catch (e) {
        await wh.close();
        throw e;
      }
      return wh;
    };
  }

  /**
   * `open`, whose handles refuse every statement once the guard tripped; with `verifyTransactions`
   * (connections of the daemon's own), each transaction verifies the version inside itself before it commits.
   */
  guardedOpen(open: () => Promise<Warehouse>, verifyTransactions: boolean): () => Promise<Warehouse> {
    return async () => {
      this.assertCurrent();
      let wh: Warehouse;
      try {
        wh = await open();
      } catch (e) {
        this.notice(e);
        throw e;
      }
      return this.guarded(wh, verifyTransactions);
    };
  }

  private guarded(wh: Warehouse, verifyTransactions: boolean): Warehouse {
    const checked = <T>(run: () => Promise<T>): Promise<T> => {
      try {
        this.assertCurrent();
      } catch (e) {
        return Promise.reject(e);
      }
      return run();
    };
    const guard = this;
    return {
      dialect: wh.dialect,
      query: <T = Row>(sql: string, params?: readonly unknown[], options?: QueryOptions) => checked(() => wh.query<T>(sql, params, options)),
      stream: <T = Row>(sql: string, params?: readonly unknown[], pageSize?: number, options?: QueryOptions) =>
        (async function* () {
          guard.assertCurrent();
          yield* wh.stream<T>(sql, params, pageSize, options);
        })(),
      transaction: <T>(fn: (tx: Warehouse) => Promise<T>, options?: QueryOptions) =>
        checked(() =>
          wh.transaction(async (tx) => {
            const result = await fn(tx);
            if (verifyTransactions) await this.verify(tx);
            return result;
          }, options),
        ),
      describeTable: (table) => checked(() => wh.describeTable(table)),
      tableNames: (near) => checked(() => wh.tableNames(near)),
      close: () => wh.close(),
      ...(wh.whenFree ? { whenFree: <T>(fn: (w: Warehouse) => Promise<T>) => checked(() => wh.whenFree!(fn)) } : {}),
    };
  }
}
