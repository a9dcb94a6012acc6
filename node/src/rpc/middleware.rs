//! geth's answer to a method the node does not serve: code `-32601` with the message
//! `the method NAME does not exist/is not available` (geth's `rpc/errors.go`
//! `methodNotFoundError`), instead of jsonrpsee's bare `Method not found`. Clients key on
//! geth's wording: ethers v6 falls back from filter-based subscriptions to polling when it sees
//! it, and users searching for the message find geth's explanation.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;

use futures::future::Either;
use jsonrpsee::server::middleware::rpc::{Batch, BatchEntry, BatchEntryErr, RpcServiceT};
use jsonrpsee::server::MethodResponse;
use jsonrpsee::types::{ErrorObject, Request};

use super::error::METHOD_NOT_FOUND;

/// geth's message for an unknown method `name`.
pub fn method_not_found_message(name: &str) -> String {
    format!("the method {name} does not exist/is not available")
}

/// The RPC middleware: answers calls of methods outside `known` with geth's error and passes
/// the rest on.
#[derive(Clone, Debug)]
pub(crate) struct GethMethodNotFound<S> {
    inner: S,
    known: Arc<HashSet<&'static str>>,
}

impl<S> GethMethodNotFound<S> {
    /// Wraps `inner`, which serves the methods named in `known`.
    pub(crate) fn new(inner: S, known: Arc<HashSet<&'static str>>) -> Self {
        GethMethodNotFound { inner, known }
    }
}

fn error(name: &str) -> ErrorObject<'static> {
    ErrorObject::owned(METHOD_NOT_FOUND, method_not_found_message(name), None::<()>)
}

impl<S> RpcServiceT for GethMethodNotFound<S>
where
    S: RpcServiceT<MethodResponse = MethodResponse> + Send + Sync + Clone + 'static,
{
    type MethodResponse = S::MethodResponse;
    type NotificationResponse = S::NotificationResponse;
    type BatchResponse = S::BatchResponse;

    fn call<'a>(
        &self,
        request: Request<'a>,
    ) -> impl Future<Output = Self::MethodResponse> + Send + 'a {
        if self.known.contains(request.method_name()) {
            Either::Left(self.inner.call(request))
        } else {
            let response = MethodResponse::error(request.id, error(&request.method));
            Either::Right(std::future::ready(response))
        }
    }

    fn batch<'a>(
        &self,
        mut batch: Batch<'a>,
    ) -> impl Future<Output = Self::BatchResponse> + Send + 'a {
        // The server answers a batch entry that is an error with that error, so unknown
        // methods inside a batch get the same words as single calls.
        for entry in batch.iter_mut() {
            let unknown = match entry {
                Ok(BatchEntry::Call(request)) if !self.known.contains(request.method_name()) => {
                    Some((request.id.clone().into_owned(), error(&request.method)))
                }
                _ => None,
            };
            if let Some((id, err)) = unknown {
                *entry = Err(BatchEntryErr::new(id, err));
            }
        }
        self.inner.batch(batch)
    }

    fn notification<'a>(
        &self,
        notification: jsonrpsee::server::middleware::rpc::Notification<'a>,
    ) -> impl Future<Output = Self::NotificationResponse> + Send + 'a {
        self.inner.notification(notification)
    }
}
