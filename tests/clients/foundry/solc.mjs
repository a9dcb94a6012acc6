#!/usr/bin/env node
// The `solc` command forge runs (`solc = "solc.mjs"` in foundry.toml), over solc-js from npm:
// Solidity's own compiler built to WebAssembly, so the suite needs no native solc download.
// forge calls it two ways, and both are answered as the native compiler answers them:
// `solc --version` and `solc --standard-json [--base-path …] [--allow-paths …]` with the
// Standard JSON input on stdin (https://docs.soliditylang.org/en/latest/using-the-compiler.html).
// Imports are read from the filesystem relative to the working directory forge sets.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const solc = createRequire(import.meta.url)("solc");
const args = process.argv.slice(2);
if (args.includes("--version")) {
  console.log(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}`);
} else if (args.includes("--standard-json")) {
  const readImport = (path) => {
    try {
      return { contents: readFileSync(path, "utf8") };
    } catch (e) {
      return { error: e.message };
    }
  };
  process.stdout.write(solc.compile(readFileSync(0, "utf8"), { import: readImport }));
} else {
  console.error(`solc.mjs: only --version and --standard-json are supported, got: ${args.join(" ")}`);
  process.exit(2);
}
