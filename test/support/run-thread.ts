// Runs a test worker thread to completion and resolves with the one message it posts.
import { Worker } from 'node:worker_threads';

export function runThread<T>(file: URL, workerData: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(file, { workerData });
    worker.once('message', (message: T) => resolve(message));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`thread ${file.pathname} exited with code ${code}`));
    });
  });
}
