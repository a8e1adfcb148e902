// Bundles the extension with esbuild (dist/extension.js), or the unit tests (out/test/*.test.js).
// Usage: node scripts/build.mjs [--production] [--watch] [--tests]
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const flags = new Set(process.argv.slice(2));
const production = flags.has("--production");

const common = {
  bundle: true,
  platform: "node",
  target: "node18",
  format: "cjs",
  logLevel: "warning",
  absWorkingDir: root,
};

const options = flags.has("--tests")
  ? {
      ...common,
      entryPoints: readdirSync(join(root, "test"))
        .filter((f) => f.endsWith(".test.ts"))
        .map((f) => `test/${f}`),
      outdir: "out/test",
      sourcemap: "inline",
    }
  : {
      ...common,
      entryPoints: ["src/extension.ts"],
      outfile: "dist/extension.js",
      external: ["vscode"],
      minify: production,
      sourcemap: !production,
      sourcesContent: false,
    };

if (flags.has("--watch")) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
  console.log("watching for changes…");
} else {
  await esbuild.build(options);
}
