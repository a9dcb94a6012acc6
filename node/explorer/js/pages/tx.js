// A transaction: status, block, parties, value and fees; its input and logs decoded when an
// ABI is known (ERC-20's built in, or one pasted on the page and kept in this browser); the
// revert reason of a failed one (`ots_getTransactionError`); and its internal calls
// (`debug_traceTransaction` with geth's callTracer).

import {
  big, count, ether, fields, gwei, h, link, notice, num, short,
} from '../format.js';
import { classify } from '../search.js';

/**
 * ABI fragments every page knows: ERC-20's functions and events (EIP-20) and its standard
 * custom errors (EIP-6093, which OpenZeppelin's ERC-20 reverts with).
 */
const BUILT_IN_ABI = [
  'function transfer(address to, uint256 value) returns (bool)',
  'function transferFrom(address from, address to, uint256 value) returns (bool)',
  'function approve(address spender, uint256 value) returns (bool)',
  'event Transfer(address indexed from, address indexed to, uint256 value)',
  'event Approval(address indexed owner, address indexed spender, uint256 value)',
  'error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)',
  'error ERC20InvalidSender(address sender)',
  'error ERC20InvalidReceiver(address receiver)',
  'error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed)',
  'error ERC20InvalidApprover(address approver)',
  'error ERC20InvalidSpender(address spender)',
];

/** The ABI pasted for `address` on this browser, if any (localStorage `abi:<address>`). */
function savedAbi(address) {
  if (!address) return null;
  try {
    return JSON.parse(window.localStorage.getItem(`abi:${address.toLowerCase()}`) ?? 'null');
  } catch {
    return null;
  }
}

/** An ethers Interface over the built-in fragments and the ABI saved for `address`. */
function abiFor(address) {
  const saved = savedAbi(address);
  const fragments = [...BUILT_IN_ABI, ...(Array.isArray(saved) ? saved : [])];
  const seen = new Set();
  const unique = [];
  for (const f of fragments) {
    try {
      const key = window.ethers.Fragment.from(f).format('sighash');
      if (!seen.has(key)) {
        seen.add(key);
        unique.push(f);
      }
    } catch {
      // A fragment ethers cannot read (a constructor without inputs, say): skip it.
    }
  }
  return new window.ethers.Interface(unique);
}

/** `name(arg: value, …)`: a decoded call, event or error with each argument formatted. */
function describe(fragment, args) {
  const values = fragment.inputs.map((input, i) => `${input.name || `arg${i}`}: ${format(args[i])}`);
  return `${fragment.name}(${values.join(', ')})`;
}

function format(value) {
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return `[${value.map(format).join(', ')}]`;
  return String(value);
}

/**
 * The reason in revert data: `Error(string)` and `Panic(uint256)` (Solidity's built-in errors),
 * else a custom error of the ABI, else the raw hex.
 */
export function revertReason(data, iface) {
  if (!data || data === '0x') return 'reverted without data';
  const coder = window.ethers.AbiCoder.defaultAbiCoder();
  try {
    if (data.startsWith('0x08c379a0')) return `Error: ${coder.decode(['string'], `0x${data.slice(10)}`)[0]}`;
    if (data.startsWith('0x4e487b71')) return `Panic: code 0x${coder.decode(['uint256'], `0x${data.slice(10)}`)[0].toString(16)}`;
    const error = iface.parseError(data);
    if (error) return `${describe(error.fragment, error.args)} (custom error)`;
  } catch {
    // Malformed data: show it raw.
  }
  return `reverted with data ${data}`;
}

export async function render(ctx, arg) {
  const node = ctx.node;
  const what = classify(arg);
  if (what.kind !== 'hash') return notice('error', `"${arg}" is not a transaction hash (0x and 64 hex digits).`);
  const [tx, receipt] = await Promise.all([
    node.call('eth_getTransactionByHash', [what.value]),
    node.call('eth_getTransactionReceipt', [what.value]),
  ]);
  if (!tx) return notice('error', `${node.name} knows no transaction with hash ${what.value}.`);
  const target = tx.to ?? receipt?.contractAddress ?? null;
  const iface = abiFor(target);

  let status;
  if (!receipt) {
    status = h('span', { class: 'badge pending', id: 'tx-status' }, 'pending');
    ctx.onHead((n) => {
      if (n === node) ctx.reload();
    });
  } else if (receipt.status === '0x1') {
    status = h('span', { class: 'badge canonical', id: 'tx-status' }, 'success');
  } else {
    status = h('span', { class: 'badge stale', id: 'tx-status' }, 'failed');
  }

  let decoded = null;
  if (tx.to && tx.input && tx.input.length >= 10) {
    try {
      const parsed = iface.parseTransaction({ data: tx.input, value: tx.value });
      if (parsed) decoded = describe(parsed.fragment, parsed.args);
    } catch {
      decoded = null;
    }
  }

  const [reason, trace] = await Promise.all([
    receipt && receipt.status !== '0x1'
      ? node.call('ots_getTransactionError', [what.value]).then((d) => revertReason(d, iface), (e) => e.message)
      : null,
    receipt ? node.call('debug_traceTransaction', [what.value, { tracer: 'callTracer' }]).catch(() => null) : null,
  ]);

  const fee = receipt ? big(receipt.gasUsed) * big(receipt.effectiveGasPrice) : null;
  const page = h('div', {},
    h('h1', {}, 'Transaction ', status),
    fields([
      ['Hash', h('span', { class: 'mono', id: 'tx-hash' }, tx.hash)],
      ['Status', receipt
        ? `${receipt.status === '0x1' ? 'success' : 'failed'}, ${count(num(receipt.gasUsed))} gas used`
        : `pending: in ${node.name}'s mempool, not yet in a block`],
      reason && ['Revert reason', h('span', { id: 'tx-revert' }, reason)],
      ['Block', receipt ? h('span', { id: 'tx-block' }, link.block(receipt.blockHash, `${count(num(receipt.blockNumber))} (${short(receipt.blockHash)})`)) : '—'],
      ['From', link.address(tx.from, tx.from)],
      ['To', tx.to ? link.address(tx.to, tx.to)
        : h('span', {}, 'contract creation', receipt?.contractAddress ? [' → ', link.address(receipt.contractAddress, receipt.contractAddress)] : '')],
      ['Value', ether(tx.value)],
      ['Nonce', String(num(tx.nonce))],
      ['Type', `${num(tx.type)} (${['legacy', 'EIP-2930', 'EIP-1559', 'EIP-4844'][num(tx.type)] ?? 'unknown'})`],
      ['Gas used / limit', `${receipt ? count(num(receipt.gasUsed)) : '—'} / ${count(num(tx.gas))}`],
      ['Gas price', receipt ? `${gwei(receipt.effectiveGasPrice)} (effective)` : gwei(tx.maxFeePerGas ?? tx.gasPrice)],
      ['Fee', fee === null ? '—' : ether(fee)],
      decoded && ['Call', h('span', { class: 'mono', id: 'tx-call' }, decoded)],
      ['Input', h('div', { class: 'mono wrap' }, tx.input === '0x' ? '— (none)' : tx.input)],
    ]));

  if (receipt) {
    page.append(h('h2', {}, `Logs (${receipt.logs.length})`), logs(receipt.logs, iface));
  }
  if (trace) page.append(h('h2', {}, 'Internal calls (callTracer)'), h('ul', { class: 'calls', id: 'tx-calls' }, frame(trace)));
  if (tx.input !== '0x' || receipt?.logs.length) page.append(abiBox(ctx, target));
  return page;
}

function logs(list, fallback) {
  if (list.length === 0) return h('p', { class: 'muted' }, 'No logs.');
  return h('ol', { class: 'logs', id: 'tx-logs' }, list.map((log) => {
    let text = null;
    try {
      const iface = savedAbi(log.address) ? abiFor(log.address) : fallback;
      const parsed = iface.parseLog({ topics: log.topics, data: log.data });
      if (parsed) text = describe(parsed.fragment, parsed.args);
    } catch {
      text = null;
    }
    return h('li', {},
      h('div', {}, 'from ', link.address(log.address, log.address)),
      text ? h('div', { class: 'mono' }, text)
        : h('div', { class: 'mono wrap' }, `topics ${log.topics.join(', ')}; data ${log.data}`));
  }));
}

/** One callTracer frame and its children. */
function frame(f) {
  const value = f.value && big(f.value) > 0n ? ` ${ether(f.value)}` : '';
  const failed = f.error ? h('span', { class: 'badge stale' }, f.revertReason ? `${f.error}: ${f.revertReason}` : f.error) : null;
  return h('li', {},
    h('span', { class: 'mono' }, `${f.type} `), link.address(f.from), ' → ', link.address(f.to),
    value, ` gas used ${count(num(f.gasUsed ?? '0x0'))} `, failed,
    f.calls?.length ? h('ul', {}, f.calls.map(frame)) : null);
}

/** A box to paste a contract's ABI (JSON), kept in this browser to decode its calls and logs. */
function abiBox(ctx, address) {
  if (!address) return h('div');
  const area = h('textarea', { rows: 4, placeholder: '[{"type":"function","name":…}] (solc --abi output)' });
  area.value = JSON.stringify(savedAbi(address) ?? [], null, 0);
  const message = h('div');
  return h('details', { class: 'abi' },
    h('summary', {}, `Decode with an ABI for ${short(address)}`),
    area,
    h('button', {
      onclick: () => {
        try {
          const abi = JSON.parse(area.value);
          new window.ethers.Interface(abi); // refuses what ethers cannot read
          window.localStorage.setItem(`abi:${address.toLowerCase()}`, JSON.stringify(abi));
          ctx.reload();
        } catch (e) {
          message.replaceChildren(notice('error', `Not a usable ABI: ${e.message}`));
        }
      },
    }, 'Save and decode'),
    message);
}
