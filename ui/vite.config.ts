import { defineConfig } from "vitest/config";

// The app loads the built files from ui/dist (no dev server): relative asset paths.
export default defineConfig({
  base: "./",
  build: { outDir: "dist", emptyOutDir: true, target: "safari15" },
  test: { environment: "jsdom", globals: true, include: ["src/**/*.test.{ts,tsx}"] },
});
