// The dashboard's build: web/ in, dist/web out (served by `promptune serve` and `promptune ui` at /).
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // a small app: one script and one stylesheet, so the first page needs nothing else
    chunkSizeWarningLimit: 600,
  },
});
