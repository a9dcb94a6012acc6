//! EPaxos execution (Moraru et al., SOSP 2013, §4.3.2 "Execution algorithm"):
//!
//! ```text
//! to execute a committed command γ:
//!     1. wait for every instance in γ's dependency graph (γ, its deps, theirs, …) to be committed
//!     2. find the strongly connected components of that graph, sort them topologically
//!     3. in inverse topological order, for each SCC:
//!          sort its commands by seq; execute every unexecuted one in that order
//! ```
//!
//! Tarjan's algorithm emits each SCC only after every SCC reachable from it, i.e. dependencies
//! first: exactly the inverse topological order step 3 asks for. Ties in `seq` inside a
//! component are broken by instance id, the same way at every replica.

use std::collections::{BTreeMap, BTreeSet};

use super::{Command, Context, EPaxos, Executed, InstanceId, Status};

/// Tarjan's strongly-connected-components search over committed, unexecuted instances.
#[derive(Default)]
struct Tarjan {
    next: usize,
    index: BTreeMap<InstanceId, usize>,
    low: BTreeMap<InstanceId, usize>,
    stack: Vec<InstanceId>,
    on_stack: BTreeSet<InstanceId>,
    sccs: Vec<Vec<InstanceId>>,
    /// The first instance found uncommitted (or unknown): execution must wait for it.
    blocked_on: Option<InstanceId>,
}

impl Tarjan {
    fn visit(&mut self, replica: &EPaxos, v: InstanceId) {
        let Some(inst) = replica.cmds.get(&v).filter(|i| i.status == Status::Committed) else {
            self.blocked_on = Some(v);
            return;
        };
        self.index.insert(v, self.next);
        self.low.insert(v, self.next);
        self.next += 1;
        self.stack.push(v);
        self.on_stack.insert(v);
        for &w in inst.attrs.deps.iter().filter(|w| !replica.executed.contains(w)) {
            if !self.index.contains_key(&w) {
                self.visit(replica, w);
                if self.blocked_on.is_some() {
                    return;
                }
                self.low.insert(v, self.low[&v].min(self.low[&w]));
            } else if self.on_stack.contains(&w) {
                self.low.insert(v, self.low[&v].min(self.index[&w]));
            }
        }
        if self.low[&v] == self.index[&v] {
            let mut scc = Vec::new();
            while let Some(w) = self.stack.pop() {
                self.on_stack.remove(&w);
                scc.push(w);
                if w == v {
                    break;
                }
            }
            self.sccs.push(scc);
        }
    }
}

impl EPaxos {
    /// Execute every committed command whose dependency graph is fully committed.
    pub(super) fn execute_ready(&mut self, ctx: &mut Context<'_, Self>) {
        let pending: Vec<InstanceId> = self
            .cmds
            .iter()
            .filter(|(id, i)| i.status == Status::Committed && !self.executed.contains(id))
            .map(|(id, _)| *id)
            .collect();
        for root in pending {
            if self.executed.contains(&root) {
                continue;
            }
            let mut tarjan = Tarjan::default();
            tarjan.visit(self, root);
            if let Some(missing) = tarjan.blocked_on {
                // Wait for it; if it never commits, the recovery tick will go after it.
                self.waiting_since.entry(missing).or_insert(ctx.now);
                continue;
            }
            for mut scc in tarjan.sccs {
                scc.sort_by_key(|id| (self.cmds[id].attrs.seq, *id));
                for id in scc {
                    self.apply(ctx, id);
                }
            }
        }
        self.ensure_ticking(ctx);
    }

    /// Apply one committed command to the KV store and report it.
    fn apply(&mut self, ctx: &mut Context<'_, Self>, id: InstanceId) {
        if !self.executed.insert(id) {
            return;
        }
        let cmd = self.cmds[&id].cmd;
        let result = match cmd {
            Command::Put { key, value, .. } => {
                self.store.insert(key, value);
                None
            }
            Command::Get { key, .. } => self.store.get(&key).copied(),
            Command::Noop => return,
        };
        ctx.output(Executed { cmd, result });
    }
}
