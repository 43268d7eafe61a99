//! What a goroutine is, as plain data: its id, who it is (spawn site and
//! name), the cell its result goes through, and the handle that waits for
//! it. No thread-locals and no runtime here.

pub(crate) mod handle;
pub(crate) mod id;
pub(crate) mod join;
pub(crate) mod site;
