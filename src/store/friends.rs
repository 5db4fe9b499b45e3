//! MongoDB access for this area (see its issue).
