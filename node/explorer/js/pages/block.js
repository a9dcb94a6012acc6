// A block: its header (with `bits`, the target they encode, and the proof of work: the block
// hash, which is the PoW hash, at or below the target), where each node stands on it, the
// other blocks at its height, and its transactions.

import {
  age, big, count, ether, fields, gwei, h, hex256, link, miner, notice, num, sci, short, table,
  targetFromBits, utc,
} from '../format.js';
import { classify } from '../search.js';

export async function render(ctx, arg) {
  let node = ctx.node;
  let source = null;
  const what = classify(arg);
  let block;
  if (what.kind === 'number') {
    block = await node.call('eth_getBlockByNumber', [`0x${what.value.toString(16)}`, true]);
    if (!block) {
      const tip = num(await node.call('eth_blockNumber'));
      return notice('error', `Block ${what.value} does not exist yet: ${node.name}'s tip is block ${tip}.`);
    }
  } else if (what.kind === 'hash') {
    block = await node.call('eth_getBlockByHash', [what.value, true]);
    // A stale block may be held only by the node that mined it: ask the others too.
    for (const other of ctx.nodes) {
      if (block || other === node) continue;
      block = await other.call('eth_getBlockByHash', [what.value, true]).catch(() => null);
      if (block) source = other;
    }
    if (!block) return notice('error', `No node of this explorer holds a block with hash ${what.value}.`);
  } else {
    return notice('error', `"${arg}" is not a block number or hash.`);
  }
  const number = num(block.number);
  const shownFrom = source
    ? notice('info', `${node.name} has not seen this block; shown from ${source.name}'s store.`)
    : null;
  if (source) node = source;
  const [receipts, views] = await Promise.all([
    node.call('eth_getBlockReceipts', [block.hash]).catch(() => null),
    Promise.all(ctx.nodes.map((n) => n.call('quarry_blockTree', [number, number])
      .then((tree) => ({ node: n, tree }), (error) => ({ node: n, error })))),
  ]);

  const target = targetFromBits(block.bits);
  const pow = BigInt(block.hash);
  const standing = views.map(({ node: n, tree, error }) => {
    if (error) return [n.name, h('span', { class: 'muted' }, error.message)];
    const mine = tree.blocks.find((b) => b.hash === block.hash);
    if (!mine) return [n.name, h('span', { class: 'muted' }, 'has not seen it')];
    return [n.name, mine.canonical
      ? h('span', { class: 'badge canonical' }, 'canonical')
      : h('span', { class: 'badge stale' }, 'stale (held, not on its chain)')];
  });
  const siblings = new Map();
  for (const { node: n, tree } of views) {
    for (const b of tree?.blocks ?? []) {
      if (b.hash === block.hash) continue;
      const s = siblings.get(b.hash) ?? { block: b, canonicalOn: [] };
      if (b.canonical) s.canonicalOn.push(n.name);
      siblings.set(b.hash, s);
    }
  }
  const onChain = standing.some(([, v]) => v.classList?.contains('canonical'));
  const status = onChain
    ? h('span', { class: 'badge canonical', id: 'block-status' }, 'canonical')
    : h('span', { class: 'badge stale', id: 'block-status' }, 'stale');

  const txRows = block.transactions.map((t, i) => {
    const r = receipts?.[i];
    return [
      String(i), link.tx(t.hash), link.address(t.from),
      t.to ? link.address(t.to) : h('span', { class: 'muted' }, 'contract creation'),
      ether(t.value),
      r ? h('span', { class: `badge ${r.status === '0x1' ? 'canonical' : 'stale'}` }, r.status === '0x1' ? 'success' : 'failed') : '—',
    ];
  });

  return h('div', {},
    h('h1', {}, `Block ${count(number)} `, status),
    shownFrom,
    fields([
      ['Hash', h('span', { class: 'mono', id: 'block-hash' }, block.hash)],
      ['Parent', number > 0 ? link.block(block.parentHash, block.parentHash) : '— (genesis)'],
      ['Height', h('span', {}, link.block(Math.max(0, number - 1), '← previous'), ' · ', link.block(number + 1, 'next →'))],
      ['Mined by', miner(ctx.nodes, block.miner)],
      ['Timestamp', `${utc(num(block.timestamp))} (${age(num(block.timestamp))})`],
      ['Transactions', String(block.transactions.length)],
      ['Gas used / limit', `${count(num(block.gasUsed))} / ${count(num(block.gasLimit))}`],
      ['Base fee', gwei(block.baseFeePerGas)],
      ['Bits', h('span', { class: 'mono' }, block.bits)],
      ['Target', h('span', { class: 'mono' }, hex256(target))],
      ['Proof of work', h('span', { class: 'mono', id: 'pow' }, hex256(pow),
        pow <= target ? h('span', { class: 'badge canonical' }, '≤ target ✓') : h('span', { class: 'badge stale' }, '> target ✗'))],
      ['Nonce', h('span', { class: 'mono' }, block.nonce)],
      ['Work (difficulty)', `${sci(big(block.difficulty))} expected hashes`],
      ['Chain work (total difficulty)', sci(big(block.totalDifficulty))],
      ['State root', h('span', { class: 'mono' }, block.stateRoot)],
      ['Size', `${count(num(block.size))} bytes`],
    ]),
    h('h2', {}, 'On each node'),
    table(['Node', 'This block'], standing, { id: 'block-standing' }),
    h('h2', {}, `Other blocks at height ${count(number)}`),
    siblings.size === 0
      ? h('p', { class: 'muted', id: 'block-siblings' }, 'None: no node has seen a competing block at this height.')
      : table(['Hash', 'Mined by', 'Canonical on'], [...siblings.values()].map((s) => [
        link.block(s.block.hash, short(s.block.hash)), miner(ctx.nodes, s.block.miner),
        s.canonicalOn.length ? s.canonicalOn.join(', ') : h('span', { class: 'badge stale' }, 'stale'),
      ]), { id: 'block-siblings' }),
    h('h2', {}, 'Transactions'),
    txRows.length === 0
      ? h('p', { class: 'muted' }, 'No transactions.')
      : table(['#', 'Hash', 'From', 'To', 'Value', 'Status'], txRows, { id: 'block-txs' }));
}
