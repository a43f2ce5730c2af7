//! Parsed documents by their text: a tool sends the same few documents over and over, and
//! parsing one again costs more than copying its tree. Bounded (least recently used first
//! out); only documents that passed the token limits and parsed are kept, and none larger than
//! [`MAX_BYTES`], so an attacker's stream of distinct documents can only evict, never grow it.

use std::{num::NonZeroUsize, sync::Mutex};

use async_graphql::parser::types::ExecutableDocument;
use lru::LruCache;

/// Documents remembered at most.
const CAPACITY: usize = 256;
/// Larger documents are parsed each time.
pub const MAX_BYTES: usize = 8 * 1024;

pub struct DocumentCache {
    entries: Mutex<LruCache<String, ExecutableDocument>>,
}

impl Default for DocumentCache {
    fn default() -> Self {
        let capacity = NonZeroUsize::new(CAPACITY).unwrap_or(NonZeroUsize::MIN);
        DocumentCache { entries: Mutex::new(LruCache::new(capacity)) }
    }
}

impl DocumentCache {
    /// A copy of the parsed document for this exact text, if it is cached.
    pub fn get(&self, text: &str) -> Option<ExecutableDocument> {
        self.entries.lock().ok()?.get(text).cloned()
    }

    /// Keeps a document that passed the limits and parsed.
    pub fn put(&self, text: &str, doc: &ExecutableDocument) {
        if text.len() > MAX_BYTES {
            return;
        }
        if let Ok(mut entries) = self.entries.lock() {
            entries.put(text.to_owned(), doc.clone());
        }
    }
}
