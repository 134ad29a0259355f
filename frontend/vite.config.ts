/// <reference types="vitest/config" />
import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

// The production bundle goes straight into ../assets, which the Rust binary embeds with
// rust-embed. Hashed file names under assets/assets/ keep caching safe; the build is
// byte-identical run to run, which `npm run check-assets` relies on.
const backend = process.env.OVERLORD_URL ?? 'http://127.0.0.1:8770'

export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: '../assets',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: {
      '/api': { target: backend, changeOrigin: false },
      '/healthz': { target: backend },
      '/ws': { target: backend.replace(/^http/, 'ws'), ws: true },
    },
  },
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts'],
    reporters: ['default', './scripts/vitest-summary.mjs'],
  },
})
