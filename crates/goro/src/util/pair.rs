//! `Pair`: a reference-counted pointer whose handles are all counted when
//! the value is made.
//!
//! A waiting operation keeps one handle to its waiter and puts the other in
//! its channel's queue; a `select!` keeps one handle to its selection and
//! gives one to the waiter of each branch. With `Arc` each of those was a
//! clone, an atomic read-modify-write on every wait; here the count starts
//! at the number of handles, a plain store into memory nobody else sees
//! yet. Handles are never cloned after that, only dropped: the last one
//! frees the value, as an `Arc`'s last strong reference does (release
//! decrement, acquire fence), or, if its owner asks (`Pair::recycle`, a
//! goroutine's `Join` whose handle was dropped), drops the value in place
//! and gives back its memory to be used again.
#![allow(unsafe_code)]

use std::marker::PhantomData;
use std::ops::Deref;
use std::ptr::NonNull;

use super::block::Block;
use crate::loom::{fence, AtomicUsize, Ordering};

/// One handle to a value made by [`Pair::new`] or [`Pair::new_with`] (two
/// handles) or [`Handles::new`] (any number).
pub(crate) struct Pair<T> {
    inner: NonNull<Inner<T>>,
    /// The handle owns a share of an `Inner<T>` (for drop checking).
    _owns: PhantomData<Inner<T>>,
}

/// What the handles share (public only to be boxed elsewhere).
pub(crate) struct Inner<T> {
    handles: AtomicUsize,
    value: T,
}

// SAFETY: as for `Arc<T>`: a handle gives shared access to `T` from any
// thread, and the last handle, on whichever thread, drops `T`.
unsafe impl<T: Send + Sync> Send for Pair<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Sync for Pair<T> {}

// A handle is a pointer: moving it never moves the value, as for `Arc`.
impl<T> Unpin for Pair<T> {}

impl<T> Pair<T> {
    /// Two handles to `value`.
    pub(crate) fn new(value: T) -> (Pair<T>, Pair<T>) {
        Pair::new_with(value, Box::new)
    }

    /// Two handles to `value`, boxed by `boxed` (in memory kept from an
    /// earlier value, say).
    pub(crate) fn new_with(
        value: T,
        boxed: impl FnOnce(Inner<T>) -> Box<Inner<T>>,
    ) -> (Pair<T>, Pair<T>) {
        let mut handles = Handles::new_with(value, 2, boxed);
        (handles.take(), handles.take())
    }

    /// Whether this is the last handle (the other was dropped). Once true
    /// it stays true: handles are never cloned.
    pub(crate) fn is_last(this: &Pair<T>) -> bool {
        this.inner().handles.load(Ordering::Relaxed) == 1
    }

    /// If this is the last handle: drops the value in place and returns
    /// its memory to be used again (`Block::keep`). Else gives the handle
    /// back.
    pub(crate) fn recycle(this: Pair<T>) -> Result<Option<Block>, Pair<T>> {
        // Acquire: what the other handles did with the value (released by
        // their drops) happens before this drop of it.
        if this.inner().handles.load(Ordering::Acquire) != 1 {
            return Err(this);
        }
        let inner = this.inner;
        std::mem::forget(this);
        // SAFETY: this was the last handle, and handles are never cloned:
        // nobody else can reach the `Inner`, which `Handles::new_with`
        // made as a `Box`.
        Ok(Block::keep(unsafe { Box::from_raw(inner.as_ptr()) }))
    }

    fn inner(&self) -> &Inner<T> {
        // SAFETY: the `Inner` lives until the last handle is dropped, and
        // this handle is not.
        unsafe { self.inner.as_ref() }
    }
}

/// `n` handles to one value, counted at once and handed out one at a time;
/// those never handed out are given back together when this is dropped
/// (one read-modify-write, on a path that stopped early).
pub(crate) struct Handles<T> {
    inner: NonNull<Inner<T>>,
    left: usize,
    _owns: PhantomData<Inner<T>>,
}

// SAFETY: as for `Pair`.
unsafe impl<T: Send + Sync> Send for Handles<T> {}
// SAFETY: as for `Pair`.
unsafe impl<T: Send + Sync> Sync for Handles<T> {}

impl<T> Unpin for Handles<T> {}

impl<T> Handles<T> {
    pub(crate) fn new(value: T, n: usize) -> Handles<T> {
        Handles::new_with(value, n, Box::new)
    }

    /// `n` handles to `value`, boxed by `boxed`.
    fn new_with(value: T, n: usize, boxed: impl FnOnce(Inner<T>) -> Box<Inner<T>>) -> Handles<T> {
        assert!(n > 0, "a value needs a handle");
        let inner = boxed(Inner {
            handles: AtomicUsize::new(n),
            value,
        });
        Handles {
            inner: NonNull::from(Box::leak(inner)),
            left: n,
            _owns: PhantomData,
        }
    }

    /// The next handle. Panics when all `n` were taken.
    pub(crate) fn take(&mut self) -> Pair<T> {
        assert!(self.left > 0, "every handle was taken");
        self.left -= 1;
        Pair {
            inner: self.inner,
            _owns: PhantomData,
        }
    }
}

impl<T> Drop for Handles<T> {
    fn drop(&mut self) {
        if self.left > 0 {
            // SAFETY: the `left` handles never taken are still counted, and
            // are gone with `self`. (The release in `release` orders
            // nothing here, since `Handles` gives no access to the value,
            // and loom finds `Relaxed` equivalent; the acquire fence is
            // needed: without it the loom model below fails.)
            unsafe { release(self.inner, self.left) };
        }
    }
}

/// Gives back `n` counted handles to `inner`; the last ones free it.
///
/// # Safety
///
/// The caller owns `n` of the handles still counted in `inner`, and uses
/// none of them afterwards.
#[inline]
unsafe fn release<T>(inner: NonNull<Inner<T>>, n: usize) {
    // SAFETY: the caller's handles keep the `Inner` alive until this
    // decrement.
    let handles = unsafe { &inner.as_ref().handles };
    // Release: this thread's uses of the value happen before the drop of
    // the value by whichever thread lets go last; that one acquires.
    if handles.fetch_sub(n, Ordering::Release) != n {
        return;
    }
    fence(Ordering::Acquire);
    // SAFETY: those were the last handles: nobody else can reach the
    // `Inner`, which `Handles::new_with` made as a `Box`.
    drop(unsafe { Box::from_raw(inner.as_ptr()) });
}

impl<T> Deref for Pair<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        &self.inner().value
    }
}

impl<T> Drop for Pair<T> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: this handle is counted, and gone with `self`.
        unsafe { release(self.inner, 1) };
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Pair<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(all(test, not(goro_loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize as Count;
    use std::sync::Arc;

    /// Counts its drops.
    struct Tracked(Arc<Count>);

    impl Drop for Tracked {
        fn drop(&mut self) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    #[test]
    fn the_value_is_dropped_once_with_the_last_handle() {
        let drops = Arc::new(Count::new(0));
        let (a, b) = Pair::new(Tracked(drops.clone()));
        assert!(!Pair::is_last(&a));
        drop(b);
        assert!(Pair::is_last(&a));
        assert_eq!(drops.load(std::sync::atomic::Ordering::SeqCst), 0);
        drop(a);
        assert_eq!(drops.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[test]
    fn handles_never_taken_are_given_back_together() {
        let drops = Arc::new(Count::new(0));
        let mut handles = Handles::new(Tracked(drops.clone()), 4);
        let a = handles.take();
        let b = handles.take();
        drop(handles);
        drop(a);
        assert_eq!(drops.load(std::sync::atomic::Ordering::SeqCst), 0);
        assert!(Pair::is_last(&b));
        drop(b);
        assert_eq!(drops.load(std::sync::atomic::Ordering::SeqCst), 1);
        // All taken: dropping the rest gives nothing back; none taken: the
        // value goes with them.
        let mut handles = Handles::new(Tracked(drops.clone()), 1);
        let only = handles.take();
        drop(handles);
        drop(only);
        drop(Handles::new(Tracked(drops.clone()), 3));
        assert_eq!(drops.load(std::sync::atomic::Ordering::SeqCst), 3);
    }

    #[test]
    fn handles_dropped_on_two_threads_drop_the_value_once() {
        for _ in 0..1_000 {
            let drops = Arc::new(Count::new(0));
            let (a, b) = Pair::new(Tracked(drops.clone()));
            let other = std::thread::spawn(move || drop(b));
            drop(a);
            other.join().unwrap();
            assert_eq!(drops.load(std::sync::atomic::Ordering::SeqCst), 1);
        }
    }
}

#[cfg(all(test, goro_loom))]
mod loom_tests {
    use super::*;
    use crate::loom::UnsafeCell;

    /// A value that one handle's thread writes and whichever handle is
    /// last reads, in the value's drop.
    struct Written(UnsafeCell<usize>);

    // SAFETY: the model below writes the cell from one thread only, before
    // that thread drops its handle; loom checks the rest.
    unsafe impl Sync for Written {}

    impl Drop for Written {
        fn drop(&mut self) {
            // SAFETY: the last handle owns the value; loom checks that the
            // write is visible here.
            self.0.with(|v| assert!(unsafe { *v } <= 1));
        }
    }

    /// On another thread: writes the value, then drops the handle.
    fn write_and_drop(handle: Pair<Written>) -> loom::thread::JoinHandle<()> {
        loom::thread::spawn(move || {
            // SAFETY: no other thread touches the cell before the last
            // handle's drop.
            handle.0.with_mut(|v| unsafe { *v = 1 });
            drop(handle);
        })
    }

    #[test]
    fn the_last_handle_sees_what_the_other_did() {
        loom::model(|| {
            let (a, b) = Pair::new(Written(UnsafeCell::new(0)));
            let other = write_and_drop(b);
            drop(a);
            other.join().unwrap();
        });
    }

    /// The same when the main thread's handle, if last, recycles the
    /// value's memory instead of freeing it (a goroutine's `Join` whose
    /// handle was dropped).
    #[test]
    fn a_recycling_last_handle_sees_what_the_other_did() {
        loom::model(|| {
            let (a, b) = Pair::new(Written(UnsafeCell::new(0)));
            let other = write_and_drop(b);
            match Pair::recycle(a) {
                Ok(memory) => drop(memory),
                Err(a) => drop(a),
            }
            other.join().unwrap();
        });
    }

    /// The same when the main thread's share is handles never taken,
    /// given back together.
    #[test]
    fn handles_given_back_together_see_what_the_others_did() {
        loom::model(|| {
            let mut handles = Handles::new(Written(UnsafeCell::new(0)), 3);
            let other = write_and_drop(handles.take());
            drop(handles);
            other.join().unwrap();
        });
    }
}
