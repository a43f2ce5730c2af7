//! `learnergraph export oneroster`: the district as a OneRoster 1.2 CSV bulk set, read the way
//! import reads the database, so importing an export changes nothing.

use std::{collections::BTreeMap, io::Write, path::Path};

use anyhow::Context;
use sea_orm::ConnectionTrait;

use super::{
    records::{self, Kind, Names},
    set::KNOWN_FILES,
};

/// Writes the set into `dir` (created if missing); with `zip`, as `dir/oneroster.zip`.
/// Demographics are written only when asked for. Returns the number of records written per
/// file.
pub async fn export(
    db: &(impl ConnectionTrait + sea_orm::StreamTrait),
    dir: &Path,
    zip: bool,
    with_demographics: bool,
) -> anyhow::Result<BTreeMap<&'static str, u64>> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let names = Names::load(db, true).await?;
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut counts = BTreeMap::new();
    let kinds: Vec<Kind> = Kind::ALL.into_iter().filter(|k| *k != Kind::Demographics || with_demographics).collect();
    for kind in kinds.iter().copied() {
        let stored = records::load(db, kind, &names).await?;
        let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
        w.write_record(records::header(kind))?;
        let mut n = 0u64;
        for s in stored.iter().filter(|s| s.active) {
            let mut row = vec![s.sourced_id.clone(), String::new(), String::new()];
            row.extend(records::fields(&s.rec));
            w.write_record(&row)?;
            n += 1;
        }
        counts.insert(kind.name(), n);
        files.push((kind.file().to_owned(), w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?));
    }
    let mut manifest = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    manifest.write_record(["propertyName", "value"])?;
    manifest.write_record(["manifest.version", "1.0"])?;
    manifest.write_record(["oneroster.version", "1.2"])?;
    for name in KNOWN_FILES {
        let mode = if kinds.iter().any(|k| k.name() == name) { "bulk" } else { "absent" };
        manifest.write_record([format!("file.{name}"), mode.to_owned()])?;
    }
    manifest.write_record(["source.systemName", "learnergraph"])?;
    manifest.write_record(["source.systemCode", env!("CARGO_PKG_VERSION")])?;
    files.insert(0, ("manifest.csv".to_owned(), manifest.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?));
    if zip {
        let path = dir.join("oneroster.zip");
        let mut out = zip::ZipWriter::new(std::fs::File::create(&path)?);
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in &files {
            out.start_file(name.as_str(), options)?;
            out.write_all(bytes)?;
        }
        out.finish()?;
    } else {
        for (name, bytes) in &files {
            std::fs::write(dir.join(name), bytes)?;
        }
    }
    Ok(counts)
}
