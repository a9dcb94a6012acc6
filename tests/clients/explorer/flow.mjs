// The block explorer as a person uses it, in real headless Chromium: open the page of a
// 3-node `quarry-node testnet`, watch the tip advance, send a transfer with quarry-wallet,
// find it through the search box, open its block and its recipient, try bad input, see an
// ERC-20 transfer and a failed one decoded, then split
// the network (quarry_blockPeer), heal it, and see the stale branch and the reorganisation on
// the block tree page. Screenshots of every page go to the directory given.
//
// usage: node flow.mjs EXPLORER_URL
// env:   QUARRY_WALLET (path to quarry-wallet), QUARRY_SCREENSHOTS (a directory),
//        CHROMIUM (default /usr/bin/chromium)
// Prints one line per step and "flow ok" at the end; exits non-zero on the first failure.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';

const explorer = process.argv[2];
const wallet = process.env.QUARRY_WALLET;
const shots = process.env.QUARRY_SCREENSHOTS;
if (!explorer || !wallet || !shots) {
  console.error('usage: QUARRY_WALLET=… QUARRY_SCREENSHOTS=… node flow.mjs EXPLORER_URL');
  process.exit(2);
}
mkdirSync(shots, { recursive: true });
const STEP_TIMEOUT = 240_000;

function step(text) {
  console.log(`${new Date().toISOString().slice(11, 19)} ${text}`);
}

async function rpc(url, method, params = []) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const reply = await response.json();
  if (reply.error) throw new Error(`${method} on ${url}: ${reply.error.message}`);
  return reply.result;
}

async function until(what, check, timeout = STEP_TIMEOUT) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const config = await (await fetch(new URL('/config.json', explorer))).json();
const nodes = config.nodes;
if (nodes.length !== 3) throw new Error(`expected 3 nodes in /config.json, got ${nodes.length}`);

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  // The test runs as root in CI; Chromium refuses its sandbox there.
  args: ['--no-sandbox', '--disable-gpu', '--window-size=1400,1000'],
  defaultViewport: { width: 1400, height: 1000 },
  // Longer than any one wait below, so a slow step fails with its own message.
  protocolTimeout: 2 * STEP_TIMEOUT,
});
const failures = [];
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT);
  page.on('pageerror', (e) => failures.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') failures.push(`console error: ${m.text()}`);
  });
  const text = (selector) => page.$eval(selector, (el) => el.textContent);
  const shot = async (name) => {
    await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
    step(`screenshot ${name}.png`);
  };
  const search = async (query) => {
    await page.$eval('#search-input', (el) => { el.value = ''; });
    await page.type('#search-input', query);
    await page.click('#search button');
  };

  // 1. Home: the tip advances by itself (newHeads over WebSocket).
  await page.goto(explorer, { waitUntil: 'load' });
  await page.waitForSelector('#tip-number');
  const first = Number(await text('#tip-number'));
  step(`home shows tip ${first}`);
  await page.waitForFunction((n) => Number(document.querySelector('#tip-number')?.textContent) > n, {}, first);
  step(`tip advanced to ${await text('#tip-number')}`);
  await page.waitForSelector('#chart-difficulty canvas');
  await page.waitForSelector('#latest-blocks tbody tr');
  await shot('home');

  // 2. A transfer from quarry-wallet, found by hash through the search box.
  const keystore = mkdtempSync(join(tmpdir(), 'quarry-explorer-keys-'));
  // quarry-wallet --json prints one JSON object, also when it exits 3 (a mined revert).
  const walletRun = (...args) => {
    try {
      return JSON.parse(execFileSync(wallet,
        ['--json', '--rpc-url', nodes[0].rpc, '--keystore', keystore, ...args],
        { env: { ...process.env, QUARRY_PASSWORD: 'test' }, encoding: 'utf8' }));
    } catch (e) {
      if (e.status === 3 && e.stdout) return JSON.parse(e.stdout);
      throw e;
    }
  };
  const from = walletRun('import', '--dev-account', '1', '--light-kdf').address;
  const to = walletRun('new', '--light-kdf').address;
  const sent = walletRun('send', '--to', to, '--value', '1.25ether', '--from', from);
  const hash = sent.hash ?? sent.transactionHash ?? sent.receipt?.transactionHash;
  if (!hash) throw new Error(`quarry-wallet send printed no hash: ${JSON.stringify(sent)}`);
  step(`quarry-wallet sent ${hash}`);
  await search(hash);
  await page.waitForFunction((h) => document.querySelector('#tx-hash')?.textContent === h, {}, hash);
  await page.waitForFunction(() => document.querySelector('#tx-status')?.textContent === 'success');
  step('search found the transaction: success');
  await shot('transaction');

  // 3. Its block lists it; its sender's page too.
  await page.click('#tx-block a');
  await page.waitForSelector('#block-hash');
  await page.waitForSelector(`#block-txs a[href="#/tx/${hash}"]`);
  const powOk = await text('#pow');
  if (!powOk.includes('≤ target')) throw new Error(`block page's proof of work: ${powOk}`);
  step(`block ${await text('#block-hash')} lists the transaction; hash ≤ target`);
  await shot('block');
  await page.goto(`${explorer}#/address/${to}`);
  await page.waitForFunction(() => document.querySelector('#address-balance')?.textContent === '1.25 ETH');
  await page.waitForSelector(`#address-txs a[href="#/tx/${hash}"]`);
  step('the recipient\'s page shows 1.25 ETH and the transfer');
  await shot('address');

  // 4. Bad input gives a message, never a blank page.
  const badInputs = [
    ['0x12zz', 'is not hex'],
    ['123456789012345678901234567890', 'is not a block number'],
    ['99999999', 'does not exist yet'],
    [`0x${'ab'.repeat(32)}`, 'No transaction or block has hash'],
    ['hello world', 'is not a block number, a hash'],
  ];
  for (const [input, expected] of badInputs) {
    await search(input);
    await page.waitForFunction((e) => document.querySelector('#search-message .notice.error')?.textContent.includes(e), {}, expected);
    step(`search ${JSON.stringify(input.slice(0, 20))}: "${(await text('#search-message')).slice(0, 70)}…"`);
  }
  await shot('bad-input');
  const unused = `0x${'5e'.repeat(20)}`;
  await search(unused);
  await page.waitForSelector('#address-unused');
  step('an unknown address says it has no activity');

  // 5. An ERC-20 transfer decoded (built-in EIP-20 ABI), and a mined revert with its reason
  // decoded (EIP-6093's ERC20InsufficientBalance, OpenZeppelin's).
  const artifact = new URL('../../../examples/contracts/out/QuarryToken.json', import.meta.url).pathname;
  const token = walletRun('deploy', artifact, 'Quarry Token', 'QRY', '1000ether', '--from', from).contractAddress;
  const tokenTransfer = walletRun('send', token, 'transfer(address,uint256)', to, '10ether', '--from', from);
  await search(tokenTransfer.hash);
  await page.waitForFunction(() => document.querySelector('#tx-call')?.textContent.startsWith('transfer(to: '));
  await page.waitForFunction(() => document.querySelector('#tx-logs')?.textContent.includes('Transfer(from: '));
  step(`token transfer decoded: ${await text('#tx-call')}`);
  await shot('token-transfer');
  const reverted = walletRun('send', token, 'transfer(address,uint256)', from, '11ether', '--from', to, '--gas-limit', '100000');
  if (reverted.receipt?.status !== 0) throw new Error(`expected a mined revert: ${JSON.stringify(reverted)}`);
  await search(reverted.hash);
  await page.waitForFunction(() => document.querySelector('#tx-status')?.textContent === 'failed');
  await page.waitForFunction(() => document.querySelector('#tx-revert')?.textContent.startsWith('ERC20InsufficientBalance('));
  step(`failed transaction's reason: ${await text('#tx-revert')}`);
  await shot('reverted-transaction');

  // 6. Peers page names the other nodes.
  await page.goto(`${explorer}#/peers`);
  await page.waitForSelector('.card[data-node="node-2"] table.peers');
  await shot('peers');

  // 7. Split node-2 from node-0 and node-1, let both sides mine, heal: a stale branch.
  await page.goto(`${explorer}#/tree`);
  await page.waitForSelector('#tree-canvas canvas');
  const ids = await Promise.all(nodes.map(async (n) => (await rpc(n.rpc, 'quarry_nodeInfo')).p2p));
  const pairs = [[2, 0], [2, 1], [0, 2], [1, 2]];
  for (const [a, b] of pairs) await rpc(nodes[a].rpc, 'quarry_blockPeer', [ids[b].peerId]);
  const split = Number(await rpc(nodes[0].rpc, 'eth_blockNumber'));
  step(`partition: node-2 | node-0, node-1 at height ${split}`);
  const hashAt = async (n, height) => (await rpc(n.rpc, 'eth_getBlockByNumber', [`0x${height.toString(16)}`, false]))?.hash;
  await until('both sides of the partition to mine past the split', async () => {
    const tips = await Promise.all(nodes.map(async (n) => Number(await rpc(n.rpc, 'eth_blockNumber'))));
    const low = Math.min(tips[0], tips[2]);
    return low > split + 1 && (await hashAt(nodes[0], low)) !== (await hashAt(nodes[2], low));
  });
  await page.waitForSelector('#fork-blocks tbody tr');
  step('the tree shows the fork while the network is split');
  await shot('tree-partitioned');
  for (const [a, b] of pairs) await rpc(nodes[a].rpc, 'quarry_unblockPeer', [ids[b].peerId]);
  await rpc(nodes[2].rpc, 'quarry_addPeer', [ids[0].listen[0]]);
  await rpc(nodes[2].rpc, 'quarry_addPeer', [ids[1].listen[0]]);
  step('healed');
  await until('the three nodes to agree on a block above the split', async () => {
    const tips = await Promise.all(nodes.map(async (n) => Number(await rpc(n.rpc, 'eth_blockNumber'))));
    const low = Math.min(...tips);
    if (low <= split + 1) return false;
    const hashes = await Promise.all(nodes.map((n) => hashAt(n, low)));
    return hashes.every((x) => x === hashes[0]);
  });
  step('the nodes agree again');
  await page.waitForSelector('#stale-blocks li');
  await page.waitForSelector('#reorgs li');
  step(`stale blocks: ${(await page.$$('#stale-blocks li')).length}; reorganisation logged: "${(await text('#reorgs li')).slice(0, 90)}…"`);
  await shot('tree');

  // 8. A stale block's page says so.
  await page.click('#stale-blocks li a');
  await page.waitForFunction(() => document.querySelector('#block-status')?.textContent === 'stale');
  step('a stale block\'s page marks it stale');
  await shot('stale-block');
} finally {
  await browser.close();
}
if (failures.length) {
  console.error(failures.join('\n'));
  process.exit(1);
}
console.log('flow ok');
