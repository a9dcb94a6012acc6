//! The node's Ethereum JSON-RPC server: JSON-RPC 2.0 (batches included) over HTTP and WebSocket
//! on one port (jsonrpsee), speaking the methods of the Ethereum JSON-RPC specification
//! (ethereum/execution-apis) the way geth does, so that ethers.js, web3.py, cast and
//! `quarry-wallet` work unmodified, plus a `quarry_` namespace for operating the node.
//!
//! Every method reads the chain through the [`Node`] handle; methods that touch the store or run
//! the EVM run on tokio's blocking pool, so a slow `eth_call` never stalls the server's other
//! connections. Input is taken leniently (see [`params`]); anything malformed gets a JSON-RPC
//! error object with the codes listed in `docs/rpc.md`, never a panic.

mod accounts;
pub mod error;
mod eth;
mod filters;
mod json;
pub mod middleware;
mod ots;
pub mod overrides;
pub mod params;
mod quarry;
mod subscribe;
mod trace;
mod txpool;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;

use jsonrpsee::server::middleware::rpc::RpcServiceBuilder;
use jsonrpsee::server::{BatchRequestConfig, RpcModule, Server, ServerConfig, ServerHandle};
use jsonrpsee::types::ErrorObjectOwned;
use serde_json::Value;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};
use tracing::{info, warn};

pub use error::RpcError;

use crate::p2p::P2p;
use crate::service::Node;

/// Default RPC port, as geth's.
pub const DEFAULT_PORT: u16 = 8545;

/// How the server is set up.
#[derive(Clone, Debug)]
pub struct RpcConfig {
    /// Address and port to listen on (default `127.0.0.1:8545`).
    pub addr: SocketAddr,
    /// Origins browsers may call from (`Access-Control-Allow-Origin`); `*` allows any. Empty:
    /// no CORS headers, so browsers refuse cross-origin calls.
    pub cors: Vec<String>,
    /// Blocks behind the tip that the `safe` and `finalized` tags name (proof of work has no
    /// finality; this is the confirmation depth the operator trusts).
    pub confirmations: u64,
    /// Most blocks one `eth_getLogs` may scan; 0: no limit (geth's `--rpc.rangelimit`, whose
    /// default is also 0).
    pub max_log_range: u64,
    /// Most requests in one JSON-RPC batch (geth's `--rpc.batch-request-limit`, 1000).
    pub max_batch: u32,
    /// Most bytes in one request body.
    pub max_request_size: u32,
    /// Sign for the ten dev accounts (`eth_accounts`, `eth_sendTransaction`, `eth_sign`, …):
    /// on with `--dev` or `--unlock`, as anvil and Hardhat do on their dev chains.
    pub unlock_dev_accounts: bool,
}

impl Default for RpcConfig {
    fn default() -> Self {
        RpcConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], DEFAULT_PORT)),
            cors: Vec::new(),
            confirmations: 6,
            max_log_range: 0,
            max_batch: 1_000,
            max_request_size: 10 * 1024 * 1024,
            unlock_dev_accounts: false,
        }
    }
}

/// What every handler sees.
pub(crate) struct Ctx {
    pub(crate) node: Node,
    /// The p2p layer, if the node runs one.
    pub(crate) p2p: Option<P2p>,
    pub(crate) config: RpcConfig,
    /// Installed polled filters (`eth_newFilter`, …).
    pub(crate) filters: Arc<filters::Filters>,
}

/// Niceness of every JSON-RPC thread (Linux `setpriority`): under load, RPC readers yield the
/// CPU to block import, sync and mining, so a flood of `eth_call`s or `eth_getLogs` cannot slow
/// the chain down (the engine issue's "RPC never delays import"; lighthouse's processor queues
/// give the same priority to blocks over API work).
pub const RPC_THREAD_NICENESS: i32 = 10;

/// A running server; [`RpcServer::stop`] stops it, and so does dropping it (jsonrpsee stops a
/// server once every handle to it is gone). It runs on its own tokio runtime, whose threads
/// have a lower priority than the node's ([`RPC_THREAD_NICENESS`]).
#[derive(Debug)]
pub struct RpcServer {
    handle: ServerHandle,
    addr: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
}

impl RpcServer {
    /// The address actually bound (the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting connections and waits until the server has stopped.
    pub async fn stop(self) {
        let _ = self.handle.stop();
        self.handle.clone().stopped().await;
    }
}

/// How long dropping an [`RpcServer`] from synchronous code waits for its handlers to end.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

impl Drop for RpcServer {
    fn drop(&mut self) {
        let Some(runtime) = self.runtime.take() else { return };
        if tokio::runtime::Handle::try_current().is_ok() {
            // Dropped from async code, which must not block: the runtime's threads wind down
            // on their own.
            runtime.shutdown_background();
        } else {
            // From synchronous code, wait until every task (and the node handles they hold) is
            // gone, so a store the server kept open is closed when this returns, not while the
            // process exits (RocksDB aborts with "pthread lock: Invalid argument" when its
            // threads outlive its statics).
            runtime.shutdown_timeout(SHUTDOWN_GRACE);
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum RpcStartError {
    /// The address could not be bound (in use, no permission).
    #[error("cannot listen for JSON-RPC on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The server's runtime could not be started.
    #[error("cannot start the JSON-RPC runtime: {0}")]
    Runtime(std::io::Error),
}

/// Lowers the calling thread's priority to [`RPC_THREAD_NICENESS`] (Linux applies `nice` per
/// thread; elsewhere this does nothing).
fn lower_thread_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: gettid and setpriority take no pointers; a failure (no permission) leaves the
    // thread at its priority, which is harmless.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, RPC_THREAD_NICENESS);
    }
}

fn cors_layer(origins: &[String]) -> CorsLayer {
    if origins.is_empty() {
        return CorsLayer::new();
    }
    let layer = CorsLayer::new().allow_methods(Any).allow_headers(Any);
    if origins.iter().any(|o| o == "*") {
        return layer.allow_origin(Any);
    }
    let allowed: Vec<String> = origins.to_vec();
    layer.allow_origin(AllowOrigin::predicate(move |origin, _| {
        allowed.iter().any(|o| o.as_bytes() == origin.as_bytes())
    }))
}

/// Binds `config.addr` and serves every method on the current tokio runtime until stopped.
/// `p2p` answers the peer methods (`net_peerCount`, `eth_syncing`, `quarry_peers`, …); without
/// it the node reports no peers. Binding a non-loopback address logs a warning: anyone who can reach it can submit
/// transactions and stop the miner.
///
/// # Errors
/// [`RpcStartError`].
pub async fn start(
    node: Node,
    p2p: Option<P2p>,
    config: RpcConfig,
) -> Result<RpcServer, RpcStartError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("rpc")
        .on_thread_start(lower_thread_priority)
        .enable_all()
        .build()
        .map_err(RpcStartError::Runtime)?;
    let served = runtime.spawn(serve(node, p2p, config)).await;
    let (handle, addr) = match served {
        Ok(result) => result?,
        Err(e) => return Err(RpcStartError::Runtime(std::io::Error::other(e.to_string()))),
    };
    Ok(RpcServer { handle, addr, runtime: Some(runtime) })
}

/// Binds and starts the server on the current (the RPC's own) runtime.
async fn serve(
    node: Node,
    p2p: Option<P2p>,
    config: RpcConfig,
) -> Result<(ServerHandle, SocketAddr), RpcStartError> {
    if !config.addr.ip().is_loopback() {
        warn!(
            addr = %config.addr,
            "JSON-RPC listens on a non-loopback address: anyone who can reach it can use this \
             node's RPC, including quarry_setMining"
        );
    }
    let cors = cors_layer(&config.cors);
    let filters = Arc::new(filters::Filters::default());
    filters::spawn_feeder(&node, filters.clone());
    let module = module(node, p2p, config.clone(), filters);
    let known: Arc<HashSet<&'static str>> = Arc::new(module.method_names().collect());
    let rpc_middleware = RpcServiceBuilder::new()
        .layer_fn(move |service| middleware::GethMethodNotFound::new(service, known.clone()));
    let server_config = ServerConfig::builder()
        .max_request_body_size(config.max_request_size)
        .max_response_body_size(32 * 1024 * 1024)
        .set_batch_request_config(BatchRequestConfig::Limit(config.max_batch))
        .max_connections(256)
        .build();
    let server = Server::builder()
        .set_config(server_config)
        .set_http_middleware(tower::ServiceBuilder::new().layer(cors))
        .set_rpc_middleware(rpc_middleware)
        .build(config.addr)
        .await
        .map_err(|source| RpcStartError::Bind { addr: config.addr, source })?;
    let addr =
        server.local_addr().map_err(|source| RpcStartError::Bind { addr: config.addr, source })?;
    let handle = server.start(module);
    info!(%addr, "JSON-RPC listening (HTTP and WebSocket)");
    Ok((handle, addr))
}

/// Every method, registered on one module.
fn module(
    node: Node,
    p2p: Option<P2p>,
    config: RpcConfig,
    filters: Arc<filters::Filters>,
) -> RpcModule<Ctx> {
    let mut module = RpcModule::new(Ctx { node, p2p, config, filters });
    eth::register(&mut module);
    filters::register(&mut module);
    accounts::register(&mut module);
    txpool::register(&mut module);
    trace::register(&mut module);
    ots::register(&mut module);
    quarry::register(&mut module);
    subscribe::register(&mut module);
    module
}

/// The positional parameters of a request: omitted or `null` params are no parameters.
fn positional(params: &jsonrpsee::types::Params<'_>) -> Result<Vec<Value>, RpcError> {
    let Some(text) = params.as_str() else { return Ok(Vec::new()) };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Null) => Ok(Vec::new()),
        Ok(Value::Array(values)) => Ok(values),
        Ok(other) => Err(RpcError::invalid_params(format!(
            "params must be an array of positional arguments, got {other}"
        ))),
        Err(e) => Err(RpcError::invalid_params(format!("params: {e}"))),
    }
}

/// Registers `f` as method `name`, run on the blocking pool with positional arguments.
pub(crate) fn method<F>(module: &mut RpcModule<Ctx>, name: &'static str, f: F)
where
    F: Fn(&Ctx, &[Value]) -> Result<Value, RpcError> + Clone + Send + Sync + 'static,
{
    module
        .register_blocking_method(name, move |params, ctx: Arc<Ctx>, _| {
            let args = positional(&params).map_err(ErrorObjectOwned::from)?;
            f(&ctx, &args).map_err(ErrorObjectOwned::from)
        })
        .expect("method names are unique");
}
