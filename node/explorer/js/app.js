// The explorer's shell: the node list, the header (node picker, search box), the router from
// `#/…` addresses to pages, and live new-head notifications the pages listen to.
//
// Pages are modules under pages/ exporting `render(ctx, arg)`, which returns a DOM node (or a
// promise of one). `ctx` holds: `nodes` (every node), `node` (the one picked in the header),
// `onHead(fn)` (called with each new head of any node until the page is left), `go(route)`,
// `reload()` (render the current page again).

import { loadNodes } from './rpc.js';
import { h, notice } from './format.js';
import { resolve } from './search.js';
import * as home from './pages/home.js';
import * as block from './pages/block.js';
import * as tx from './pages/tx.js';
import * as address from './pages/address.js';
import * as tree from './pages/tree.js';
import * as peers from './pages/peers.js';

const ROUTES = { '': home, block, tx, address, tree, peers };

const state = {
  nodes: [],
  node: null,
  headListeners: new Set(),
  renderId: 0,
};

/** The context of render number `id`: its listeners are dropped once another page renders. */
function ctx(id) {
  return {
    nodes: state.nodes,
    node: state.node,
    onHead: (fn) => {
      if (id === state.renderId) state.headListeners.add(fn);
    },
    go: (route) => {
      window.location.hash = route;
    },
    reload: () => show(),
  };
}

/** `#/block/12` → `['block', '12']`. */
function parseRoute(hash) {
  const parts = hash.replace(/^#\/?/, '').split('/');
  return [parts[0] ?? '', decodeURIComponent(parts.slice(1).join('/'))];
}

async function show() {
  const id = ++state.renderId;
  state.headListeners.clear();
  const [name, arg] = parseRoute(window.location.hash);
  const page = ROUTES[name];
  const main = document.getElementById('page');
  document.getElementById('search-message').replaceChildren();
  for (const a of document.querySelectorAll('nav a')) {
    a.classList.toggle('active', a.getAttribute('href') === `#/${name}`);
  }
  if (!page) {
    main.replaceChildren(notice('error', `There is no page "${name}". `, h('a', { href: '#/' }, 'Go home.')));
    return;
  }
  main.replaceChildren(h('p', { class: 'loading' }, 'Loading…'));
  let content;
  try {
    content = await page.render(ctx(id), arg);
  } catch (e) {
    content = notice('error', e.message ?? String(e));
  }
  if (id === state.renderId) {
    main.replaceChildren(content);
    main.setAttribute('data-page', name || 'home');
  }
}

async function search(event) {
  event.preventDefault();
  const input = document.getElementById('search-input');
  const out = document.getElementById('search-message');
  out.replaceChildren();
  let answer;
  try {
    answer = await resolve(state.node, input.value);
  } catch (e) {
    answer = { message: e.message };
  }
  if (answer.route) {
    input.value = '';
    if (window.location.hash === answer.route) show();
    else window.location.hash = answer.route;
  } else {
    out.replaceChildren(notice('error', answer.message));
  }
}

/**
 * Reads another node: asks for its JSON-RPC URL and reloads the page with `?rpc=URL` (the node
 * must allow this page's origin in its `--rpc-cors`).
 */
function connect() {
  const url = window.prompt('JSON-RPC URL of a Quarry node (it must list this page\'s origin in --rpc-cors):', 'http://127.0.0.1:8545');
  if (!url) return;
  if (!/^https?:\/\/[^\s/]+/.test(url.trim())) {
    document.getElementById('search-message').replaceChildren(notice('error', `"${url}" is not an http:// or https:// URL.`));
    return;
  }
  const here = new URL(window.location.href);
  here.searchParams.set('rpc', url.trim());
  window.location.href = here.toString();
}

function header() {
  const picker = h('select', {
    id: 'node-picker',
    title: 'The node whose view the pages show',
    onchange: (e) => {
      if (e.target.value === 'other') {
        connect();
        e.target.value = String(state.nodes.indexOf(state.node));
        return;
      }
      state.node = state.nodes[Number(e.target.value)];
      show();
    },
  }, state.nodes.map((n, i) => h('option', { value: i }, `${n.name} (${n.rpc.replace(/^https?:\/\//, '')})`)),
  h('option', { value: 'other' }, 'Other node URL…'));
  return h('header', {},
    h('a', { href: '#/', class: 'brand' }, 'Quarry explorer'),
    h('nav', {},
      h('a', { href: '#/' }, 'Home'),
      h('a', { href: '#/tree' }, 'Block tree'),
      h('a', { href: '#/peers' }, 'Peers')),
    h('label', { class: 'picker' }, 'Node ', picker),
    h('form', { id: 'search', onsubmit: search },
      h('input', {
        id: 'search-input',
        type: 'search',
        placeholder: 'Block number, hash, transaction or address',
        autocomplete: 'off',
        spellcheck: 'false',
      }),
      h('button', { type: 'submit' }, 'Search')),
    h('div', { id: 'search-message' }));
}

async function start() {
  state.nodes = await loadNodes();
  state.node = state.nodes[0];
  document.body.replaceChildren(header(), h('main', { id: 'page' }),
    h('footer', {}, 'Reads only the nodes\' public JSON-RPC. ',
      h('a', { href: 'https://github.com/leeoniya/uPlot' }, 'uPlot'), ', ',
      h('a', { href: 'https://js.cytoscape.org' }, 'Cytoscape.js'), ' and ',
      h('a', { href: 'https://docs.ethers.org/v6/' }, 'ethers'), ' (MIT), vendored.'));
  for (const node of state.nodes) {
    node.subscribe('newHeads', (head) => {
      for (const fn of state.headListeners) fn(node, head);
    });
  }
  window.addEventListener('hashchange', show);
  show();
}

start();
