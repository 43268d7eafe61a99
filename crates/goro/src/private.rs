//! Not public API: what goro's macros expand to. Reached through
//! `$crate::__private` so that the macros work when goro is renamed or
//! re-exported.

use std::future::{ready, IntoFuture, Ready};
use std::marker::PhantomData;

pub use crate::builder::Builder;
pub use crate::builder::Panic;
pub use crate::chan::select::{select, SelectOp, SelectOutput};
pub use crate::spawn::spawn;
pub use goro_macros::{go_impl, select_impl};

/// Tells, at compile time, whether a `go!` call returned a future (the
/// goroutine awaits it) or a plain value (the goroutine's result). Method
/// resolution picks [`ViaFuture`] when `T: IntoFuture` and falls back to
/// [`ViaValue`] through one more auto-reference otherwise.
pub struct Tag<T>(PhantomData<fn() -> T>);

/// Builds the [`Tag`] of a value without taking it.
pub fn tag<T>(_: &T) -> Tag<T> {
    Tag(PhantomData)
}

/// The call returned a future.
pub struct FutureKind;
/// The call returned a plain value.
pub struct ValueKind;

/// Picked when the call's result is a future.
pub trait ViaFuture {
    /// See [`Tag`].
    fn __goro_kind(&self) -> FutureKind {
        FutureKind
    }
}
impl<T: IntoFuture> ViaFuture for Tag<T> {}

/// Picked when the call's result is not a future.
pub trait ViaValue {
    /// See [`Tag`].
    fn __goro_kind(&self) -> ValueKind {
        ValueKind
    }
}
impl<T> ViaValue for &Tag<T> {}

impl FutureKind {
    /// The future to await.
    pub fn into_future<F: IntoFuture>(self, future: F) -> F::IntoFuture {
        future.into_future()
    }
}

impl ValueKind {
    /// A future that is ready with the value.
    pub fn into_future<T>(self, value: T) -> Ready<T> {
        ready(value)
    }
}
