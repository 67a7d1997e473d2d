// Conditional GET: whether the client's cached copy (If-None-Match) is still the
// current representation, so a 304 can answer instead of the body. The `fresh` package
// does the RFC 9110 comparison: a comma-separated list, the weak comparison (W/"x"
// matches "x" either way round) and `*`.
import type { IncomingHttpHeaders } from 'node:http';
import fresh from 'fresh';

/**
 * True when If-None-Match names `etag` (a quoted entity tag, strong or W/) or is `*`.
 * Only If-None-Match is read: our ETags are content digests, so If-Modified-Since adds
 * nothing, and a request's Cache-Control: no-cache speaks to caches, not to us
 * (browsers send no validators on a hard reload anyway).
 */
export function isFresh(request: { headers: IncomingHttpHeaders }, etag: string): boolean {
  const ifNoneMatch = request.headers['if-none-match'];
  if (!ifNoneMatch || !etag) return false;
  // fresh splits the list on commas and spaces only; HTTP's optional whitespace includes tabs.
  return fresh({ 'if-none-match': ifNoneMatch.replace(/\t/g, ' ') }, { etag });
}
