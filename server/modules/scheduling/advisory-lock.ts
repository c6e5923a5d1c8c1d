import type { DataSource } from 'typeorm';

/**
 * Runs `work` only if this process can take the named session-level advisory lock; otherwise
 * returns `{ acquired: false }` at once. Replicas use this so a job never runs twice at a time.
 */
export async function withAdvisoryLock<T>(
  ds: DataSource,
  key: string,
  work: () => Promise<T>,
): Promise<{ acquired: true; result: T } | { acquired: false }> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    const [{ locked }] = await runner.query(
      `SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked`,
      [key],
    );
    if (!locked) return { acquired: false };
    try {
      return { acquired: true, result: await work() };
    } finally {
      await runner.query(`SELECT pg_advisory_unlock(hashtextextended($1, 0))`, [key]);
    }
  } finally {
    await runner.release();
  }
}
