/** Helpers both providers use to read what an HTTP client library threw. */

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The first `code` string on the error, its causes, or the errors of an AggregateError. */
export function errorCode(error: unknown, depth = 0): string | undefined {
  if (typeof error !== 'object' || error === null || depth > 5) return undefined;
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string') return code;
  for (const inner of Array.isArray(errors) ? [cause, ...errors] : [cause]) {
    const found = errorCode(inner, depth + 1);
    if (found) return found;
  }
  return undefined;
}
