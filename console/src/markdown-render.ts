// README markdown, rendered safely: markdown-it with raw HTML off (tags show as text),
// links only to absolute http(s) and mailto targets (a relative or `#` link means nothing
// inside the console, whose own addresses are hash routes), then DOMPurify over the result
// all the same. Images are dropped: a README's images would be fetched from anywhere
// (a tracker) and the Content-Security-Policy refuses them anyway. Loaded on demand by
// markdown.tsx: most pages show no README, so the first page does not carry it.
import MarkdownIt from 'markdown-it';
import DOMPurify from 'dompurify';

const md = new MarkdownIt({ html: false, linkify: true, typographer: false });
const SAFE_LINK = /^(https?:\/\/|mailto:)/i;
md.validateLink = (url: string) => SAFE_LINK.test(url.trim());
// A README's headings sit under the page's own (h1, then the README's h2 section): its
// `#` becomes h3, and so on down to h6, so the page keeps one outline.
md.core.ruler.push('nest_headings', (state) => {
  for (const token of state.tokens) {
    if (token.type === 'heading_open' || token.type === 'heading_close') {
      token.tag = `h${Math.min(6, Number(token.tag.slice(1)) + 2)}`;
    }
  }
});

DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  // A code block scrolls sideways: keyboard users must be able to reach it to scroll.
  if (node.tagName === 'PRE') node.setAttribute('tabindex', '0');
  if (node.tagName === 'A') {
    node.setAttribute('rel', 'noopener noreferrer nofollow');
    node.setAttribute('target', '_blank');
  }
});

/** HTML comments, which a README's readers never see (with raw HTML off they would show). */
const COMMENT_RE = /<!--[\s\S]*?(?:-->|$)/g;

export function renderMarkdown(source: string): string {
  return DOMPurify.sanitize(md.render(source.replace(COMMENT_RE, '')), {
    FORBID_TAGS: ['img', 'style', 'form', 'input', 'button', 'iframe', 'svg', 'math'],
    FORBID_ATTR: ['style'],
    ALLOWED_URI_REGEXP: SAFE_LINK,
  });
}
