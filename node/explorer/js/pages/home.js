// Home: the tip, difficulty, block time and hash rate (figures and charts over the last
// blocks), the latest blocks, and the mempool. Redrawn on every new head of the picked node.

import {
  age, count, ether, h, hashRate, link, miner, notice, num, sci, short, table,
} from '../format.js';

/** Heights the charts span (one `quarry_blockTree` call; at most 256). */
const WINDOW = 120;
/** Blocks the hash-rate estimate averages over. */
const RATE_SPAN = 10;

export function render(ctx) {
  const stats = h('div', { class: 'stats' });
  const charts = h('div', { class: 'charts' });
  const latest = h('section', {}, h('h2', {}, 'Latest blocks'));
  const pending = h('section', {}, h('h2', {}, 'Pending transactions'));
  const page = h('div', {}, stats, charts, h('div', { class: 'columns' }, latest, pending));
  const plots = {};
  let busy = false;
  let again = false;

  const refresh = async () => {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      await draw(ctx, { stats, charts, latest, pending, plots });
    } catch (e) {
      stats.replaceChildren(notice('error', e.message));
    }
    busy = false;
    if (again) {
      again = false;
      refresh();
    }
  };
  ctx.onHead((node) => {
    if (node === ctx.node) refresh();
  });
  return refresh().then(() => page);
}

async function draw(ctx, { stats, charts, latest, pending, plots }) {
  const node = ctx.node;
  const tip = num(await node.call('eth_blockNumber'));
  const [tree, pool, miners] = await Promise.all([
    node.call('quarry_blockTree', [Math.max(0, tip - WINDOW + 1), tip]),
    node.call('txpool_content'),
    Promise.all(ctx.nodes.map((n) => n.call('quarry_minerInfo').catch(() => null))),
  ]);
  const chain = tree.blocks.filter((b) => b.canonical).map((b) => ({
    hash: b.hash,
    number: num(b.number),
    miner: b.miner,
    timestamp: num(b.timestamp),
    difficulty: BigInt(b.difficulty),
    txs: num(b.transactionCount),
  }));
  const staleCount = tree.blocks.length - chain.length;
  const head = chain[chain.length - 1];

  // Series over heights: block time (s), difficulty (expected hashes per block), and the
  // network hash rate it implies (work of the last RATE_SPAN blocks over their time span).
  const xs = [];
  const times = [];
  const difficulty = [];
  const rate = [];
  for (let i = 1; i < chain.length; i += 1) {
    xs.push(chain[i].number);
    times.push(chain[i].timestamp - chain[i - 1].timestamp);
    difficulty.push(Number(chain[i].difficulty));
    if (i >= RATE_SPAN) {
      const span = chain[i].timestamp - chain[i - RATE_SPAN].timestamp;
      let work = 0n;
      for (let j = i - RATE_SPAN + 1; j <= i; j += 1) work += chain[j].difficulty;
      rate.push(span > 0 ? Number(work) / span : null);
    } else {
      rate.push(null);
    }
  }
  const recent = times.slice(-20);
  const meanTime = recent.length ? recent.reduce((a, b) => a + b, 0) / recent.length : null;
  const lastRate = rate.filter((r) => r !== null).at(-1);
  const measured = miners.filter(Boolean).reduce((sum, m) => sum + Number(m.hashrate ?? 0), 0);
  const pendingTxs = Object.values(pool.pending ?? {}).flatMap((byNonce) => Object.values(byNonce));
  const queued = Object.values(pool.queued ?? {}).flatMap((byNonce) => Object.values(byNonce));

  stats.replaceChildren(
    stat('Tip', h('span', { id: 'tip-number' }, String(tip)), link.block(head?.hash ?? tip, short(head?.hash ?? ''))),
    stat('Difficulty', head ? sci(head.difficulty) : '—', 'expected hashes per block'),
    stat('Block time', meanTime === null ? '—' : `${meanTime.toFixed(1)} s`, 'mean of the last 20'),
    stat('Network hash rate', lastRate ? hashRate(lastRate) : '—', `work of the last ${RATE_SPAN} blocks ÷ their time`),
    stat('Miners report', hashRate(measured), `${miners.filter((m) => m?.mining).length} of ${ctx.nodes.length} nodes mining`),
    stat('Mempool', h('span', { id: 'pending-count' }, String(pendingTxs.length)), `pending; ${queued.length} queued`),
    stat('Stale blocks', String(staleCount), `held by ${node.name} in the last ${WINDOW} heights`),
  );

  chart(plots, charts, 'difficulty', 'Difficulty (expected hashes per block)', xs, difficulty, '#7b3fb8');
  chart(plots, charts, 'time', 'Block time (s)', xs, times, '#1f77b4');
  chart(plots, charts, 'rate', 'Network hash rate (H/s)', xs, rate, '#d9822b');

  latest.replaceChildren(h('h2', {}, 'Latest blocks'), table(
    ['Block', 'Hash', 'Mined by', 'Txs', 'Age'],
    chain.slice(-12).reverse().map((b) => [
      link.block(b.number), link.block(b.hash, short(b.hash)), miner(ctx.nodes, b.miner),
      String(b.txs), age(b.timestamp),
    ]),
    { id: 'latest-blocks' },
  ));
  pending.replaceChildren(h('h2', {}, 'Pending transactions'), pendingTxs.length === 0
    ? h('p', { class: 'muted' }, `${node.name}'s mempool is empty.`)
    : table(['Hash', 'From', 'Nonce', 'To', 'Value'], pendingTxs.slice(0, 25).map((t) => [
      link.tx(t.hash), link.address(t.from), String(num(t.nonce)),
      t.to ? link.address(t.to) : 'contract creation', ether(t.value),
    ]), { id: 'pending-txs' }));
}

function stat(label, value, detail) {
  return h('div', { class: 'stat' }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value),
    h('div', { class: 'detail' }, detail));
}

/** One uPlot line chart, created on first use and then only given new data. */
function chart(plots, container, key, title, xs, ys, color) {
  if (xs.length < 2) return;
  if (plots[key] && plots[key].root.isConnected) {
    plots[key].setData([xs, ys]);
    return;
  }
  const box = h('div', { class: 'chart', id: `chart-${key}` }, h('h3', {}, title));
  container.append(box);
  // Three charts in a row across the page's width (minus its padding, gaps and chart frames).
  const width = Math.max(280, Math.floor((Math.min(window.innerWidth, 1400) - 110) / 3) - 2);
  plots[key] = new window.uPlot({
    width,
    height: 180,
    legend: { show: false },
    scales: { x: { time: false } },
    axes: [{ label: 'block' }, { size: 70, values: (u, vals) => vals.map((v) => (v >= 1e6 ? v.toExponential(1) : count(v))) }],
    series: [{}, { stroke: color, width: 1.5, spanGaps: true }],
  }, [xs, ys], box);
}
