// Migrates the database at workerData.url from its own thread and connection, as another
// node starting up at the same moment would; reports the migrations it applied.
import { parentPort, workerData } from 'node:worker_threads';
import { migrateToLatest } from '../../src/store/migrate.ts';
import { openStore } from '../../src/store/open-store.ts';

const store = openStore((workerData as { url: string }).url, { poolSize: 1 });
try {
  parentPort?.postMessage({ applied: await migrateToLatest(store) });
} catch (error) {
  parentPort?.postMessage({ error: (error as Error).message });
} finally {
  await store.close();
}
