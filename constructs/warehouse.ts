import type { z } from 'zod';
import type { SecretRef } from '../src/model/common.js';
import type { SnowflakeWarehouse, WarehouseConfig } from '../src/model/warehouse.js';

type SnowflakeAuthInput = z.input<typeof SnowflakeWarehouse>['auth'];

export interface DuckDbProps {
  /** A DuckDB file, relative to the project directory, or ':memory:'. */
  readonly path: string;
  /**
   * The schema of the state tables.
   * @default 'LINKED_AUDIENCES'
   */
  readonly stateSchema?: string;
}

export interface SnowflakeProps {
  /** The account identifier, e.g. `myorg-myaccount`. */
  readonly account: string;
  /** The user the service logs in as. */
  readonly username: string;
  /** The database audiences are computed in and state is kept in. */
  readonly database: string;
  /** The virtual warehouse that runs the queries. */
  readonly warehouse: string;
  /** The role of the session: `USAGE` on the database and schemas, `SELECT` on the graph's tables, and the state schema's (see docs/warehouses.md). */
  readonly role: string;
  /**
   * The default schema of unqualified table names.
   * @default - the user's default schema
   */
  readonly schema?: string;
  /** `SnowflakeAuth.keyPair(secret('SNOWFLAKE_PRIVATE_KEY'))` or `SnowflakeAuth.password(...)`. */
  readonly auth: SnowflakeAuthInput;
  /**
   * Overrides `https://<account>.snowflakecomputing.com`: a private-link host
   * (`https://<account>.privatelink.snowflakecomputing.com`), a proxy, a local emulation in tests.
   * @default - the account's public URL
   */
  readonly accessUrl?: string;
  /**
   * Gives up a login (retries of network failures included) after this many seconds.
   * @default 60
   */
  readonly loginTimeoutSeconds?: number;
  /**
   * Snowflake cancels a statement that runs longer (`STATEMENT_TIMEOUT_IN_SECONDS`, set on each statement).
   * @default - the user's or account's setting
   */
  readonly statementTimeoutSeconds?: number;
  /**
   * The team's label in front of every statement's `QUERY_TAG`: `<queryTag> linked-audiences:<command>:<audience>`.
   * @default - none
   */
  readonly queryTag?: string;
  /**
   * The schema of the state tables.
   * @default 'LINKED_AUDIENCES'
   */
  readonly stateSchema?: string;
}

/** Where audiences are computed and state is kept: the `linkedaudiences` provider block. */
export class Warehouse {
  private constructor(
    /** The warehouse configuration as the model's input. */
    readonly config: z.input<typeof WarehouseConfig>,
  ) {}

  /** A DuckDB file (relative to the project directory) or ':memory:'. The embedded default. */
  static duckdb(props: DuckDbProps): Warehouse {
    return new Warehouse({ type: 'duckdb', ...props });
  }

  /** Snowflake, with key-pair or password auth by secret reference (see `SnowflakeAuth`). */
  static snowflake(props: SnowflakeProps): Warehouse {
    return new Warehouse({ type: 'snowflake', ...props });
  }
}

/** Snowflake authentication: secrets by reference only, never their values. */
export const SnowflakeAuth = {
  /** Key-pair authentication: the private key (PEM) and its passphrase, when it has one. */
  keyPair(privateKey: SecretRef, passphrase?: SecretRef): SnowflakeAuthInput {
    return passphrase ? { type: 'keypair', privateKey, passphrase } : { type: 'keypair', privateKey };
  },
  password(password: SecretRef): SnowflakeAuthInput {
    return { type: 'password', password };
  },
};
