//! A OneRoster CSV set as a district's SIS hands it over: a directory, or a .zip (unpacked to a
//! private temporary directory, entry by entry, so nothing is held in memory), its manifest,
//! and a streaming reader per file.

use std::{
    collections::BTreeMap,
    fs::File,
    io::BufReader,
    path::{Path, PathBuf},
};

use anyhow::Context;

use super::problems::{Problem, Problems};

/// One file of a delta set built in memory, its rows by column: what a write through the API
/// (`upsertRoster`, a OneRoster REST PUT or DELETE) hands the import engine, so that every
/// check is the import's.
pub struct MemoryFile {
    pub kind: super::records::Kind,
    rows: Vec<std::collections::HashMap<&'static str, String>>,
}

impl MemoryFile {
    pub fn new(kind: super::records::Kind) -> Self {
        MemoryFile { kind, rows: Vec::new() }
    }

    /// A live record, dated `modified` (now when `None`).
    pub fn push(&mut self, modified: Option<chrono::DateTime<chrono::Utc>>, cells: Vec<(&'static str, String)>) {
        let mut row: std::collections::HashMap<&'static str, String> = cells.into_iter().collect();
        row.insert("status", "active".into());
        row.insert("dateLastModified", stamp(modified));
        self.rows.push(row);
    }

    /// A deletion of `sourced_id`. An undated deletion orders nothing: no date is recorded,
    /// none is compared.
    pub fn delete(&mut self, sourced_id: &str, modified: Option<chrono::DateTime<chrono::Utc>>) {
        let row = std::collections::HashMap::from([
            ("sourcedId", sourced_id.to_owned()),
            ("status", "tobedeleted".to_owned()),
            ("dateLastModified", modified.map(|t| stamp(Some(t))).unwrap_or_default()),
        ]);
        self.rows.push(row);
    }

    /// The file as the 1.2 CSV binding writes it.
    pub fn csv(&self) -> anyhow::Result<Vec<u8>> {
        let header = super::records::header(self.kind);
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(header)?;
        for row in &self.rows {
            w.write_record(header.iter().map(|c| row.get(c).map_or("", String::as_str)))?;
        }
        w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
    }

    /// A delta set of these files.
    pub fn set<'a>(files: impl IntoIterator<Item = &'a MemoryFile>) -> anyhow::Result<CsvSet> {
        Self::set_as(files, Mode::Delta)
    }

    /// A set of these files, each applied as `mode` says.
    pub fn set_as<'a>(files: impl IntoIterator<Item = &'a MemoryFile>, mode: Mode) -> anyhow::Result<CsvSet> {
        let mut bytes = BTreeMap::new();
        for f in files {
            bytes.insert(f.kind.name().to_owned(), f.csv()?);
        }
        Ok(CsvSet::memory(bytes, mode))
    }
}

fn stamp(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.unwrap_or_else(crate::db::now).to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// How the manifest says a file is to be applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The file is the whole truth for its type: records absent from it are deleted.
    Bulk,
    /// Only the rows present change; `status=tobedeleted` deletes.
    Delta,
    /// The type is left alone.
    Absent,
}

/// The OneRoster version a set declares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    V1_1,
    V1_2,
}

impl Version {
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V1_1 => "1.1",
            Version::V1_2 => "1.2",
        }
    }
}

/// The files of the 1.2 binding that the manifest may name, in the binding's order.
pub const KNOWN_FILES: [&str; 21] = [
    "academicSessions",
    "categories",
    "classes",
    "classResources",
    "courses",
    "courseResources",
    "demographics",
    "enrollments",
    "lineItemLearningObjectiveIds",
    "lineItems",
    "lineItemScoreScales",
    "orgs",
    "resources",
    "resultLearningObjectiveIds",
    "results",
    "resultScoreScales",
    "roles",
    "scoreScales",
    "userProfiles",
    "userResources",
    "users",
];

/// An opened set: where its files are, and its manifest.
pub struct CsvSet {
    files: Files,
    /// Removed when the set is dropped (the unpacked .zip).
    _unpacked: Option<Unpacked>,
    pub version: Version,
    pub modes: BTreeMap<String, Mode>,
    /// The manifest's properties as written, for the import's record.
    pub manifest: BTreeMap<String, String>,
}

/// Where the files are: on disk, or in memory (a GraphQL roster write, read as a delta set).
enum Files {
    Dir(PathBuf),
    Memory(BTreeMap<String, Vec<u8>>),
}

/// A streaming reader over one file of a set.
pub type Reader<'a> = csv::Reader<Box<dyn std::io::Read + Send + 'a>>;

struct Unpacked(PathBuf);

impl Drop for Unpacked {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl CsvSet {
    /// Opens a directory or a .zip and reads its manifest. A set that can't be read at all
    /// (no manifest, an unreadable zip) is an error; problems in the manifest are reported.
    pub fn open(path: &Path, problems: &mut Problems) -> anyhow::Result<Option<CsvSet>> {
        let (dir, unpacked) = if path.is_dir() {
            (path.to_path_buf(), None)
        } else {
            let dir = std::env::temp_dir().join(format!("learnergraph-oneroster-{}", uuid::Uuid::new_v4().simple()));
            let guard = Unpacked(dir.clone());
            unzip(path, &dir).with_context(|| format!("cannot read {} as a directory or a .zip", path.display()))?;
            (dir, Some(guard))
        };
        let manifest_path = dir.join("manifest.csv");
        let file = File::open(&manifest_path).with_context(|| format!("{} has no manifest.csv", path.display()))?;
        let mut reader = reader(Box::new(BufReader::new(file)));
        let mut manifest = BTreeMap::new();
        let mut rows = Vec::new();
        for rec in reader.records() {
            let rec = match rec {
                Ok(r) => r,
                Err(e) => {
                    problems.problem(Problem::new(
                        "manifest.csv",
                        error_line(&e),
                        "",
                        format!("not valid CSV: {e}"),
                        "",
                    ));
                    return Ok(None);
                }
            };
            let line = rec.position().map_or(0, |p| p.line());
            let key = rec.get(0).unwrap_or("").trim().to_owned();
            let value = rec.get(1).unwrap_or("").trim().to_owned();
            rows.push((line, key.clone(), value.clone()));
            manifest.insert(key, value);
        }
        let mut version = None;
        let mut modes = BTreeMap::new();
        for (line, key, value) in rows {
            if key == "oneroster.version" {
                version = match value.as_str() {
                    "1.1" => Some(Version::V1_1),
                    "1.2" => Some(Version::V1_2),
                    _ => {
                        problems.problem(Problem::new(
                            "manifest.csv",
                            line,
                            "oneroster.version",
                            "must be 1.2 or 1.1",
                            &value,
                        ));
                        return Ok(None);
                    }
                };
            } else if let Some(name) = key.strip_prefix("file.") {
                let mode = match value.as_str() {
                    "bulk" => Mode::Bulk,
                    "delta" => Mode::Delta,
                    "absent" => Mode::Absent,
                    _ => {
                        problems.problem(Problem::new(
                            "manifest.csv",
                            line,
                            &key,
                            "must be bulk, delta or absent",
                            &value,
                        ));
                        continue;
                    }
                };
                if !KNOWN_FILES.contains(&name) {
                    problems.warn(Problem::new(
                        "manifest.csv",
                        line,
                        &key,
                        "not a file of the OneRoster binding, ignored",
                        &value,
                    ));
                    continue;
                }
                if mode != Mode::Absent && !dir.join(format!("{name}.csv")).is_file() {
                    problems.problem(Problem::new(
                        "manifest.csv",
                        line,
                        &key,
                        format!("the manifest lists {name}.csv as {value} but the set has no such file"),
                        &value,
                    ));
                    continue;
                }
                modes.insert(name.to_owned(), mode);
            }
        }
        let Some(version) = version else {
            problems.problem(Problem::new("manifest.csv", 1, "oneroster.version", "missing: say 1.2 or 1.1", ""));
            return Ok(None);
        };
        Ok(Some(CsvSet { files: Files::Dir(dir), _unpacked: unpacked, version, modes, manifest }))
    }

    pub fn mode(&self, name: &str) -> Mode {
        self.modes.get(name).copied().unwrap_or(Mode::Absent)
    }

    /// A set held in memory: 1.2 files by name (without `.csv`), each applied as `mode`.
    pub fn memory(files: BTreeMap<String, Vec<u8>>, mode: Mode) -> CsvSet {
        let modes = files.keys().map(|k| (k.clone(), mode)).collect();
        CsvSet {
            files: Files::Memory(files),
            _unpacked: None,
            version: Version::V1_2,
            modes,
            manifest: BTreeMap::new(),
        }
    }

    /// A streaming reader over `<name>.csv`.
    pub fn reader(&self, name: &str) -> anyhow::Result<Reader<'_>> {
        let read: Box<dyn std::io::Read + Send + '_> = match &self.files {
            Files::Dir(dir) => {
                let path = dir.join(format!("{name}.csv"));
                let file = File::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
                Box::new(BufReader::with_capacity(1 << 16, file))
            }
            Files::Memory(files) => Box::new(files.get(name).map_or(&[][..], Vec::as_slice)),
        };
        Ok(reader(read))
    }
}

fn reader<'a>(read: Box<dyn std::io::Read + Send + 'a>) -> Reader<'a> {
    // CRLF read as LF: the csv reader counts a CRLF file's lines one short, and problems must
    // name the line a data manager finds in an editor.
    let read: Box<dyn std::io::Read + Send + 'a> = Box::new(CrlfToLf { inner: read, pending_cr: false });
    csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(read)
}

/// A reader that turns every `\r\n` into `\n` (a lone `\r` stays), streaming.
struct CrlfToLf<R> {
    inner: R,
    /// A `\r` ended the last chunk: whether it is dropped depends on the next byte.
    pending_cr: bool,
}

impl<R: std::io::Read> std::io::Read for CrlfToLf<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if buf.is_empty() {
                return Ok(0);
            }
            // Leave a byte free for a held-back `\r`.
            let room = buf.len().saturating_sub(1).max(1);
            let n = self.inner.read(&mut buf[..room])?;
            if n == 0 {
                if std::mem::take(&mut self.pending_cr) {
                    buf[0] = b'\r';
                    return Ok(1);
                }
                return Ok(0);
            }
            let mut out = Vec::with_capacity(n + 1);
            if std::mem::take(&mut self.pending_cr) && buf[0] != b'\n' {
                out.push(b'\r');
            }
            let mut i = 0;
            while i < n {
                let b = buf[i];
                if b == b'\r' {
                    if i + 1 < n {
                        if buf[i + 1] != b'\n' {
                            out.push(b'\r');
                        }
                    } else {
                        self.pending_cr = true;
                    }
                } else {
                    out.push(b);
                }
                i += 1;
            }
            if out.is_empty() {
                continue;
            }
            buf[..out.len()].copy_from_slice(&out);
            return Ok(out.len());
        }
    }
}

/// The line a CSV error happened on.
pub fn error_line(e: &csv::Error) -> u64 {
    e.position().map_or(0, |p| p.line())
}

/// Unpacks the .zip's top-level `*.csv` entries (a set zipped with its folder is accepted too:
/// the entries' folder is dropped) into `dir`, streaming each entry to disk.
fn unzip(path: &Path, dir: &Path) -> anyhow::Result<()> {
    let mut archive = zip::ZipArchive::new(BufReader::new(File::open(path)?))?;
    std::fs::create_dir_all(dir)?;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i)?;
        if entry.is_dir() {
            continue;
        }
        // Only the file name: an entry can't write outside `dir` ("zip slip").
        let Some(name) = entry.enclosed_name().and_then(|p| p.file_name().map(|n| n.to_owned())) else {
            continue;
        };
        if !name.to_string_lossy().ends_with(".csv") {
            continue;
        }
        let mut out = File::create(dir.join(name))?;
        std::io::copy(&mut entry, &mut out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::CrlfToLf;

    fn through(input: &[u8], chunk: usize) -> Vec<u8> {
        // A source that hands out `chunk` bytes at a time, to cross every boundary.
        struct Chunks<'a>(&'a [u8], usize);
        impl Read for Chunks<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = self.1.min(buf.len()).min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut out = Vec::new();
        let mut r = CrlfToLf { inner: Chunks(input, chunk), pending_cr: false };
        let mut buf = [0u8; 3];
        loop {
            let n = r.read(&mut buf).unwrap_or(0);
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        out
    }

    #[test]
    fn crlf_becomes_lf_and_a_lone_cr_stays_across_chunk_boundaries() {
        for chunk in 1..6 {
            assert_eq!(through(b"a,b\r\nc\rd\r\n\r\n", chunk), b"a,b\nc\rd\n\n", "chunk {chunk}");
            assert_eq!(through(b"x\r", chunk), b"x\r", "chunk {chunk}");
            assert_eq!(through(b"\r\r\n", chunk), b"\r\n", "chunk {chunk}");
        }
    }
}
