// An address: balance, nonce, code, the contract's creator, which node mines to it, and its
// transactions (`ots_searchTransactionsBefore`, newest first).

import {
  count, ether, fields, h, link, minerName, notice, num, short, table,
} from '../format.js';

/** Transactions listed per page. */
const PAGE_SIZE = 25;

export async function render(ctx, arg) {
  const node = ctx.node;
  if (!/^0x[0-9a-fA-F]{40}$/.test(arg ?? '')) {
    return notice('error', `"${arg}" is not an address (0x and 40 hex digits).`);
  }
  let address;
  try {
    address = window.ethers.getAddress(arg);
  } catch {
    return notice('error', `${arg} has a wrong EIP-55 checksum: a mistyped address? Retype it, or in all lower case to skip the check.`);
  }
  const [balance, nonce, code, history, creator] = await Promise.all([
    node.call('eth_getBalance', [address, 'latest']),
    node.call('eth_getTransactionCount', [address, 'latest']),
    node.call('eth_getCode', [address, 'latest']),
    node.call('ots_searchTransactionsBefore', [address, 0, PAGE_SIZE]),
    node.call('ots_getContractCreator', [address]).catch(() => null),
  ]);
  const codeBytes = (code.length - 2) / 2;
  const txs = history.txs ?? [];
  const receipts = new Map((history.receipts ?? []).map((r) => [r.transactionHash, r]));
  const mines = minerName(ctx.nodes, address);
  const page = h('div', {},
    h('h1', {}, codeBytes > 0 ? 'Contract ' : 'Account ', h('span', { class: 'mono' }, address)),
    fields([
      ['Balance', h('span', { id: 'address-balance' }, ether(balance))],
      ['Nonce', String(num(nonce))],
      ['Code', codeBytes > 0 ? `${count(codeBytes)} bytes` : 'none (an externally owned account)'],
      creator && ['Created by', h('span', {}, link.address(creator.creator, creator.creator), ' in ', link.tx(creator.hash))],
      mines && ['Mines for', `${mines} (its etherbase)`],
    ]));
  if (num(balance) === 0 && num(nonce) === 0 && codeBytes === 0 && txs.length === 0 && !mines) {
    page.append(notice('info', h('span', { id: 'address-unused' },
      `No activity: ${address} has never sent or received a transaction on ${node.name}'s chain, holds no ether and no code. Check the address, or wait for the transaction that funds it to be mined.`)));
    return page;
  }
  page.append(h('h2', {}, `Transactions (latest ${PAGE_SIZE})`), txs.length === 0
    ? h('p', { class: 'muted' }, 'None sent or received (its balance may come from mining rewards or the genesis).')
    : table(['Hash', 'Block', 'From', 'To', 'Value', 'Status'], txs.map((t) => {
      const r = receipts.get(t.hash);
      return [
        link.tx(t.hash), link.block(num(t.blockNumber)), link.address(t.from, t.from?.toLowerCase() === address.toLowerCase() ? 'this' : short(t.from)),
        t.to ? link.address(t.to, t.to.toLowerCase() === address.toLowerCase() ? 'this' : short(t.to)) : 'contract creation',
        ether(t.value), r ? (r.status === '0x1' ? 'success' : 'failed') : '—',
      ];
    }), { id: 'address-txs' }));
  if (codeBytes > 0) page.append(h('h2', {}, 'Code'), h('div', { class: 'mono wrap code' }, code));
  return page;
}
