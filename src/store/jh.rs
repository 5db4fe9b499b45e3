//! MongoDB access for the JH customer-service dialect (see its issue).

use mongodb::IndexModel;

/// Indexes of the JH message collection (the JH issue defines them).
pub fn indexes() -> Vec<IndexModel> {
    Vec::new()
}
