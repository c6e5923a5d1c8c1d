/**
 * Rows of an UPDATE/DELETE ... RETURNING. TypeORM's postgres driver answers those with
 * `[rows, affectedCount]` (and SELECT/INSERT with the rows alone); this gives the rows either way.
 */
export async function returning<T>(
  runner: { query(sql: string, params?: unknown[]): Promise<unknown> },
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const result = await runner.query(sql, params);
  if (
    Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
  ) {
    return result[0] as T[];
  }
  return result as T[];
}
