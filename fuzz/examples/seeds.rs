//! Writes the seed corpora, `seeds/<target>/<name>`, from real writer output:
//!
//!     cargo +nightly run --manifest-path fuzz/Cargo.toml --example seeds
//!
//! Each seed is in the input form its target reads (see `src/inputs.rs`).

use std::fs;
use std::path::Path;

use accept_rec::format::block::BLOCK_HEADER_LEN;
use accept_rec::format::frame::{self, FrameType, PREAMBLE_LEN};
use accept_rec_fuzz::inputs;
use accept_rec_fuzz::samples::{self, Sample};

fn main() -> std::io::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let write = |target: &str, name: String, bytes: &[u8]| -> std::io::Result<()> {
        let dir = root.join(target);
        fs::create_dir_all(&dir)?;
        fs::write(dir.join(name), bytes)
    };
    for (i, sample) in samples::samples().iter().enumerate() {
        let Sample { name, bytes, .. } = sample;
        for flags in [0u8, 1] {
            let flagged = [&[flags][..], bytes].concat();
            write("recording", format!("{name}.{flags}"), &flagged)?;
            write("frame", format!("{name}.{flags}"), &flagged)?;
        }
        let header = frame::read_at(bytes, PREAMBLE_LEN as u64).expect("header frame");
        if i == 0 {
            write("header", "header-body".into(), header.body)?;
        }
        for block in frame::walk(bytes, header.end()).map_while(Result::ok) {
            if block.kind != FrameType::EventBlock {
                continue;
            }
            let body = block.body;
            write("block", format!("{name}.{}.body", block.offset), &[&[0u8][..], body].concat())?;
            let raw_len = u32::from_le_bytes(body[4..8].try_into().expect("raw_len")) as usize;
            let raw = zstd::bulk::decompress(&body[BLOCK_HEADER_LEN..], raw_len).expect("a sample block");
            let meta = [&body[..4], &body[8..24]].concat();
            write("block", format!("{name}.{}.raw", block.offset), &[&[1u8][..], &meta, &raw].concat())?;
        }
        if sample.finished {
            let pick = samples::finished().iter().position(|s| s.name == *name).expect("finished") as u8;
            let index = frame::read_at(bytes, inputs::index_offset(bytes)).expect("index frame");
            write("index", name.to_string(), &[&[pick][..], index.body].concat())?;
        }
    }
    Ok(())
}
