// Peers: for every node of the explorer, its identity, tip, miner and connected, banned and
// blocked peers (`quarry_nodeInfo`, `quarry_minerInfo`, `quarry_peers`, `quarry_bannedPeers`).

import { fields, h, hashRate, link, notice, num, short, table } from '../format.js';

export async function render(ctx) {
  // Every node's peer id first, so each card can name the peers that are explorer nodes.
  const ids = await Promise.all(ctx.nodes.map((n) => n.call('quarry_nodeInfo').then((i) => i.p2p?.peerId, () => null)));
  const names = new Map(ids.map((id, i) => [id, ctx.nodes[i].name]));
  const cards = await Promise.all(ctx.nodes.map((n) => card(n, names)));
  const page = h('div', {}, h('h1', {}, 'Nodes and peers'), h('div', { class: 'cards' }, cards));
  ctx.onHead(() => {
    clearTimeout(page.refresh);
    page.refresh = setTimeout(() => {
      if (page.isConnected) ctx.reload();
    }, 3000);
  });
  return page;
}

async function card(node, names) {
  let info;
  let minerInfo;
  let peers;
  let banned;
  try {
    [info, minerInfo, peers, banned] = await Promise.all([
      node.call('quarry_nodeInfo'), node.call('quarry_minerInfo'),
      node.call('quarry_peers'), node.call('quarry_bannedPeers'),
    ]);
  } catch (e) {
    return h('section', { class: 'card' }, h('h2', {}, node.name), notice('error', e.message));
  }
  const peerName = (id) => names.get(id) ?? short(id);
  return h('section', { class: 'card', 'data-node': node.name },
    h('h2', {}, node.name),
    fields([
      ['RPC', h('span', { class: 'mono' }, node.rpc)],
      ['Peer id', h('span', { class: 'mono' }, info.p2p?.peerId ?? 'p2p off')],
      ['Listening on', h('span', { class: 'mono' }, (info.p2p?.listen ?? []).join(', ') || '—')],
      ['Client', info.clientVersion],
      ['Tip', link.block(info.tip.hash, `${num(info.tip.number)} (${short(info.tip.hash)})`)],
      ['Mining', minerInfo.mining
        ? `yes, ${hashRate(minerInfo.hashrate ?? 0)} (${minerInfo.kernel}) to ${short(minerInfo.etherbase)}`
        : 'no'],
    ]),
    h('h3', {}, `Connected peers (${peers.length})`),
    peers.length === 0 ? h('p', { class: 'muted' }, 'None.')
      : table(['Peer', 'Address', 'Direction', 'Agent', 'Score', 'Their tip'], peers.map((p) => [
        h('span', { class: 'mono', title: p.peerId }, peerName(p.peerId)),
        h('span', { class: 'mono' }, p.address),
        p.inbound ? 'inbound' : 'outbound', p.agent ?? '—', String(p.score),
        p.status ? link.block(p.status.tip, String(p.status.number)) : '—',
      ]), { class: 'list peers' }),
    h('h3', {}, `Banned or blocked (${banned.length})`),
    banned.length === 0 ? h('p', { class: 'muted' }, 'None.')
      : table(['Peer', 'Until'], banned.map((b) => [
        h('span', { class: 'mono' }, peerName(b.peerId)),
        b.secondsLeft === null ? 'blocked by the operator (quarry_unblockPeer lifts it)' : `banned, ${b.secondsLeft} s left`,
      ])));
}
