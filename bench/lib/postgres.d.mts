// Types of postgres.mjs, for the tests that import it.
export interface Postgres {
  readonly port: number;
  /** The server's password (a test checks it never shows up in output). */
  readonly password: string;
  readonly url: (database?: string) => string;
  /** A new empty database; resolves to its URL. */
  readonly createDatabase: (prefix?: string) => Promise<string>;
  readonly stop: () => Promise<void>;
}

export declare const startPostgres: () => Promise<Postgres>;
