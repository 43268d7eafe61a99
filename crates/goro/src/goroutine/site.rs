//! Who a goroutine is: where it was spawned, its id, and its name.

use std::panic::Location;
use std::sync::Arc;

use super::id::GoroutineId;

/// Who a goroutine is; the poll wrapper keeps one per goroutine.
pub(crate) trait Site: Send + 'static {
    fn spawned_at(&self) -> &'static Location<'static>;
    fn name(&self) -> Option<&str>;
    /// The name, shared.
    fn shared_name(&self) -> Option<Arc<str>> {
        None
    }
    fn id(&self) -> GoroutineId;

    fn running(&self) -> Running {
        Running {
            spawned_at: self.spawned_at(),
            id: self.id(),
        }
    }
}

/// An unnamed goroutine: where it was spawned, and its id. Two words, so
/// that the common goroutine carries no box for its identity.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Spot {
    pub(crate) spawned_at: &'static Location<'static>,
    pub(crate) id: GoroutineId,
}

impl Site for Spot {
    fn spawned_at(&self) -> &'static Location<'static> {
        self.spawned_at
    }
    fn name(&self) -> Option<&str> {
        None
    }
    fn id(&self) -> GoroutineId {
        self.id
    }
}

/// A goroutine with a name (the main one is `main`): one word, a box.
#[derive(Debug)]
pub(crate) struct Named {
    pub(crate) spawned_at: &'static Location<'static>,
    pub(crate) name: Option<Arc<str>>,
    pub(crate) id: GoroutineId,
}

impl Named {
    pub(crate) fn new(
        spawned_at: &'static Location<'static>,
        name: Option<Arc<str>>,
        id: GoroutineId,
    ) -> Box<Named> {
        Box::new(Named {
            spawned_at,
            name,
            id,
        })
    }
}

impl Site for Box<Named> {
    fn spawned_at(&self) -> &'static Location<'static> {
        self.spawned_at
    }
    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    fn shared_name(&self) -> Option<Arc<str>> {
        self.name.clone()
    }
    fn id(&self) -> GoroutineId {
        self.id
    }
}

/// The goroutine a thread is running: what the thread's context keeps.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Running {
    pub(crate) spawned_at: &'static Location<'static>,
    pub(crate) id: GoroutineId,
}
