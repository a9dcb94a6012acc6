// Compiles DIR/src/*.sol with the solc pinned in DIR/package.json (solc-js, no native binary)
// and writes DIR/out/<Contract>.json = {contractName, sourceName, abi, bytecode,
// deployedBytecode, compiler} for every contract with code (interfaces are skipped). DIR is the
// first argument, default this script's directory (the oracle's contracts/build.sh passes its
// own). Imports resolve from DIR/node_modules, DIR, then the repository root (so examples can
// `import "oracle/contracts/src/AggregatorV3Interface.sol"`). Same inputs give byte-identical
// artifacts, so `git diff out/` after a rebuild shows whether the committed artifacts are current.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const scriptDir = path.dirname(fileURLToPath(import.meta.url));
const here = process.argv[2] ? path.resolve(process.argv[2]) : scriptDir;
const repoRoot = path.resolve(scriptDir, "..", "..");
const require = createRequire(path.join(here, "package.json"));
const solc = require("solc");
const srcDir = path.join(here, "src");
const outDir = path.join(here, "out");

const settings = {
  evmVersion: "cancun",
  optimizer: { enabled: true, runs: 200 },
  outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
};

const sources = {};
for (const file of fs.readdirSync(srcDir).filter((f) => f.endsWith(".sol")).sort()) {
  sources[`src/${file}`] = { content: fs.readFileSync(path.join(srcDir, file), "utf8") };
}

function findImports(importPath) {
  const candidates = [
    path.join(here, "node_modules", importPath),
    path.join(here, importPath),
    path.join(repoRoot, importPath),
  ];
  for (const candidate of candidates) {
    if (fs.existsSync(candidate)) return { contents: fs.readFileSync(candidate, "utf8") };
  }
  return { error: `import not found: ${importPath} (run npm ci first)` };
}

const output = JSON.parse(
  solc.compile(JSON.stringify({ language: "Solidity", sources, settings }), { import: findImports }),
);
const errors = (output.errors ?? []).filter((e) => e.severity === "error");
for (const e of output.errors ?? []) console.error(e.formattedMessage);
if (errors.length > 0) process.exit(1);

fs.mkdirSync(outDir, { recursive: true });
for (const sourceName of Object.keys(sources)) {
  for (const [contractName, contract] of Object.entries(output.contracts[sourceName] ?? {})) {
    if (contract.evm.bytecode.object.length === 0) continue; // an interface
    const artifact = {
      contractName,
      sourceName,
      abi: contract.abi,
      bytecode: `0x${contract.evm.bytecode.object}`,
      deployedBytecode: `0x${contract.evm.deployedBytecode.object}`,
      compiler: { solc: solc.version(), evmVersion: settings.evmVersion, optimizer: settings.optimizer },
    };
    const file = path.join(outDir, `${contractName}.json`);
    fs.writeFileSync(file, JSON.stringify(artifact, null, 2) + "\n");
    console.log(`${file}: ${contract.evm.bytecode.object.length / 2} bytes of initcode`);
  }
}
