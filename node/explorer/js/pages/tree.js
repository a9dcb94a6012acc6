// The block tree: every block any of the explorer's nodes holds over the last heights,
// merged (`quarry_blockTree` on each node), drawn with Cytoscape.js: one column per height,
// the canonical chain in the first row, other branches below; colour by the node that mined
// the block; canonical, fork (nodes disagree) and stale blocks styled apart; each node's tip
// marked. Redrawn on every new head of any node; a node's reorganisation is logged and its new
// branch flashes.

import { age, h, link, minerName, notice, short, table } from '../format.js';
import { findReorg, layoutLanes, mergeTrees } from '../tree-model.js';

/** Colours of the miners, by the node's position in the list; other miners are grey. */
const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];
const COLUMN = 110;
const ROW = 70;
/** The smallest zoom the automatic fit uses (labels stay legible). */
const MIN_ZOOM = 0.9;

export function render(ctx) {
  let heights = 40;
  const select = h('select', {
    id: 'tree-heights',
    onchange: (e) => {
      heights = Number(e.target.value);
      refresh();
    },
  }, [20, 40, 80, 160].map((n) => h('option', { value: n, selected: n === heights }, `${n} heights`)));
  const canvas = h('div', { id: 'tree-canvas' });
  const legend = h('div', { class: 'legend' });
  const stale = h('section', {}, h('h2', {}, 'Stale blocks'));
  const forks = h('section', {}, h('h2', {}, 'Forks'));
  const reorgLog = h('ol', { id: 'reorgs', reversed: true });
  const message = h('div');
  const page = h('div', {},
    h('h1', {}, 'Block tree ', select),
    h('p', { class: 'muted' }, `Every block the ${ctx.nodes.length} node(s) hold, canonical or not. Click a block to open it.`),
    message, legend, canvas,
    h('div', { class: 'columns' }, stale, forks),
    h('section', {}, h('h2', {}, 'Reorganisations seen since this page opened'), reorgLog));

  let cy = null;
  let userMoved = false;
  let lastTips = null;
  let busy = false;
  let again = false;

  const draw = async () => {
    const numbers = await Promise.all(ctx.nodes.map((n) => n.call('eth_blockNumber').then(Number, () => null)));
    const top = Math.max(0, ...numbers.filter((x) => x !== null));
    const from = Math.max(0, top - heights + 1);
    const answers = [];
    const failures = [];
    await Promise.all(ctx.nodes.map(async (n) => {
      try {
        answers.push({ node: n.name, tree: await n.call('quarry_blockTree', [from, top]) });
      } catch (e) {
        failures.push(e.message);
      }
    }));
    answers.sort((a, b) => (a.node < b.node ? -1 : 1));
    message.replaceChildren(...failures.map((f) => notice('warn', f)));
    const { blocks, tips } = mergeTrees(answers);

    // Reorganisations since the last look, per node.
    const flash = new Set();
    if (lastTips) {
      for (const [name, tip] of Object.entries(tips)) {
        const reorg = findReorg(blocks, lastTips[name], tip);
        if (!reorg) continue;
        reorgLog.prepend(h('li', {},
          `${new Date().toISOString().slice(11, 19)} ${name} reorganised: ${reorg.depth} block(s) left its chain (`,
          ...reorg.dropped.map((d, i) => [i ? ', ' : '', link.block(d, short(d))]),
          '); new tip ', link.block(tip.hash, `${tip.number} ${short(tip.hash)}`), '.'));
        for (let b = blocks.get(tip.hash); b && b.hash !== reorg.ancestor; b = blocks.get(b.parentHash)) flash.add(b.hash);
      }
    }
    lastTips = tips;

    const lanes = layoutLanes(blocks);
    const tipsOf = new Map();
    for (const [name, tip] of Object.entries(tips)) {
      tipsOf.set(tip.hash, [...(tipsOf.get(tip.hash) ?? []), name]);
    }
    const colour = (address) => {
      const i = ctx.nodes.findIndex((n) => n.miner && n.miner === address);
      return i >= 0 ? PALETTE[i % PALETTE.length] : '#999999';
    };
    const elements = [];
    for (const b of blocks.values()) {
      const marks = tipsOf.get(b.hash);
      elements.push({
        group: 'nodes',
        data: {
          id: b.hash,
          label: `${b.number}\n…${b.hash.slice(-6)}${marks ? `\n▲ ${marks.map((m) => m.replace(/^node-/, '')).join(' ')}` : ''}`,
          colour: colour(b.miner),
          status: b.status,
          tip: marks ? 1 : 0,
        },
        position: { x: (b.number - from) * COLUMN, y: lanes.get(b.hash) * ROW },
        classes: b.status,
      });
      if (blocks.has(b.parentHash)) {
        elements.push({ group: 'edges', data: { id: `${b.parentHash}-${b.hash}`, source: b.parentHash, target: b.hash } });
      }
    }
    if (!cy) {
      cy = window.cytoscape({
        container: canvas,
        elements,
        layout: { name: 'preset' },
        wheelSensitivity: 0.3,
        style: STYLE,
      });
      cy.on('tap', 'node', (e) => ctx.go(`#/block/${e.target.id()}`));
      cy.on('viewport', () => {
        if (cy.scratch('programmatic')) return;
        userMoved = true;
      });
    } else {
      cy.batch(() => {
        cy.elements().remove();
        cy.add(elements);
      });
    }
    if (!userMoved) {
      // Fit the tree, but never so small that the labels cannot be read: then show the
      // newest heights at the right edge (scroll or drag to see older ones).
      cy.scratch('programmatic', true);
      cy.fit(undefined, 30);
      if (cy.zoom() < MIN_ZOOM) {
        const box = cy.elements().boundingBox();
        cy.zoom(MIN_ZOOM);
        cy.pan({
          x: cy.width() - 30 - box.x2 * MIN_ZOOM,
          y: cy.height() / 2 - ((box.y1 + box.y2) / 2) * MIN_ZOOM,
        });
      }
      cy.scratch('programmatic', false);
    }
    for (const hash of flash) {
      const el = cy.getElementById(hash);
      el.animate({ style: { 'border-width': 10, 'border-color': '#ffbf00' } }, { duration: 400 })
        .animate({ style: { 'border-width': 2, 'border-color': '#333333' } }, { duration: 800 });
    }

    legend.replaceChildren(
      ...ctx.nodes.map((n, i) => h('span', { class: 'key' },
        h('span', { class: 'swatch', style: `background:${PALETTE[i % PALETTE.length]}` }), ` mined by ${n.name}${n.miner ? '' : ' (not mining)'}`)),
      h('span', { class: 'key' }, h('span', { class: 'swatch', style: 'background:#999' }), ' other miner'),
      h('span', { class: 'key' }, h('span', { class: 'swatch stale' }), ' stale'),
      h('span', { class: 'key' }, h('span', { class: 'swatch fork' }), ' fork (nodes disagree)'),
      h('span', { class: 'key' }, '▲ the tip of the nodes named (node-N written N)'));

    const list = (status) => [...blocks.values()].filter((b) => b.status === status)
      .sort((a, b) => b.number - a.number);
    const staleBlocks = list('stale');
    stale.replaceChildren(h('h2', {}, `Stale blocks (${staleBlocks.length})`), staleBlocks.length === 0
      ? h('p', { class: 'muted', id: 'stale-blocks' }, 'None in view: every block is on some node\'s chain.')
      : h('ul', { id: 'stale-blocks' }, staleBlocks.map((b) => h('li', { 'data-hash': b.hash },
        link.block(b.hash, `${b.number} ${short(b.hash)}`),
        ` mined by ${minerName(ctx.nodes, b.miner) ?? short(b.miner)}, held by ${b.seenBy.join(', ')}, ${age(b.timestamp)}`))));
    const forkBlocks = list('fork');
    forks.replaceChildren(h('h2', {}, `Forks (${forkBlocks.length})`), forkBlocks.length === 0
      ? h('p', { class: 'muted', id: 'fork-blocks' }, 'None: the nodes agree on every height in view.')
      : table(['Block', 'Canonical on'], forkBlocks.map((b) => [link.block(b.hash, `${b.number} ${short(b.hash)}`), b.canonicalOn.join(', ')]), { id: 'fork-blocks' }));
    page.setAttribute('data-blocks', String(blocks.size));
  };

  const refresh = async () => {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      await draw();
    } catch (e) {
      message.replaceChildren(notice('error', e.message));
    }
    busy = false;
    if (again) {
      again = false;
      refresh();
    }
  };
  ctx.onHead(() => refresh());
  // Cytoscape needs its container in the document to measure it: draw once attached.
  requestAnimationFrame(() => refresh());
  return page;
}

const STYLE = [
  {
    selector: 'node',
    style: {
      shape: 'round-rectangle',
      width: 78,
      height: 46,
      'background-color': 'data(colour)',
      label: 'data(label)',
      'text-wrap': 'wrap',
      'text-valign': 'center',
      'font-family': 'ui-monospace, monospace',
      'font-size': 11,
      color: '#ffffff',
      'border-width': 2,
      'border-color': '#333333',
    },
  },
  { selector: 'node[tip = 1]', style: { 'border-width': 4, 'border-color': '#000000', height: 56 } },
  { selector: 'node.stale', style: { opacity: 0.55, 'border-style': 'dashed', 'border-color': '#666666', 'background-blacken': 0.2 } },
  { selector: 'node.fork', style: { 'border-color': '#ff7f0e', 'border-width': 4 } },
  {
    selector: 'edge',
    style: {
      width: 2,
      'line-color': '#888888',
      'curve-style': 'taxi',
      'taxi-direction': 'horizontal',
      'target-arrow-shape': 'none',
    },
  },
];
