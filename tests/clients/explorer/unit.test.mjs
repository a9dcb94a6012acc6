// Unit tests of the explorer page's pure modules (no browser): what the search box makes of
// its input, and the block tree's merge, statuses, lanes and reorganisation finder.
// Run: node --test tests/clients/explorer/unit.test.mjs (tests/tests/explorer.rs runs it).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { classify, MAX_BLOCK_NUMBER } from '../../../node/explorer/js/search.js';
import { findReorg, layoutLanes, mergeTrees } from '../../../node/explorer/js/tree-model.js';

test('search: numbers, hashes and addresses', () => {
  assert.deepEqual(classify(' 42 '), { kind: 'number', value: 42n });
  assert.deepEqual(classify('0x2a'), { kind: 'number', value: 42n });
  assert.deepEqual(classify(MAX_BLOCK_NUMBER.toString()), { kind: 'number', value: MAX_BLOCK_NUMBER });
  assert.equal(classify(`0x${'Ab'.repeat(32)}`).kind, 'hash');
  assert.equal(classify(`0x${'Ab'.repeat(32)}`).value, `0x${'ab'.repeat(32)}`);
  assert.equal(classify(`0x${'11'.repeat(20)}`).kind, 'address');
});

test('search: every bad input gets a message naming it', () => {
  const cases = [
    ['', 'Type a block number'],
    ['0x12zz', "'z' is not a hex digit"],
    ['18446744073709551616', 'below 2^64'],
    [`0x${'1'.repeat(30)}`, 'has 30 hex digits'],
    ['hello', '"hello" is not a block number'],
    ['-1', '"-1" is not a block number'],
    ['1e9', '"1e9" is not a block number'],
    ['x'.repeat(500), '..."'],
  ];
  for (const [input, expected] of cases) {
    const answer = classify(input);
    assert.equal(answer.kind, 'invalid', input);
    assert.ok(answer.message.includes(expected), `${input}: ${answer.message}`);
    assert.ok(answer.message.length < 260, `${input}: message not cut: ${answer.message.length}`);
  }
});

// A tree of heights 10..13: a (10) ← b (11) ← c (12) ← d (13) and a stale fork a ← x (11) ← y (12).
const hex = (n) => `0x${n.toString(16)}`;
const block = (hash, parentHash, number, canonical, miner = '0xAA') => ({
  hash, parentHash, number: hex(number), miner, timestamp: hex(1000 + number),
  transactionCount: '0x0', difficulty: '0x10', canonical,
});

test('tree: merge marks stale, fork and canonical blocks across nodes', () => {
  const n0 = {
    tip: { hash: 'd', number: hex(13) },
    blocks: [block('a', 'p', 10, true), block('b', 'a', 11, true), block('x', 'a', 11, false),
      block('c', 'b', 12, true), block('y', 'x', 12, false), block('d', 'c', 13, true)],
  };
  const n1 = { tip: { hash: 'y', number: hex(12) }, blocks: [block('a', 'p', 10, true), block('x', 'a', 11, true), block('y', 'x', 12, true)] };
  const both = mergeTrees([{ node: 'node-0', tree: n0 }, { node: 'node-1', tree: n1 }]);
  assert.equal(both.blocks.get('a').status, 'canonical');
  assert.equal(both.blocks.get('b').status, 'fork');
  assert.equal(both.blocks.get('x').status, 'fork');
  assert.equal(both.blocks.get('d').status, 'canonical');
  assert.deepEqual(both.blocks.get('x').seenBy, ['node-0', 'node-1']);
  assert.deepEqual(both.tips['node-1'], { hash: 'y', number: 12 });

  const alone = mergeTrees([{ node: 'node-0', tree: n0 }]);
  assert.equal(alone.blocks.get('x').status, 'stale');
  assert.equal(alone.blocks.get('y').status, 'stale');
  const lanes = layoutLanes(alone.blocks);
  assert.deepEqual(['a', 'b', 'c', 'd'].map((h) => lanes.get(h)), [0, 0, 0, 0]);
  assert.equal(lanes.get('x'), 1);
  assert.equal(lanes.get('y'), 1);
});

test('tree: lanes are reused once a branch has ended', () => {
  const tree = {
    tip: { hash: 'e', number: hex(5) },
    blocks: [block('a', 'p', 1, true), block('s1', 'a', 2, false), block('b', 'a', 2, true),
      block('c', 'b', 3, true), block('d', 'c', 4, true), block('s2', 'd', 5, false), block('e', 'd', 5, true)],
  };
  const { blocks } = mergeTrees([{ node: 'n', tree }]);
  const lanes = layoutLanes(blocks);
  assert.equal(lanes.get('s1'), 1);
  assert.equal(lanes.get('s2'), 1, 'the first branch ended at height 2, so height 5 reuses its lane');
  assert.equal(lanes.get('e'), 0);
});

test('tree: a reorganisation is found with its depth; an extension is not one', () => {
  const tree = {
    tip: { hash: 'd', number: hex(13) },
    blocks: [block('a', 'p', 10, true), block('b', 'a', 11, true), block('x', 'a', 11, false),
      block('c', 'b', 12, true), block('y', 'x', 12, false), block('d', 'c', 13, true)],
  };
  const { blocks } = mergeTrees([{ node: 'n', tree }]);
  assert.equal(findReorg(blocks, { hash: 'b', number: 11 }, { hash: 'd', number: 13 }), null);
  assert.deepEqual(findReorg(blocks, { hash: 'y', number: 12 }, { hash: 'd', number: 13 }),
    { depth: 2, ancestor: 'a', dropped: ['y', 'x'] });
  assert.equal(findReorg(blocks, null, { hash: 'd', number: 13 }), null);
});
