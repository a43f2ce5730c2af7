//! The competencies' own loaders (a competency's parent and framework), so that competencies
//! need nothing from the domains built on them.

use std::sync::Arc;

use entity::{competency, competency_framework};
use sea_orm::DatabaseConnection;

use crate::loader::{ById, Cached, cached};

/// Every competencies loader of a request.
#[derive(Clone)]
pub struct CompetencyLoaders {
    pub competencies: Arc<Cached<ById<competency::Entity>>>,
    pub frameworks: Arc<Cached<ById<competency_framework::Entity>>>,
}

impl CompetencyLoaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        CompetencyLoaders { competencies: Arc::new(cached(ById::new(db))), frameworks: Arc::new(cached(ById::new(db))) }
    }

    /// Forgets everything loaded, so the next read sees the database as it is now.
    pub fn clear(&self) {
        self.competencies.clear();
        self.frameworks.clear();
    }
}
