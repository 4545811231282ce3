//! [`Options`]: how long `run` measures and which rows it runs.

/// What [`crate::run`] measures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Timed batches per side (their median is reported).
    pub batches: u32,
    /// Operations per batch; `None` uses each row's own count (sized for
    /// a few milliseconds per batch on PVM).
    pub ops_per_batch: Option<u64>,
    /// Run one untimed batch per side first.
    pub warmup: bool,
    /// Only rows whose name contains this text (case-insensitive).
    pub filter: Option<String>,
}

impl Default for Options {
    /// 21 batches of each row's own size, with warm-up, every row.
    fn default() -> Self {
        Self {
            batches: 21,
            ops_per_batch: None,
            warmup: true,
            filter: None,
        }
    }
}

impl Options {
    /// The smallest run that still exercises every row: one batch of two
    /// operations, no warm-up (for tests).
    pub fn quick() -> Self {
        Self {
            batches: 1,
            ops_per_batch: Some(2),
            warmup: false,
            filter: None,
        }
    }

    /// True when row `name` passes the filter.
    pub fn selects(&self, name: &str) -> bool {
        self.filter
            .as_ref()
            .is_none_or(|f| name.to_lowercase().contains(&f.to_lowercase()))
    }
}
