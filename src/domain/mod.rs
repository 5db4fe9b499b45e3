//! Domain rules shared by the dialects.
