/// <reference types="vitest/config" />
import { defineConfig } from "vite";

// The Tauri shell loads http://localhost:1420 in development and ../ui/dist
// when built, so the port is fixed and asset paths are relative.
export default defineConfig({
  base: "./",
  clearScreen: false,
  server: { port: 1420, strictPort: true },
  build: { outDir: "dist", emptyOutDir: true, target: "es2022" },
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  test: {
    environment: "happy-dom",
    include: ["tests/**/*.test.{ts,tsx}"],
    setupFiles: ["tests/setup.ts"],
  },
});
