//! What can go wrong while analysing. Recording problems name the input they
//! came from; the CLI adds nothing but context.

use crate::format::FormatError;

#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    /// A recording failed to decode (or an output failed to write) part way.
    #[error("{label}: {source}")]
    Recording {
        label: String,
        #[source]
        source: FormatError,
    },
    /// Writing the derived recording failed.
    #[error("writing the output: {0}")]
    Output(#[source] FormatError),
    #[error("not a saved summary: {0}")]
    BadSummary(String),
    #[error(
        "summary format version {found} is not the one this accept-rec reads ({supported}); \
         re-create it with `accept-rec summary --format json`"
    )]
    SummaryVersion { found: u32, supported: u32 },
    #[error(
        "the baseline summary keeps only the top {0} rows, so a diff would report the rest as vanished; \
         save it again without --top"
    )]
    TruncatedBaseline(usize),
    #[error("nothing to merge: no input recordings")]
    NoInputs,
    #[error("too many hosts to merge ({0}); events can name at most 65536")]
    TooManyHosts(usize),
}

impl AnalysisError {
    pub(crate) fn reading(label: &str) -> impl FnOnce(FormatError) -> AnalysisError + '_ {
        move |source| AnalysisError::Recording { label: label.to_string(), source }
    }
}
