//! Recycled memory: the memory of a box whose value was dropped, kept to
//! box the next value of the same layout.
//!
//! A carrier keeps the memory of its last goroutine's box (and of its
//! `Join`) for the next goroutine it hosts, as Go reuses a finished
//! goroutine: glibc's malloc pays for a box made on one worker and freed
//! on another, and a loop of `go!` makes values of one layout again and
//! again. See `docs/decisions/kept-memory.md`.
#![allow(unsafe_code)]

use std::alloc::Layout;
use std::ptr::NonNull;

/// Boxes up to this size are kept; bigger ones are freed.
pub(crate) const KEEP_MAX: usize = 256;
// `Kept` stores a kept size in 16 bits.
const _: () = assert!(KEEP_MAX <= u16::MAX as usize);

/// How many blocks a [`Kept`] holds.
const SLOTS: usize = 2;

/// The memory of a box whose value was dropped. Freed when dropped.
pub(crate) struct Block {
    ptr: NonNull<u8>,
    layout: Layout,
}

// SAFETY: a `Block` is plain memory that nothing else points to.
unsafe impl Send for Block {}

impl Drop for Block {
    fn drop(&mut self) {
        // SAFETY: `ptr` was allocated by the global allocator with `layout`
        // (for a `Box`), and its value was dropped.
        unsafe { std::alloc::dealloc(self.ptr.as_ptr(), self.layout) }
    }
}

impl Block {
    /// Drops the boxed value in place and keeps its memory, if it is no
    /// bigger than [`KEEP_MAX`] (and not zero-sized); frees it otherwise.
    pub(crate) fn keep<T: ?Sized>(boxed: Box<T>) -> Option<Block> {
        let layout = Layout::for_value::<T>(&*boxed);
        if layout.size() > KEEP_MAX || layout.size() == 0 {
            drop(boxed);
            return None;
        }
        let raw = Box::into_raw(boxed);
        // A panic here leaks the memory (it is not kept).
        // SAFETY: `raw` is a valid, owned value, dropped once and never
        // used again; only its memory is.
        unsafe { std::ptr::drop_in_place(raw) };
        let ptr = NonNull::new(raw.cast::<u8>()).expect("a box is never null");
        Some(Block { ptr, layout })
    }
}

/// Up to two kept blocks, numbered 0 and 1, packed (a kept size fits in 16
/// bits, an alignment in its logarithm, and the struct is 2-aligned so that
/// its holder's small fields share its last word) so that a holder is no
/// bigger for them: a carrier has one, and a million parked goroutines
/// have a million carriers. Its fields are only copied in and out, never
/// borrowed, as they may be unaligned.
#[derive(Default)]
#[repr(Rust, packed(2))]
pub(crate) struct Kept {
    ptrs: [Option<NonNull<u8>>; SLOTS],
    sizes: [u16; SLOTS],
    align_logs: [u8; SLOTS],
}

// SAFETY: it holds memory that nothing else points to, as a `Block`.
unsafe impl Send for Kept {}

impl Kept {
    /// Keeps `block` as block `i`, freeing what was there.
    pub(crate) fn put(&mut self, i: usize, block: Option<Block>) {
        self.free(i);
        if let Some(block) = block {
            // `Block::keep` keeps nothing bigger than `KEEP_MAX`, which
            // fits 16 bits (asserted at compile time), and an alignment is
            // at most the size.
            debug_assert!(block.layout.size() <= KEEP_MAX);
            self.ptrs[i] = Some(block.ptr);
            self.sizes[i] = block.layout.size() as u16;
            self.align_logs[i] = block.layout.align().trailing_zeros() as u8;
            std::mem::forget(block);
        }
    }

    /// Boxes `value` in block `i` if it has `T`'s layout, else in a new
    /// box (block `i` is freed).
    #[inline]
    pub(crate) fn boxed<T>(&mut self, i: usize, value: T) -> Box<T> {
        if usize::from(self.sizes[i]) == std::mem::size_of::<T>()
            && u32::from(self.align_logs[i]) == std::mem::align_of::<T>().trailing_zeros()
        {
            if let Some(ptr) = self.take_ptr(i) {
                let ptr = ptr.cast::<T>().as_ptr();
                // SAFETY: the memory was allocated by the global allocator
                // with `T`'s layout, for a box, and holds no value; writing
                // the value and taking the box back is what `Box::new`
                // does.
                unsafe {
                    ptr.write(value);
                    return Box::from_raw(ptr);
                }
            }
        }
        self.free(i);
        Box::new(value)
    }

    fn take_ptr(&mut self, i: usize) -> Option<NonNull<u8>> {
        let ptr = self.ptrs[i];
        self.ptrs[i] = None;
        ptr
    }

    fn free(&mut self, i: usize) {
        if let Some(ptr) = self.take_ptr(i) {
            // SAFETY: `put` stored a `Block`'s pointer and layout, whose
            // size and alignment fit these fields.
            let layout = unsafe {
                Layout::from_size_align_unchecked(
                    usize::from(self.sizes[i]),
                    1 << self.align_logs[i],
                )
            };
            drop(Block { ptr, layout });
        }
    }
}

impl Drop for Kept {
    fn drop(&mut self) {
        for i in 0..SLOTS {
            self.free(i);
        }
    }
}

#[cfg(all(test, not(goro_loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_kept_block_boxes_the_next_value_of_its_layout_only() {
        let mut kept = Kept::default();
        let first = Box::new([1u64; 4]);
        let address = &*first as *const [u64; 4] as usize;
        kept.put(0, Block::keep(first));
        let reused = kept.boxed(0, [3u64; 4]);
        assert_eq!(&*reused as *const [u64; 4] as usize, address);
        assert_eq!(*reused, [3; 4]);
        // Another layout: a new box, and the block is freed.
        kept.put(1, Block::keep(reused));
        let other = kept.boxed(1, 7u8);
        assert_eq!(*other, 7);
        assert!({ kept.ptrs }[1].is_none());
    }

    #[test]
    fn big_and_zero_sized_values_are_not_kept() {
        assert!(Block::keep(Box::new([0u8; KEEP_MAX + 1])).is_none());
        assert!(Block::keep(Box::new(())).is_none());
        assert!(Block::keep(Box::new([0u8; KEEP_MAX])).is_some());
    }
}
