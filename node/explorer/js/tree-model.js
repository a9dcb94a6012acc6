// The block tree as data: merging what several nodes hold (`quarry_blockTree`), each block's
// status, lanes to draw branches in, and reorganisations between two looks. Pure functions (no
// DOM), tested with `node --test` in tests/clients/explorer.

/**
 * One block of the merged tree.
 * @typedef {object} TreeBlock
 * @property {string} hash
 * @property {string} parentHash
 * @property {number} number height
 * @property {string} miner the header's beneficiary (lower case)
 * @property {number} timestamp Unix seconds
 * @property {number} transactionCount
 * @property {string[]} seenBy names of the nodes holding it
 * @property {string[]} canonicalOn names of the nodes whose canonical chain holds it
 * @property {'canonical'|'fork'|'stale'} status see {@link blockStatus}
 */

/**
 * Merges `answers` (`[{node: name, tree}]`, `tree` a `quarry_blockTree` result) into
 * `{blocks: Map<hash, TreeBlock>, tips: {name: {hash, number}}}`.
 */
export function mergeTrees(answers) {
  const blocks = new Map();
  const tips = {};
  for (const { node, tree } of answers) {
    tips[node] = { hash: tree.tip.hash, number: Number(BigInt(tree.tip.number)) };
    for (const b of tree.blocks) {
      let block = blocks.get(b.hash);
      if (!block) {
        block = {
          hash: b.hash,
          parentHash: b.parentHash,
          number: Number(BigInt(b.number)),
          miner: b.miner.toLowerCase(),
          timestamp: Number(BigInt(b.timestamp)),
          transactionCount: Number(BigInt(b.transactionCount)),
          difficulty: b.difficulty,
          seenBy: [],
          canonicalOn: [],
          status: 'stale',
        };
        blocks.set(b.hash, block);
      }
      block.seenBy.push(node);
      if (b.canonical) block.canonicalOn.push(node);
    }
  }
  const byHeight = new Map();
  for (const b of blocks.values()) {
    if (!byHeight.has(b.number)) byHeight.set(b.number, []);
    byHeight.get(b.number).push(b);
  }
  for (const b of blocks.values()) b.status = blockStatus(b, byHeight.get(b.number));
  return { blocks, tips };
}

/**
 * A block's status among the blocks at its height:
 * - `canonical`: on some node's canonical chain, and no other block at its height is;
 * - `fork`: on some node's canonical chain while another block at its height is on another
 *   node's (the nodes disagree: a partition, or a race not yet settled);
 * - `stale`: on no node's canonical chain (a branch every node left; Bitcoin's "stale block",
 *   Ethereum's "uncle" before the merge).
 */
export function blockStatus(block, atHeight) {
  if (block.canonicalOn.length === 0) return 'stale';
  const rival = atHeight.some((o) => o.hash !== block.hash && o.canonicalOn.length > 0);
  return rival ? 'fork' : 'canonical';
}

const RANK = { canonical: 0, fork: 1, stale: 2 };

/**
 * Lanes (rows) to draw the tree in: the canonical chain in lane 0, every other branch in the
 * lowest lane free from its parent's height on. Returns `Map<hash, lane>`.
 */
export function layoutLanes(blocks) {
  const sorted = [...blocks.values()].sort((a, b) =>
    a.number - b.number || RANK[a.status] - RANK[b.status]
    || b.canonicalOn.length - a.canonicalOn.length || (a.hash < b.hash ? -1 : 1));
  const lanes = new Map();
  const laneEnd = []; // laneEnd[l]: the highest height drawn in lane l
  const continued = new Set(); // parents whose lane a child has taken
  for (const b of sorted) {
    let lane;
    if (lanes.has(b.parentHash) && !continued.has(b.parentHash)) {
      lane = lanes.get(b.parentHash);
      continued.add(b.parentHash);
    } else if (b.status !== 'stale' && laneEnd[0] === undefined) {
      lane = 0;
    } else {
      lane = laneEnd.findIndex((end, l) => l > 0 && end < b.number - 1);
      if (lane < 0) lane = Math.max(1, laneEnd.length);
    }
    lanes.set(b.hash, lane);
    laneEnd[lane] = b.number;
  }
  return lanes;
}

/**
 * Whether a node's move from tip `from` to tip `to` (both `{hash, number}`) is a
 * reorganisation, using the merged `blocks` to walk parents. Returns null for an extension
 * (or when the blocks in view cannot tell), else `{depth, ancestor, dropped}`: how many blocks
 * left the node's canonical chain, the common ancestor's hash, and the dropped hashes.
 */
export function findReorg(blocks, from, to) {
  if (!from || !to || from.hash === to.hash) return null;
  const ancestors = new Map(); // hash -> number, along `to`'s chain
  for (let b = blocks.get(to.hash); b; b = blocks.get(b.parentHash)) ancestors.set(b.hash, b.number);
  if (ancestors.has(from.hash)) return null;
  const dropped = [];
  for (let b = blocks.get(from.hash); b; b = blocks.get(b.parentHash)) {
    if (ancestors.has(b.hash)) return { depth: dropped.length, ancestor: b.hash, dropped };
    dropped.push(b.hash);
  }
  return null;
}
