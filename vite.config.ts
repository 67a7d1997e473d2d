// The web console (console/): built by `npm run build` into dist/console, which the
// server serves at / (src/plugins/console.ts). Hashed asset names let the server cache
// them for ever; index.html is never cached.
import { defineConfig } from 'vite';

export default defineConfig({
  root: 'console',
  base: '/',
  // Preact's automatic JSX runtime (console/tsconfig.json says the same to tsc).
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: '../dist/console',
    emptyOutDir: true,
    assetsDir: 'assets',
    // No inline scripts or styles anywhere: the Content-Security-Policy allows neither.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'es2022',
  },
});
