// A README on the page. The renderer (markdown-it and DOMPurify, markdown-render.ts) is
// half the console's script, so it is a separate chunk fetched the first time a README
// shows; until it arrives the text shows as it is written.
import { useEffect, useMemo, useState } from 'preact/hooks';

type Render = (source: string) => string;
let loading: Promise<Render> | null = null;
const loadRenderer = (): Promise<Render> => (loading ??= import('./markdown-render.ts').then((m) => m.renderMarkdown));

export function Markdown({ source }: { source: string }) {
  const [render, setRender] = useState<Render | null>(null);
  useEffect(() => {
    let live = true;
    void loadRenderer().then((r) => live && setRender(() => r));
    return () => {
      live = false;
    };
  }, []);
  const html = useMemo(() => (render ? render(source) : null), [render, source]);
  if (html === null) {
    return (
      <pre class="markdown-source" tabIndex={0}>
        {source}
      </pre>
    );
  }
  // Sanitized by renderMarkdown: the one place the console sets HTML.
  return <div class="markdown" dangerouslySetInnerHTML={{ __html: html }} />;
}
