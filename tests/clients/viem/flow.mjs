// viem 2, unmodified and with its default settings (HTTP transport, default polling), against
// a dev node: send value and read the balance at the block before; deploy the example ERC-20;
// simulate then write a transfer; see it through a contract event filter
// (eth_newFilter + eth_getFilterChanges) and through `watchContractEvent`; batch reads with
// `multicall` through Multicall3 at its canonical address; decode a custom error from a
// failed simulation.
// Usage: node flow.mjs http://127.0.0.1:PORT   (exit 0 on success, 1 with a message otherwise)
// The last line, `RESULT {...}`, holds what any correct node must answer the same:
// tests/tests/clients.rs runs the flow against Quarry and against anvil and compares them.
import { readFileSync } from "node:fs";
import {
  BaseError, ContractFunctionRevertedError, createPublicClient, createWalletClient, defineChain,
  getAddress, http, parseEther,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { localhost } from "viem/chains";
// viem's copy of Multicall3's creation code (what it runs for `deployless` multicalls); not
// among viem's public exports, so read from its module file.
const { multicall3Bytecode } = await import(
  new URL("./node_modules/viem/_esm/constants/contracts.js", import.meta.url)
);

const url = process.argv[2] ?? "http://127.0.0.1:8545";
const artifact = JSON.parse(
  readFileSync(new URL("../../../examples/contracts/out/QuarryToken.json", import.meta.url)),
);
// The dev mnemonic's accounts 8 and 9.
const alice = privateKeyToAccount("0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97");
const bob = privateKeyToAccount("0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6");
const MULTICALL3 = "0xcA11bde05977b3631167028862bE2a173976CA11";

// How a user describes a local chain to viem: viem's `localhost` (chain id 1337) with the
// Multicall3 address `multicall` needs.
const chain = defineChain({ ...localhost, contracts: { multicall3: { address: MULTICALL3 } } });
const client = createPublicClient({ chain, transport: http(url) });
const wallet = createWalletClient({ chain, transport: http(url), account: alice });

const result = {};
function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}
const timeout = (promise, what) =>
  Promise.race([promise, new Promise((_, fail) => setTimeout(() => fail(new Error(`no ${what} in 60 s`)), 60000))]);

check((await client.getChainId()) === 1337, "chain id");

// Value transfer, then the balance now and at the block before.
const fresh = privateKeyToAccount(`0x${"42".repeat(32)}`).address;
const sent = await wallet.sendTransaction({ to: fresh, value: parseEther("0.5") });
const sentReceipt = await client.waitForTransactionReceipt({ hash: sent });
check(sentReceipt.status === "success", "transfer status");
result.transferGasUsed = sentReceipt.gasUsed.toString();
check((await client.getBalance({ address: fresh })) === parseEther("0.5"), "fresh balance");
check((await client.getBalance({ address: fresh, blockNumber: sentReceipt.blockNumber - 1n })) === 0n,
  "balance at the block before");

// Multicall3 is where viem looks for it, with its canonical code: the code a deployment of
// viem's own copy of Multicall3's creation code leaves.
const copy = await wallet.sendTransaction({ data: multicall3Bytecode });
const copyReceipt = await client.waitForTransactionReceipt({ hash: copy });
const canonical = await client.getCode({ address: copyReceipt.contractAddress });
check(canonical && canonical.length > 2, "Multicall3 deployed from viem's creation code");
check((await client.getCode({ address: MULTICALL3 })) === canonical, "the predeployed Multicall3 is the canonical one");

// Deploy the ERC-20.
const deployHash = await wallet.deployContract({
  abi: artifact.abi, bytecode: artifact.bytecode, args: ["Quarry Token", "QRY", parseEther("1000")],
});
const deployed = await client.waitForTransactionReceipt({ hash: deployHash });
const token = getAddress(deployed.contractAddress);
result.token = token;
result.deployGasUsed = deployed.gasUsed.toString();
const erc20 = { address: token, abi: artifact.abi };

// A contract event filter and a watcher, both installed before the transfer.
const filter = await client.createContractEventFilter({ ...erc20, eventName: "Transfer" });
const watched = timeout(new Promise((resolve) => {
  const unwatch = client.watchContractEvent({
    ...erc20, eventName: "Transfer", onLogs: (logs) => { unwatch(); resolve(logs); },
  });
}), "watchContractEvent Transfer");
await new Promise((resolve) => setTimeout(resolve, 1500)); // let the watcher install its filter

// Simulate, then write what the simulation returned.
const { request, result: simulated } = await client.simulateContract({
  ...erc20, functionName: "transfer", args: [bob.address, parseEther("10")], account: alice,
});
check(simulated === true, "simulated transfer returns true");
const transfer = await client.waitForTransactionReceipt({ hash: await wallet.writeContract(request) });
check(transfer.status === "success", "transfer receipt");
result.tokenTransferGasUsed = transfer.gasUsed.toString();

const changes = await client.getFilterChanges({ filter });
check(changes.length === 1, `filter changes: ${changes.length}`);
const [change] = changes;
check(change.transactionHash === transfer.transactionHash, "the filter saw the transfer");
result.filterChanges = changes.map((l) => [l.eventName, l.args.from, l.args.to, l.args.value.toString()]);
const [seen] = await watched;
check(seen.transactionHash === transfer.transactionHash, "watchContractEvent saw the transfer");
result.watched = [seen.eventName, seen.args.from, seen.args.to, seen.args.value.toString()];
await client.uninstallFilter({ filter });

// multicall: four reads in one eth_call through Multicall3.
const reads = await client.multicall({
  allowFailure: false,
  contracts: [
    { ...erc20, functionName: "balanceOf", args: [alice.address] },
    { ...erc20, functionName: "balanceOf", args: [bob.address] },
    { ...erc20, functionName: "symbol" },
    { ...erc20, functionName: "totalSupply" },
  ],
});
result.multicall = reads.map(String);
check(reads[1] === parseEther("10") && reads[2] === "QRY", `multicall ${result.multicall}`);
// The same read at the block before the transfer.
const before = await client.readContract({
  ...erc20, functionName: "balanceOf", args: [bob.address], blockNumber: transfer.blockNumber - 1n,
});
check(before === 0n, "balanceOf at the block before");

// A transfer bob cannot afford: the simulation's revert decodes to the ERC-20's custom error.
try {
  await client.simulateContract({
    ...erc20, functionName: "transfer", args: [alice.address, parseEther("11")], account: bob,
  });
  check(false, "the simulation should revert");
} catch (e) {
  const reverted = e instanceof BaseError && e.walk((inner) => inner instanceof ContractFunctionRevertedError);
  check(reverted, `a revert error: ${e.shortMessage ?? e}`);
  result.revert = [reverted.data?.errorName, reverted.data?.args?.map(String)];
  check(reverted.data?.errorName === "ERC20InsufficientBalance", `decoded ${reverted.data?.errorName}`);
}
console.log(`viem ${(await import("viem/package.json", { with: { type: "json" } })).default.version}: flow ok (token ${token})`);
console.log(`RESULT ${JSON.stringify(result)}`);
