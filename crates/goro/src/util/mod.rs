//! Small shared utilities: counted handles, recycled memory, padding.

pub(crate) mod block;
pub(crate) mod padded;
pub(crate) mod pair;
pub(crate) mod watched;
