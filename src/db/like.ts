// Search boxes match with LIKE; what a user types is text, never a pattern, so the
// LIKE wildcards in it (and the escape character itself) are escaped.

/** A LIKE pattern (default escape character, backslash) matching any lower-cased text containing `text`. */
export function containsPattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
}
