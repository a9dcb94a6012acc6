//! The block explorer's web server: serves the single-page app under `node/explorer/`
//! (embedded in the binary at build time, so nothing is fetched at run time) and
//! `/config.json`, the list of nodes the page reads.
//!
//! The page itself talks only to the nodes' public JSON-RPC (HTTP for calls, WebSocket for
//! `eth_subscribe`), cross-origin: whoever starts an explorer gives the nodes it lists the
//! explorer's origin in their CORS list ([`Explorer::origins`]). `quarry-node run --explorer`
//! serves it for one node; `quarry-node testnet` serves it for all of its nodes, so the block
//! tree page can merge what every node has seen.
//!
//! The explorer only ever binds loopback: it serves no secrets, but the nodes it names trust
//! its origin.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};

use alloy_primitives::Address;
use axum::extract::State;
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use tokio::sync::oneshot;

/// Default port of the explorer (`--explorer-port`).
pub const DEFAULT_PORT: u16 = 8080;

/// Every file under `node/explorer/`, embedded at build time (in debug builds rust-embed reads
/// them from disk instead, so a page being edited reloads without a rebuild).
#[derive(rust_embed::Embed)]
#[folder = "explorer/"]
struct Assets;

/// One node the page shows, as `/config.json` lists it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ExplorerNode {
    /// A short label (`node-0`, …).
    pub name: String,
    /// The node's JSON-RPC over HTTP, e.g. `http://127.0.0.1:8545`.
    pub rpc: String,
    /// The same server over WebSocket (`ws://…`; Quarry serves both on one port).
    pub ws: String,
    /// The address this node mines to, if it mines: how the block tree tells which node
    /// mined a block (from the header's `miner`).
    pub miner: Option<Address>,
}

impl ExplorerNode {
    /// The entry of a node serving JSON-RPC on `rpc` (HTTP and WebSocket on one port).
    pub fn new(name: impl Into<String>, rpc: SocketAddr, miner: Option<Address>) -> Self {
        ExplorerNode {
            name: name.into(),
            rpc: format!("http://{rpc}"),
            ws: format!("ws://{rpc}"),
            miner,
        }
    }
}

/// What `/config.json` answers.
#[derive(Clone, Debug, Serialize)]
struct PageConfig {
    nodes: Vec<ExplorerNode>,
}

/// Why the explorer could not start.
#[derive(Debug, thiserror::Error)]
pub enum ExplorerError {
    /// The port could not be bound (in use, no permission).
    #[error("cannot listen for the explorer on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
}

/// A bound but not yet serving explorer: binding comes first so that its origin (with the real
/// port when 0 was asked for) can be given to the nodes' CORS lists before they start.
#[derive(Debug)]
pub struct BoundExplorer {
    listener: TcpListener,
    addr: SocketAddr,
}

/// Binds `127.0.0.1:port` (0: any free port).
///
/// # Errors
/// [`ExplorerError::Bind`] when the port is taken or not allowed.
pub fn bind(port: u16) -> Result<BoundExplorer, ExplorerError> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let bind = || {
        let listener = TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let local = listener.local_addr()?;
        Ok::<_, std::io::Error>((listener, local))
    };
    let (listener, addr) = bind().map_err(|source| ExplorerError::Bind { addr, source })?;
    Ok(BoundExplorer { listener, addr })
}

impl BoundExplorer {
    /// The address bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The page's URL, `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The origins a browser shows for this page (`127.0.0.1` and `localhost`), for the
    /// nodes' `--rpc-cors`.
    pub fn origins(&self) -> Vec<String> {
        let port = self.addr.port();
        vec![format!("http://127.0.0.1:{port}"), format!("http://localhost:{port}")]
    }

    /// Serves the page and `/config.json` listing `nodes` on the current tokio runtime until
    /// the returned [`Explorer`] is stopped or dropped.
    ///
    /// # Errors
    /// [`ExplorerError::Bind`] if the listener cannot join the runtime.
    pub fn serve(self, nodes: Vec<ExplorerNode>) -> Result<Explorer, ExplorerError> {
        let addr = self.addr;
        let listener = tokio::net::TcpListener::from_std(self.listener)
            .map_err(|source| ExplorerError::Bind { addr, source })?;
        let app = Router::new()
            .route("/config.json", get(config))
            .fallback(asset)
            .with_state(PageConfig { nodes });
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
            if let Err(e) = served {
                tracing::warn!(%addr, "explorer stopped: {e}");
            }
        });
        tracing::info!(%addr, "block explorer listening");
        Ok(Explorer { addr, _stop: stop })
    }
}

/// A serving explorer; dropping it stops the server.
#[derive(Debug)]
pub struct Explorer {
    addr: SocketAddr,
    _stop: oneshot::Sender<()>,
}

impl Explorer {
    /// The address served.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
}

async fn config(State(config): State<PageConfig>) -> Json<PageConfig> {
    Json(config)
}

/// An embedded file by path (`/` is `index.html`), or 404 naming the path.
async fn asset(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    match Assets::get(path) {
        Some(file) => (
            [
                (header::CONTENT_TYPE, file.metadata.mimetype().to_string()),
                // The node may be upgraded under an open page; always revalidate.
                (header::CACHE_CONTROL, "no-cache".to_string()),
            ],
            file.data,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, format!("no such page: /{path}\n")).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_entry_names_http_and_ws_of_one_port() {
        let node = ExplorerNode::new("node-0", SocketAddr::from(([127, 0, 0, 1], 8545)), None);
        assert_eq!(node.rpc, "http://127.0.0.1:8545");
        assert_eq!(node.ws, "ws://127.0.0.1:8545");
    }

    #[test]
    fn origins_name_both_loopback_spellings_with_the_bound_port() {
        let bound = bind(0).expect("a free port");
        let port = bound.local_addr().port();
        assert_ne!(port, 0);
        assert_eq!(
            bound.origins(),
            [format!("http://127.0.0.1:{port}"), format!("http://localhost:{port}")]
        );
    }

    /// An HTTP/1.0 GET; the whole answer (status line, headers, body).
    async fn get(addr: SocketAddr, path: &str) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let request = format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n");
        stream.write_all(request.as_bytes()).await.expect("send");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.expect("read");
        answer
    }

    #[tokio::test]
    async fn serves_the_node_list_and_embedded_files_and_names_unknown_paths() {
        let bound = bind(0).expect("a free port");
        let miner = Some(Address::repeat_byte(0x11));
        let node = ExplorerNode::new("node-0", SocketAddr::from(([127, 0, 0, 1], 8545)), miner);
        let explorer = bound.serve(vec![node]).expect("serving");
        let addr = explorer.local_addr();

        let config = get(addr, "/config.json").await;
        assert!(
            config.starts_with("HTTP/1.0 200") || config.starts_with("HTTP/1.1 200"),
            "{config}"
        );
        let body = config.split("\r\n\r\n").nth(1).expect("a body");
        let json: serde_json::Value = serde_json::from_str(body).expect("JSON");
        assert_eq!(json["nodes"][0]["rpc"], "http://127.0.0.1:8545");
        assert_eq!(json["nodes"][0]["miner"], "0x1111111111111111111111111111111111111111");

        let readme = get(addr, "/README.md").await;
        assert!(readme.contains(" 200 "), "{readme}");
        assert!(readme.contains("Every file in this folder is embedded"), "{readme}");

        let missing = get(addr, "/no/such/file.js").await;
        assert!(missing.contains(" 404 "), "{missing}");
        assert!(missing.contains("no such page: /no/such/file.js"), "{missing}");
    }

    #[test]
    fn a_taken_port_is_an_error_naming_it() {
        let first = bind(0).expect("a free port");
        let port = first.local_addr().port();
        let err = bind(port).expect_err("the port is taken");
        assert!(err.to_string().contains(&format!("127.0.0.1:{port}")), "{err}");
    }
}
