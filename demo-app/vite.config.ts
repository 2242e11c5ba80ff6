// Workspace packages resolve to their TypeScript sources (the `source` export condition), so the
// app builds on a fresh clone without building the packages first.
import { defaultClientConditions, defineConfig } from 'vite';

export default defineConfig({
  resolve: { conditions: ['source', ...defaultClientConditions] },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
});
