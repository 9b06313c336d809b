import { SAFE_ID_PATTERN } from '@app/contracts';

/**
 * The cursor of a feed chain: the stream ids already served (base64url of `id,id,...`), so the
 * next page never repeats them even though the ranking moves between pages. Holds the most recent
 * MAX_CURSOR_IDS ids (25 pages of 20); older ones may come back after that (documented).
 */
export const MAX_CURSOR_IDS = 500;
/** Longest cursor accepted, characters (~500 ids of up to ~24 characters). */
export const MAX_CURSOR_LENGTH = 16_384;

export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
}

export function encodeCursor(ids: readonly string[]): string {
  return Buffer.from(ids.slice(-MAX_CURSOR_IDS).join(','), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string[] {
  if (cursor === undefined || cursor === '') return [];
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw new InvalidCursorError('cursor is not a cursor returned by this API');
  }
  const ids = Buffer.from(cursor, 'base64url').toString('utf8').split(',');
  if (ids.length > MAX_CURSOR_IDS || ids.some((id) => !SAFE_ID_PATTERN.test(id))) {
    throw new InvalidCursorError('cursor is not a cursor returned by this API');
  }
  return ids;
}
