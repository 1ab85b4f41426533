import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// `vite build` → dist/ (served by the console service); `vite` (dev) proxies the console's API
// to CONSOLE_URL (default http://127.0.0.1:8085, the demo's console).
const consoleUrl = process.env.CONSOLE_URL ?? 'http://127.0.0.1:8085';

export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1000 },
  server: {
    proxy: {
      '/api': { target: consoleUrl, changeOrigin: true },
      '/auth': { target: consoleUrl, changeOrigin: true },
    },
  },
});
