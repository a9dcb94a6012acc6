// ethers.js v6, unmodified and with its default settings, against a Quarry dev node: send
// value, deploy the example ERC-20, transfer tokens, read balances (now and at an older block),
// see a failing call's revert reason, and receive events the default way: `contract.on` and
// `provider.on("pending")` install filters (eth_newFilter, eth_newPendingTransactionFilter)
// and poll eth_getFilterChanges; `provider.on("block")` polls the block number.
// Usage: node flow.mjs http://127.0.0.1:PORT   (exit 0 on success, 1 with a message otherwise)
// The last line, `RESULT {...}`, holds what the flow observed that any correct node must answer
// the same (gas used, balances, decoded errors, event arguments, the token's address):
// tests/tests/clients.rs runs the flow against Quarry and against anvil and compares them.
import { readFileSync } from "node:fs";
import { ethers } from "ethers";

const url = process.argv[2] ?? "http://127.0.0.1:8545";
const artifact = JSON.parse(
  readFileSync(new URL("../../../examples/contracts/out/QuarryToken.json", import.meta.url)),
);
// The dev mnemonic's accounts 4 and 5 (the other suites use 0-3).
const KEY4 = "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a";
const KEY5 = "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba";

const result = {};
function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

// Default options: no polling override, so events use ethers' filter subscribers.
const provider = new ethers.JsonRpcProvider(url);
const alice = new ethers.Wallet(KEY4, provider);
const bob = new ethers.Wallet(KEY5, provider);

const network = await provider.getNetwork();
check(network.chainId === 1337n, `chain id ${network.chainId}`);
const fresh = ethers.Wallet.createRandom().address;

// Value transfer (EIP-1559 fees from eth_feeHistory / eth_maxPriorityFeePerGas).
const sent = await alice.sendTransaction({ to: fresh, value: ethers.parseEther("1.25") });
const sentReceipt = await sent.wait();
check(sentReceipt.status === 1, "transfer status");
result.transferGasUsed = sentReceipt.gasUsed.toString();
check((await provider.getBalance(fresh)) === ethers.parseEther("1.25"), "fresh balance");
const block = await provider.getBlock(sentReceipt.blockNumber, true);
check(block.hash === sentReceipt.blockHash, "block by number");
check(block.baseFeePerGas !== null, "baseFeePerGas");
// State at an older block tag: the fresh address was empty before the transfer's block.
check((await provider.getBalance(fresh, sentReceipt.blockNumber - 1)) === 0n, "balance at an older block");

// Deploy the ERC-20 and use it.
const factory = new ethers.ContractFactory(artifact.abi, artifact.bytecode, alice);
const token = await factory.deploy("Quarry Token", "QRY", ethers.parseEther("1000"));
await token.waitForDeployment();
const address = await token.getAddress();
result.token = address;
result.deployGasUsed = (await token.deploymentTransaction().wait()).gasUsed.toString();
check((await provider.getCode(address)).length > 2, "deployed code");
check((await token.symbol()) === "QRY", "symbol");
// WebSocket subscriptions (eth_subscribe newHeads and logs) on the same port.
const ws = new ethers.WebSocketProvider(url.replace(/^http/, "ws"));
const timeout = (promise, what) =>
  Promise.race([promise, new Promise((_, fail) => setTimeout(() => fail(new Error(`no ${what} in 60 s`)), 60000))]);
const head = timeout(new Promise((resolve) => ws.once("block", resolve)), "newHeads");
const transferTopic = token.interface.getEvent("Transfer").topicHash;
const logSeen = timeout(new Promise((resolve) => ws.once({ address, topics: [transferTopic] }, resolve)), "logs");
await new Promise((resolve) => setTimeout(resolve, 500)); // let the subscriptions register

// The same over HTTP with ethers' defaults: filters installed and polled.
const onTransfer = timeout(new Promise((resolve) => {
  token.on("Transfer", (from, to, value, event) => resolve({ from, to, value, event }));
}), "contract.on Transfer over HTTP");
const onPending = timeout(new Promise((resolve) => provider.on("pending", resolve)), "pending over HTTP");
const onBlock = timeout(new Promise((resolve) => provider.once("block", resolve)), "block over HTTP");
await new Promise((resolve) => setTimeout(resolve, 1000)); // let the filters install

const tx = await token.transfer(bob.address, ethers.parseEther("10"));
const receipt = await tx.wait();
check(typeof (await head) === "number", "newHeads notification");
const log = await logSeen;
check(log.transactionHash === receipt.hash, `logs notification for ${log.transactionHash}`);
await ws.destroy();
result.tokenTransferGasUsed = receipt.gasUsed.toString();
const transfer = await onTransfer;
result.onTransfer = [transfer.from, transfer.to, transfer.value.toString()];
check(transfer.to === bob.address && transfer.value === ethers.parseEther("10"), "contract.on Transfer args");
check(transfer.event.log.transactionHash === receipt.hash, "contract.on Transfer log");
check(typeof (await onPending) === "string", "provider.on pending hash");
check(typeof (await onBlock) === "number", "provider.on block");
await token.removeAllListeners();
await provider.removeAllListeners();
// A call at the block before the transfer sees bob without tokens.
check((await token.balanceOf(bob.address, { blockTag: receipt.blockNumber - 1 })) === 0n, "call at an older block");
check(receipt.status === 1 && receipt.logs.length === 1, "transfer event");
check((await token.balanceOf(bob.address)) === ethers.parseEther("10"), "bob's tokens");
check((await token.balanceOf(alice.address)) === ethers.parseEther("990"), "alice's tokens");
const events = await token.queryFilter(token.filters.Transfer(alice.address), 0, "latest");
check(events.length === 1, `Transfer logs from alice: ${events.length}`);
result.aliceTransfers = events.map((e) => [e.args[0], e.args[1], e.args[2].toString()]);
const minted = await token.queryFilter(token.filters.Transfer(ethers.ZeroAddress, alice.address), 0, "latest");
check(minted.length === 1, `mint log: ${minted.length}`);

// Bob moves more than he has: ethers decodes the custom error from the revert data.
try {
  await token.connect(bob).transfer.staticCall(alice.address, ethers.parseEther("11"));
  check(false, "the call should revert");
} catch (e) {
  check(e.code === "CALL_EXCEPTION", `error code ${e.code}`);
  check(e.data?.startsWith("0xe450d38c"), `revert data ${e.data}`);
  check(e.revert?.name === "ERC20InsufficientBalance", `decoded revert ${e.revert?.name}`);
  result.callRevert = [e.code, e.data];
}
try {
  await token.connect(bob).transfer(alice.address, ethers.parseEther("11"));
  check(false, "the transaction should fail at estimation");
} catch (e) {
  check(e.code === "CALL_EXCEPTION", `send error code ${e.code}`);
  // The estimate's revert data, decoded with the contract's ABI.
  check(token.interface.parseError(e.data)?.name === "ERC20InsufficientBalance", `send revert data ${e.data}`);
}
// A nonce already used: ethers maps geth's words to NONCE_EXPIRED.
try {
  await alice.sendTransaction({ to: fresh, value: 1n, nonce: 0 });
  check(false, "nonce 0 should be too low");
} catch (e) {
  check(e.code === "NONCE_EXPIRED", `stale nonce error code ${e.code}`);
  result.staleNonce = e.code;
}
result.freshBalance = (await provider.getBalance(fresh)).toString();
result.tokenBalances = [
  (await token.balanceOf(alice.address)).toString(),
  (await token.balanceOf(bob.address)).toString(),
];
console.log(`ethers ${ethers.version}: flow ok (token ${address})`);
console.log(`RESULT ${JSON.stringify(result)}`);
provider.destroy();
