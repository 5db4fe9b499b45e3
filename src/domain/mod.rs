//! Domain rules shared by the dialects: plain functions over stored
//! documents, no I/O.

pub mod room;
