// foundry's cast and forge 1.x (npm, unmodified, default settings) against a dev node:
// `forge create`, a `forge script --broadcast` whose salted deployment goes through the
// deterministic CREATE2 deployer, then the transactions of src/Traced.sol, each traced with
// `cast rpc debug_traceTransaction` (callTracer, prestateTracer with and without diffMode, the
// struct logger), replayed with `cast run`, and read back with `cast proof`, `cast access-list`,
// `cast balance --block` and `cast logs`.
// Usage: node flow.mjs http://127.0.0.1:PORT   (exit 0 on success, 1 with a message otherwise)
// The last line, `RESULT {...}`, holds everything any correct node must answer the same:
// tests/tests/clients.rs runs the flow against Quarry and against anvil and compares them
// field by field. What differs between two chains by nature is left out and said where: block
// numbers and hashes, the miner's address and fee income, and the state root above a proof.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

const url = process.argv[2] ?? "http://127.0.0.1:8545";
const here = new URL(".", import.meta.url).pathname;
// The dev mnemonic's accounts 6 and 7.
const KEY6 = "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e";
const KEY7 = "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356";
const CREATE2_DEPLOYER = "0x4e59b44847b379578588920cA78FbF26c0B4956C";

const result = {};
function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

/// Runs a foundry tool from node_modules/.bin in this directory; its stdout, trimmed.
function tool(name, args) {
  try {
    return execFileSync(`${here}node_modules/.bin/${name}`, args, {
      cwd: here,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1" },
    }).trim();
  } catch (e) {
    throw new Error(`${name} ${args.join(" ")} failed:\n${e.stdout}\n${e.stderr}`);
  }
}
const cast = (...args) => tool("cast", args);
const castJson = (...args) => JSON.parse(cast(...args, "--json"));
/// A JSON-RPC request straight to the node, for the traces beyond the one `cast rpc` fetches.
async function rpc(method, ...params) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = await response.json();
  if (body.error) throw new Error(`${method} ${JSON.stringify(params)}: ${JSON.stringify(body.error)}`);
  return body.result;
}

check(cast("chain-id", "--rpc-url", url) === "1337", "chain id");

// forge create: compiles the project (solc-js through solc.mjs) and deploys with value.
const created = JSON.parse(tool("forge", [
  "create", "src/Traced.sol:Traced", "--rpc-url", url, "--private-key", KEY6,
  "--broadcast", "--value", "1ether", "--json",
]));
const traced = created.deployedTo;
result.forgeCreate = traced;
const child = cast("call", "--rpc-url", url, traced, "child()(address)");
result.child = child;
check(cast("call", "--rpc-url", url, child, "value()(uint256)") === "7", "child's value");

// forge script --broadcast: the salted `new Child{salt: …}` is sent to the CREATE2 deployer.
tool("forge", ["script", "script/Deploy.s.sol", "--rpc-url", url, "--private-key", KEY6, "--broadcast"]);
const broadcast = JSON.parse(readFileSync(`${here}broadcast/Deploy.s.sol/1337/run-latest.json`, "utf8"));
check(broadcast.transactions.length === 2, `script transactions: ${broadcast.transactions.length}`);
const [deploy] = broadcast.transactions;
check(deploy.transaction.to.toLowerCase() === CREATE2_DEPLOYER.toLowerCase(), `CREATE2 through ${deploy.transaction.to}`);
const initCode = `0x${deploy.transaction.input.slice(66)}`;
const predicted = cast("create2", "--deployer", CREATE2_DEPLOYER,
  "--salt", "0x" + (0x5157).toString(16).padStart(64, "0"), "--init-code", initCode);
check(deploy.contractAddress.toLowerCase() === predicted.toLowerCase(), `script address ${deploy.contractAddress} vs ${predicted}`);
check(cast("call", "--rpc-url", url, predicted, "value()(uint256)") === "43", "the script's call");
result.forgeScript = [predicted, broadcast.receipts.map((r) => [r.status, BigInt(r.gasUsed).toString()])];

// The traced transactions: fixed gas limit and legacy gas price, so that the same signed
// transaction (same hash) runs on both nodes, from the same pre-state. The out-of-gas loops
// get less gas, to keep their struct logs to some thousands of steps.
const salt = "0x" + "ab".repeat(32);
const cases = [
  ["relay", [traced, "relay(uint256)", "9"]],
  ["tryFail", [traced, "tryFail(uint256)", "5"]],
  ["failHere", [traced, "failHere()"]],
  ["make", [traced, "make(uint256,bytes32)", "11", salt, "--value", "1000000"]],
  ["destroy", [traced, "destroy(address)", child, "--value", "77"]],
  ["precompiles", [traced, "precompiles()"]],
  ["starve", [traced, "starve()", "--gas-limit", "100000"]],
  ["exhaust", [traced, "exhaust()", "--gas-limit", "60000"]],
  ["transfer", ["0x000000000000000000000000000000000000dEaD", "--value", "12345"]],
];
const block = (number) => castJson("block", "--rpc-url", url, number);
const txs = {};
for (const [name, args] of cases) {
  const gas = args.includes("--gas-limit") ? [] : ["--gas-limit", "1000000"];
  const receipt = castJson("send", "--rpc-url", url, "--private-key", KEY7, "--legacy",
    "--gas-price", "5gwei", ...gas, ...args);
  txs[name] = receipt;
}
result.statuses = Object.fromEntries(Object.entries(txs).map(([name, r]) =>
  [name, [r.transactionHash, r.status, BigInt(r.gasUsed).toString()]]));
check(txs.failHere.status === "0x0" && txs.exhaust.status === "0x0", "the failing transactions failed");
check(txs.relay.status === "0x1" && txs.starve.status === "0x1", "the others succeeded");

// The miner's account is in every prestate (it earns the priority fee); who mines and what it
// earns differ between chains by nature, so it is set aside.
function withoutMiner(prestate, miner) {
  const drop = (accounts) => Object.fromEntries(
    Object.entries(accounts).filter(([address]) => address.toLowerCase() !== miner.toLowerCase()));
  return "pre" in prestate ? { pre: drop(prestate.pre), post: drop(prestate.post) } : drop(prestate);
}
// Where anvil (revm-inspectors) shapes a trace differently from geth, which Quarry follows
// (go-ethereum eth/tracers), anvil's answer is brought to geth's form before comparing, and
// nothing else is touched:
// - struct logger: every step carries `"refund": 0` (geth omits a zero refund); storage keys and
//   values carry `0x` (geth prints them with `%x`); on the step that failed, anvil prints the
//   halt as a Rust debug string ("Some(ReentrancySentryOOG)") and the slot's old value where
//   geth names the error and the value SSTORE tried to write, so that step's `error` and
//   `storage` are left out on both sides (its pc, op, gas, cost, depth and stack still count);
// - callTracer: the top frame's `gas` is the gas left after intrinsic gas (geth: the
//   transaction's gas limit), so it is replaced by the limit;
// - prestateTracer: accounts the transaction created, which did not exist before, are listed
//   with a zero balance (geth removes them: "the new created contracts' prestate were empty").
const strip0x = (text) => (text.startsWith("0x") ? text.slice(2) : text);
function structLogsAsGeth(trace) {
  return {
    ...trace,
    structLogs: trace.structLogs.map((step) => {
      const { refund, storage, error, ...rest } = step;
      const out = { ...rest };
      if (refund) out.refund = refund;
      if (storage && !error) {
        out.storage = Object.fromEntries(Object.entries(storage).map(([k, v]) => [strip0x(k), strip0x(v)]));
      }
      if (error) out.failed = true;
      return out;
    }),
  };
}
function createdBy(frame) {
  const own = ["CREATE", "CREATE2"].includes(frame.type) && !frame.error ? [frame.to.toLowerCase()] : [];
  return own.concat(...(frame.calls ?? []).map(createdBy));
}
function withoutCreatedEmpty(accounts, created) {
  return Object.fromEntries(Object.entries(accounts).filter(([address, account]) =>
    !(created.includes(address.toLowerCase()) && BigInt(account.balance ?? 0) === 0n && !account.nonce && !account.code)));
}
result.traces = {};
for (const [name, receipt] of Object.entries(txs)) {
  const hash = receipt.transactionHash;
  const miner = block(receipt.blockNumber).miner;
  const trace = (config) => rpc("debug_traceTransaction", hash, config);
  const callTracer = JSON.parse(cast("rpc", "--rpc-url", url, "debug_traceTransaction", hash, '{"tracer":"callTracer"}'));
  const limit = `0x${BigInt(receipt.gasLimit ?? (await rpc("eth_getTransactionByHash", hash)).gas).toString(16)}`;
  const created = createdBy(callTracer);
  const diff = withoutMiner(await trace({ tracer: "prestateTracer", tracerConfig: { diffMode: true } }), miner);
  result.traces[name] = {
    callTracer: { ...callTracer, gas: limit },
    callTracerWithLog: { ...(await trace({ tracer: "callTracer", tracerConfig: { withLog: true } })), gas: limit },
    prestateTracer: withoutCreatedEmpty(withoutMiner(await trace({ tracer: "prestateTracer" }), miner), created),
    prestateDiff: { pre: withoutCreatedEmpty(diff.pre, created), post: diff.post },
    structLogs: structLogsAsGeth(await trace({})),
  };
}

// cast run replays the transaction locally (revm, state fetched at the parent block) and
// prints its call trace; the lines are compared (the header names block and chain).
const replay = cast("run", "--rpc-url", url, txs.relay.transactionHash);
result.castRun = replay.split("\n").filter((line) => /^\s*[├└│\[]/.test(line) || line.includes("Traces:"));
// cast names the selector only when it can look it up (openchain's signature service, or a
// local cache a user filled); offline it prints the selector and raw arguments: set(uint256)
// is 0x60fe47b1, and the argument is 9.
const innerCall = /set\(9\)|::60fe47b1\(0{63}9\)/;
check(result.castRun.some((line) => innerCall.test(line)), `cast run shows the inner call:\n${replay}`);

// cast proof (EIP-1186): the account's fields and the storage proof are chain-independent;
// the account proof hangs under the state root, which is not, so only its use is checked.
const proof = castJson("proof", "--rpc-url", url, traced, "1");
check(proof.accountProof.length > 0, "an account proof");
result.proof = {
  balance: proof.balance, nonce: proof.nonce, codeHash: proof.codeHash,
  storageHash: proof.storageHash, storageProof: proof.storageProof,
};
check(BigInt(proof.storageProof[0].value) === 4n, `count slot ${proof.storageProof[0].value}`);

// cast access-list (eth_createAccessList) for a call that touches both contracts.
// EIP-2930 gives the list's order no meaning (geth answers in map order, anvil's varies from
// run to run), so it is compared sorted.
const accessList = castJson("access-list", "--rpc-url", url, "--from", "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955",
  traced, "relay(uint256)", "10");
accessList.accessList = accessList.accessList
  .map((item) => ({ address: item.address.toLowerCase(), storageKeys: [...item.storageKeys].sort() }))
  .sort((a, b) => a.address.localeCompare(b.address));
result.accessList = accessList;

// cast balance at the block before and after the transfer.
const transferBlock = BigInt(txs.transfer.blockNumber);
result.balances = ["0", "1"].map((delta) => cast("balance", "--rpc-url", url, "--block",
  (transferBlock - 1n + BigInt(delta)).toString(), "0x000000000000000000000000000000000000dEaD"));
check(result.balances[1] === "12345", `balance after the transfer ${result.balances[1]}`);

// cast logs: the Counted events of the traced contract, by signature and indexed sender.
const logs = castJson("logs", "--rpc-url", url, "--from-block", "0", "--address", traced,
  "Counted(address indexed,uint256)", "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955");
check(logs.length === 1, `Counted logs: ${logs.length}`);
result.logs = logs.map((log) => [log.address, log.topics, log.data, log.transactionHash]);

console.log(`${cast("--version").split("\n")[0]}: flow ok (Traced at ${traced})`);
console.log(`RESULT ${JSON.stringify(result)}`);
