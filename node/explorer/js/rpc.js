// JSON-RPC to Quarry nodes: calls over HTTP (POST, JSON-RPC 2.0) and `eth_subscribe` over
// WebSocket. The explorer reads nothing else: every figure on every page comes from a node's
// public `eth_*`, `txpool_*`, `ots_*`, `debug_*` and `quarry_*` methods (docs/rpc.md).

/** A JSON-RPC error answer, or a node that could not be reached. */
export class RpcError extends Error {
  /**
   * @param {string} node the node's name (`node-0`) or URL
   * @param {string} method the method called
   * @param {number|null} code the JSON-RPC error code; null when the node was unreachable
   * @param {string} message the node's message (or the transport's)
   */
  constructor(node, method, code, message) {
    super(code === null
      ? `${node} is unreachable (${method}): ${message}`
      : `${node} answered ${method} with error ${code}: ${message}`);
    this.node = node;
    this.method = method;
    this.code = code;
  }
}

/** One node the page reads, as `/config.json` lists it: `{name, rpc, ws, miner}`. */
export class Node {
  constructor({ name, rpc, ws, miner }) {
    this.name = name;
    this.rpc = rpc;
    this.ws = ws ?? rpc.replace(/^http/, 'ws');
    this.miner = miner ? miner.toLowerCase() : null;
    this.nextId = 1;
  }

  /**
   * Calls `method` with `params`; resolves to the `result`.
   * @throws {RpcError} on an error answer or an unreachable node
   */
  async call(method, params = []) {
    const body = JSON.stringify({ jsonrpc: '2.0', id: this.nextId++, method, params });
    let response;
    try {
      response = await fetch(this.rpc, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body,
      });
    } catch (e) {
      throw new RpcError(this.name, method, null, e.message);
    }
    let reply;
    try {
      reply = await response.json();
    } catch (e) {
      throw new RpcError(this.name, method, null, `HTTP ${response.status}, not JSON`);
    }
    if (reply.error) {
      throw new RpcError(this.name, method, reply.error.code, reply.error.message);
    }
    return reply.result;
  }

  /**
   * `eth_subscribe(kind)` over WebSocket; `onEvent(result)` for every notification. The
   * socket reconnects (and resubscribes) 2 s after it drops, so a restarted node is picked up
   * again. Returns a function that ends the subscription.
   */
  subscribe(kind, onEvent) {
    let socket = null;
    let closed = false;
    let retry = null;
    const open = () => {
      socket = new WebSocket(this.ws);
      socket.onopen = () => {
        socket.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: [kind] }));
      };
      socket.onmessage = (message) => {
        let data;
        try {
          data = JSON.parse(message.data);
        } catch {
          return;
        }
        if (data.method === 'eth_subscription' && data.params) onEvent(data.params.result);
      };
      socket.onclose = () => {
        if (!closed) retry = setTimeout(open, 2000);
      };
      socket.onerror = () => socket.close();
    };
    open();
    return () => {
      closed = true;
      clearTimeout(retry);
      if (socket) socket.close();
    };
  }
}

/**
 * The nodes to read: `?rpc=URL[,URL…]` in the page's address when given (any Quarry node, e.g.
 * `?rpc=http://127.0.0.1:8545`), else the list the serving node wrote in `/config.json`, else
 * one node at `http://127.0.0.1:8545`.
 * @returns {Promise<Node[]>}
 */
export async function loadNodes(location = window.location) {
  const given = new URLSearchParams(location.search).get('rpc');
  if (given) {
    return given.split(',').map((url, i) => new Node({ name: `rpc-${i}`, rpc: url.trim() }));
  }
  try {
    const response = await fetch('/config.json');
    if (response.ok) {
      const config = await response.json();
      if (Array.isArray(config.nodes) && config.nodes.length > 0) {
        return config.nodes.map((n) => new Node(n));
      }
    }
  } catch {
    // Served by something other than the node: fall through to the default.
  }
  return [new Node({ name: 'node-0', rpc: 'http://127.0.0.1:8545' })];
}
