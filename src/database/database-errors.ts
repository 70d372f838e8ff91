// Socket failures (Node), SQLSTATE class 08 "connection exception", and server shutdown/overload states (57P0x, 53300).
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);
const CONNECTION_EXCEPTION_CLASS = '08';
// node-postgres reports these as plain Errors without a code.
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Connection ended unexpectedly',
];
const MAX_DEPTH = 4;

/**
 * True when a failed database call means "Postgres cannot be reached", not "the query was wrong". Looks through
 * TypeORM's `driverError`, `cause` and AggregateError's `errors` (Node's dual-stack connect) for the underlying error.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > MAX_DEPTH) return false;
  const code = stringField(error, 'code');
  if (code !== undefined && (UNAVAILABLE_CODES.has(code) || code.startsWith(CONNECTION_EXCEPTION_CLASS))) return true;
  const message = stringField(error, 'message');
  if (message !== undefined && UNAVAILABLE_MESSAGES.some((known) => message.startsWith(known))) return true;
  const nested = [field(error, 'driverError'), field(error, 'cause'), ...listField(error, 'errors')];
  return nested.some((inner) => inner !== error && isDatabaseUnavailable(inner, depth + 1));
}

function field(value: object, name: string): unknown {
  return name in value ? (value as Record<string, unknown>)[name] : undefined;
}

function stringField(value: object, name: string): string | undefined {
  const found = field(value, name);
  return typeof found === 'string' ? found : undefined;
}

function listField(value: object, name: string): unknown[] {
  const found = field(value, name);
  return Array.isArray(found) ? (found as unknown[]) : [];
}
