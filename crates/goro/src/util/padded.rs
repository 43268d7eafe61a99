//! A value alone on its cache line(s).

use std::ops::Deref;

/// `T` aligned to 128 bytes, so that no other value shares its cache line
/// or the adjacent one, which x86 prefetches in pairs: two threads writing
/// two padded values never contend for one line.
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct CachePadded<T>(pub(crate) T);

impl<T> Deref for CachePadded<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        &self.0
    }
}
