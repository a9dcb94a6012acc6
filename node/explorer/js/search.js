// The search box: what a typed string can be, and where it leads. `classify` is pure (tested
// with `node --test` in tests/clients/explorer); `resolve` asks a node.

/** Largest block number a node accepts (a 64-bit unsigned integer). */
export const MAX_BLOCK_NUMBER = (1n << 64n) - 1n;

/**
 * What `query` looks like:
 * - `{kind: 'number', value: BigInt}`: decimal digits (a block number), or `0x` plus at most 16
 *   hex digits;
 * - `{kind: 'hash', value}`: `0x` plus 64 hex digits (a transaction or block hash);
 * - `{kind: 'address', value}`: `0x` plus 40 hex digits;
 * - `{kind: 'invalid', message}`: anything else, with a message saying what was expected.
 */
export function classify(query) {
  const q = String(query ?? '').trim();
  if (q === '') {
    return { kind: 'invalid', message: 'Type a block number, a block or transaction hash, or an address.' };
  }
  if (/^[0-9]+$/.test(q)) {
    const value = BigInt(q);
    if (value > MAX_BLOCK_NUMBER) {
      return {
        kind: 'invalid',
        message: `${abbreviate(q)} is not a block number: block numbers are below 2^64 (${MAX_BLOCK_NUMBER}).`,
      };
    }
    return { kind: 'number', value };
  }
  if (/^0x[0-9a-fA-F]{64}$/.test(q)) return { kind: 'hash', value: q.toLowerCase() };
  if (/^0x[0-9a-fA-F]{40}$/.test(q)) return { kind: 'address', value: q };
  if (/^0x[0-9a-fA-F]{1,16}$/.test(q)) return { kind: 'number', value: BigInt(q) };
  const body = q.startsWith('0x') || q.startsWith('0X') ? q.slice(2) : q;
  const bad = [...body].find((c) => !/[0-9a-fA-F]/.test(c));
  if (/^0x/i.test(q) && bad !== undefined) {
    return {
      kind: 'invalid',
      message: `${abbreviate(q)} is not hex: '${bad}' is not a hex digit. A hash is 0x and 64 hex digits, an address 0x and 40.`,
    };
  }
  if (/^0x/i.test(q)) {
    return {
      kind: 'invalid',
      message: `${abbreviate(q)} has ${body.length} hex digits: a hash has 64, an address 40, a block number at most 16.`,
    };
  }
  return {
    kind: 'invalid',
    message: `${abbreviate(q)} is not a block number, a hash (0x + 64 hex digits) or an address (0x + 40 hex digits).`,
  };
}

/** The query cut to 80 characters for a message. */
function abbreviate(q) {
  return JSON.stringify(q.length > 80 ? `${q.slice(0, 77)}...` : q);
}

/**
 * Where `query` leads on `node`: `{route: '#/…'}` or `{message}` saying why nowhere.
 * Hashes are looked up as a transaction first, then as a block.
 */
export async function resolve(node, query) {
  const what = classify(query);
  switch (what.kind) {
    case 'invalid':
      return { message: what.message };
    case 'number': {
      const tip = BigInt(await node.call('eth_blockNumber'));
      if (what.value > tip) {
        return { message: `Block ${what.value} does not exist yet: ${node.name}'s tip is block ${tip}.` };
      }
      return { route: `#/block/${what.value}` };
    }
    case 'address':
      return { route: `#/address/${what.value}` };
    case 'hash': {
      if (await node.call('eth_getTransactionByHash', [what.value])) return { route: `#/tx/${what.value}` };
      if (await node.call('eth_getBlockByHash', [what.value, false])) return { route: `#/block/${what.value}` };
      return { message: `No transaction or block has hash ${what.value} on ${node.name} (it may be on another node, or not yet broadcast).` };
    }
    default:
      throw new Error(`classify returned an unknown kind ${what.kind}`);
  }
}
