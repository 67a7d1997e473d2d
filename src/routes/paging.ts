// Paging for lists: ?limit= and an opaque ?cursor= taken from the previous page's
// `nextCursor` (null on the last page). Their limits and defaults are in the contract
// (openapi/openapi.yaml).
import { AppError } from '../errors.js';

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
  throw new AppError(
    'validation-failed',
    'cursor is not one this server handed out; use nextCursor from the previous page',
  );
}

/** An offset cursor (lists ordered by a computed key): a whole number from nextCursor. */
export function decodeOffset(cursor: string | undefined): number {
  const raw = decodeCursor(cursor);
  if (raw === null) return 0;
  if (!/^\d{1,9}$/.test(raw)) {
    throw new AppError(
      'validation-failed',
      'cursor is not one this server handed out; use nextCursor from the previous page',
    );
  }
  return Number(raw);
}

/** Audit events page by id: ?limit= and ?cursor= from nextCursor. */
export function eventsPage(page: { items: unknown[]; nextBefore: number | null }) {
  return { items: page.items, nextCursor: page.nextBefore === null ? null : encodeCursor(String(page.nextBefore)) };
}

/** The id to continue below, or null for the first page. */
export function eventsCursor(cursor: string | undefined): number | null {
  return cursor === undefined ? null : decodeOffset(cursor);
}
