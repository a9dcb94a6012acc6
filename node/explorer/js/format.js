// Building DOM and writing chain quantities for people. Text always goes in as text nodes
// (never as HTML), so nothing a node or a search box returns can inject markup.

/**
 * `h('a', {href: '#/'}, 'home')`: an element with attributes (`class`, `id`, `data-*`,
 * event handlers as `onclick`) and children (strings, numbers, nodes, arrays; null skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

/** `0x`-hex quantity → BigInt (null stays null). */
export function big(hex) {
  return hex === null || hex === undefined ? null : BigInt(hex);
}

/** `0x`-hex quantity → Number (for heights, timestamps, gas: all below 2^53). */
export function num(hex) {
  return hex === null || hex === undefined ? null : Number(BigInt(hex));
}

/**
 * `0x7099…dc79c8`: the first 4 and last 6 hex digits of a hash or address (block hashes start
 * with zeros, the proof of work, so their end is what tells them apart).
 */
export function short(hex) {
  return hex && hex.length > 14 ? `${hex.slice(0, 6)}…${hex.slice(-6)}` : hex;
}

/** Wei (BigInt or hex) in ether, e.g. `1.5 ETH`. */
export function ether(wei) {
  return `${window.ethers.formatEther(typeof wei === 'bigint' ? wei : big(wei ?? '0x0'))} ETH`;
}

/** Wei per gas in gwei, e.g. `1.000000007 gwei`. */
export function gwei(wei) {
  return `${window.ethers.formatUnits(typeof wei === 'bigint' ? wei : big(wei), 'gwei')} gwei`;
}

/** A count with thousands separators. */
export function count(n) {
  return Number(n).toLocaleString('en-US');
}

/** A rate in hashes per second with an SI prefix: `12.3 MH/s`. */
export function hashRate(hps) {
  const units = ['H/s', 'kH/s', 'MH/s', 'GH/s', 'TH/s', 'PH/s'];
  let value = Number(hps);
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

/** A large BigInt in scientific notation when it has more than 9 digits: `1.23e12`. */
export function sci(n) {
  const s = n.toString();
  return s.length <= 9 ? count(s) : `${s[0]}.${s.slice(1, 3)}e${s.length - 1}`;
}

/** How long ago a Unix time (seconds) was: `5 s ago`, `3 min ago`, `2 h ago`. */
export function age(unixSeconds, now = Date.now() / 1000) {
  const d = Math.max(0, Math.round(now - unixSeconds));
  if (d < 120) return `${d} s ago`;
  if (d < 7200) return `${Math.round(d / 60)} min ago`;
  return `${Math.round(d / 3600)} h ago`;
}

/** A Unix time as ISO 8601 UTC. */
export function utc(unixSeconds) {
  return new Date(unixSeconds * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * The 256-bit target a compact `bits` value encodes (Bitcoin's nBits: mantissa × 256^(exponent
 * − 3); `primitives::pow::target_from_bits`).
 */
export function targetFromBits(bitsHex) {
  const bits = Number(BigInt(bitsHex));
  const exponent = bits >>> 24;
  const mantissa = BigInt(bits & 0x007fffff);
  return exponent <= 3
    ? mantissa >> BigInt(8 * (3 - exponent))
    : mantissa << BigInt(8 * (exponent - 3));
}

/** A 256-bit value as 64 hex digits with `0x`. */
export function hex256(n) {
  return `0x${n.toString(16).padStart(64, '0')}`;
}

/** Links to the pages of a block, transaction or address. */
export const link = {
  block: (id, text) => h('a', { href: `#/block/${id}` }, text ?? String(id)),
  tx: (hash, text) => h('a', { href: `#/tx/${hash}`, class: 'mono' }, text ?? short(hash)),
  address: (address, text) =>
    address ? h('a', { href: `#/address/${address}`, class: 'mono' }, text ?? short(address)) : '—',
};

/** A two-column table of `[label, value]` rows (value: text or nodes). */
export function fields(rows) {
  return h('table', { class: 'fields' },
    rows.filter(Boolean).map(([label, value]) => h('tr', {}, h('th', {}, label), h('td', {}, value))));
}

/** A table with a header row and body rows of cells. */
export function table(headings, rows, attrs = {}) {
  return h('table', { class: 'list', ...attrs },
    h('thead', {}, h('tr', {}, headings.map((t) => h('th', {}, t)))),
    h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((c) => h('td', {}, c))))));
}

/** A message box: `kind` is `error`, `info` or `warn`. */
export function notice(kind, ...text) {
  return h('div', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, ...text);
}

/** The name of the node mining to `address`, if one of the explorer's nodes does. */
export function minerName(nodes, address) {
  const a = address?.toLowerCase();
  return nodes.find((n) => n.miner && n.miner === a)?.name ?? null;
}

/** A miner cell: the node's name when known, else the short address; both link. */
export function miner(nodes, address) {
  const name = minerName(nodes, address);
  return link.address(address, name ? `${name} (${short(address)})` : short(address));
}
