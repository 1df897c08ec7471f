// Counts the statements a store sends to its database (queries, and BEGIN/COMMIT/ROLLBACK of
// transactions): on PostgreSQL each is one round trip to the server. Exposed as
// instant_sync_database_statements_total, and what the bench divides by the changes synced.
//
// The count is taken on the driver's connections themselves (their executeQuery and
// streamQuery, instrumented the first time each is handed out), so the drivers, which know their
// connections by identity, see the same objects as before.
import type { DatabaseConnection, Dialect, Driver } from 'kysely';

export interface StatementCount {
  /** Statements sent since the store was opened. */
  readonly sent: number;
}

export function countingStatements(dialect: Dialect): { dialect: Dialect; count: StatementCount } {
  const count = { sent: 0 };
  const instrumented = new WeakSet<DatabaseConnection>();
  const instrument = (connection: DatabaseConnection): DatabaseConnection => {
    if (instrumented.has(connection)) return connection;
    instrumented.add(connection);
    const execute = connection.executeQuery.bind(connection);
    const stream = connection.streamQuery.bind(connection);
    connection.executeQuery = (query, options) => {
      count.sent++;
      return execute(query, options);
    };
    connection.streamQuery = (query, chunkSize, options) => {
      count.sent++;
      return stream(query, chunkSize, options);
    };
    return connection;
  };
  return {
    count,
    dialect: {
      createDriver(): Driver {
        const driver = dialect.createDriver();
        const acquire = driver.acquireConnection.bind(driver);
        driver.acquireConnection = async (options) => instrument(await acquire(options));
        return driver;
      },
      createQueryCompiler: () => dialect.createQueryCompiler(),
      createAdapter: () => dialect.createAdapter(),
      createIntrospector: (db) => dialect.createIntrospector(db),
    },
  };
}
