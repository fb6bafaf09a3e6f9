//! Renderers for events: a Tracee-like table, JSON lines, Tracee's own event
//! JSON, and CSV. They write to any `Write`; the caller buffers.

mod json;
mod table;
mod tracee;

use std::io::{self, Write};

use crate::format::{AcceptEvent, Header};

pub use json::JsonLines;
pub use table::Table;
pub use tracee::TraceeJson;

/// The output formats of `replay`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum EventFormat {
    /// Aligned columns like `tracee` prints.
    Table,
    /// One JSON object per line with flat, documented keys.
    Json,
    /// Tracee's `trace.Event` JSON, one per line.
    Tracee,
    /// Comma-separated values with a header row.
    Csv,
}

/// Something that renders events one at a time.
pub trait EventSink {
    fn begin(&mut self, _out: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }
    fn event(&mut self, out: &mut dyn Write, event: &AcceptEvent) -> io::Result<()>;
}

/// The renderer for `format`, set up for one recording's header.
pub fn sink(format: EventFormat, header: &Header) -> Box<dyn EventSink> {
    match format {
        EventFormat::Table => Box::new(Table::new(header, false)),
        EventFormat::Csv => Box::new(Table::new(header, true)),
        EventFormat::Json => Box::new(JsonLines::new(header)),
        EventFormat::Tracee => Box::new(TraceeJson::new(header)),
    }
}

/// Host names per source index, for events of merged recordings.
fn host_names(header: &Header) -> Vec<String> {
    header.hosts.iter().map(|h| h.hostname.clone()).collect()
}
