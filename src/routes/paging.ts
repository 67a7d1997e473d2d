// Paging for lists: ?limit= (1–200, default 50) and an opaque ?cursor= taken from
// the previous page's `nextCursor` (null on the last page).
import { AppError } from '../errors.js';

export const pagingQuery = {
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
    cursor: { type: 'string', maxLength: 512 },
  },
} as const;

export interface PagingQuery {
  limit?: number;
  cursor?: string;
}

export function encodeCursor(value: string): string {
  return Buffer.from(JSON.stringify({ after: value })).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | null {
  if (cursor === undefined) return null;
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof v.after === 'string') return v.after;
  } catch {
    // fall through
  }
  throw new AppError('validation-failed', 'cursor is not one this server handed out; use nextCursor from the previous page');
}
