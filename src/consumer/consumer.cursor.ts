import { AppError } from '../common/app.error';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Pages are keyed by the last id seen (keyset pagination): stable under inserts, O(log n) per page. */
export function encodeCursor(lastId: string): string {
  return Buffer.from(lastId, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!UUID.test(id)) throw new AppError(400, 'invalid_cursor', 'The offset is not a cursor this API returned.');
  return id;
}

export function isUuid(value: string): boolean {
  return UUID.test(value);
}
