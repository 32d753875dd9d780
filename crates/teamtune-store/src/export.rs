//! Streaming writers for the three export formats. They take one record at a time so an
//! export of a long history never holds it all in memory.
//!
//! CSV follows RFC 4180 quoting: a field containing a comma, a double quote, CR or LF (or
//! leading/trailing spaces) is wrapped in double quotes with inner quotes doubled. Rows end in
//! `\n`, which every CSV reader accepts. Missing values are empty fields; booleans are
//! `true`/`false`.

use std::io::{self, Write};

use teamtune_model::TeamRunRecord;

use crate::ExportFormat;

/// The CSV header, one column per flat team run field.
pub const CSV_COLUMNS: [&str; 13] = [
    "run_id",
    "team_id",
    "workflow",
    "formation",
    "member_count",
    "success",
    "duration_seconds",
    "total_tool_calls",
    "config_hash",
    "variant",
    "start_time",
    "end_time",
    "error",
];

/// Writes records in one [`ExportFormat`]; call [`finish`](Self::finish) once at the end.
pub(crate) struct ExportWriter<'a> {
    format: ExportFormat,
    out: &'a mut dyn Write,
    written: u64,
}

impl<'a> ExportWriter<'a> {
    pub(crate) fn new(format: ExportFormat, out: &'a mut dyn Write) -> io::Result<Self> {
        match format {
            ExportFormat::Json => out.write_all(b"[")?,
            ExportFormat::Jsonl => {}
            ExportFormat::Csv => write_csv_row(out, CSV_COLUMNS.iter().copied())?,
        }
        Ok(ExportWriter {
            format,
            out,
            written: 0,
        })
    }

    pub(crate) fn write(&mut self, record: &TeamRunRecord) -> io::Result<()> {
        match self.format {
            ExportFormat::Json => {
                self.out
                    .write_all(if self.written == 0 { b"\n" } else { b",\n" })?;
                serde_json::to_writer(&mut *self.out, record)?;
            }
            ExportFormat::Jsonl => {
                serde_json::to_writer(&mut *self.out, record)?;
                self.out.write_all(b"\n")?;
            }
            ExportFormat::Csv => {
                let fields = csv_fields(record);
                write_csv_row(self.out, fields.iter().map(String::as_str))?;
            }
        }
        self.written += 1;
        Ok(())
    }

    /// Closes the JSON array and flushes; returns how many records were written.
    pub(crate) fn finish(self) -> io::Result<u64> {
        if self.format == ExportFormat::Json {
            self.out
                .write_all(if self.written == 0 { b"]\n" } else { b"\n]\n" })?;
        }
        self.out.flush()?;
        Ok(self.written)
    }
}

fn csv_fields(r: &TeamRunRecord) -> [String; 13] {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    [
        opt(&r.run_id),
        r.team_id.clone(),
        opt(&r.workflow),
        r.formation.clone(),
        r.member_count.to_string(),
        r.success.to_string(),
        r.duration_seconds.to_string(),
        r.total_tool_calls.to_string(),
        opt(&r.config_hash),
        r.variant
            .map(|v| v.as_str().to_string())
            .unwrap_or_default(),
        opt(&r.start_time),
        opt(&r.end_time),
        opt(&r.error),
    ]
}

fn write_csv_row<'f>(out: &mut dyn Write, fields: impl Iterator<Item = &'f str>) -> io::Result<()> {
    for (i, field) in fields.enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        write_csv_field(out, field)?;
    }
    out.write_all(b"\n")
}

fn write_csv_field(out: &mut dyn Write, field: &str) -> io::Result<()> {
    let needs_quotes =
        field.contains([',', '"', '\r', '\n']) || field.starts_with(' ') || field.ends_with(' ');
    if !needs_quotes {
        return out.write_all(field.as_bytes());
    }
    out.write_all(b"\"")?;
    out.write_all(field.replace('"', "\"\"").as_bytes())?;
    out.write_all(b"\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(s: &str) -> String {
        let mut buf = Vec::new();
        write_csv_field(&mut buf, s).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn plain_fields_are_not_quoted() {
        assert_eq!(field("abc"), "abc");
        assert_eq!(field(""), "");
    }

    #[test]
    fn special_fields_are_quoted_with_doubled_quotes() {
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("line1\nline2"), "\"line1\nline2\"");
        assert_eq!(field("cr\r"), "\"cr\r\"");
        assert_eq!(field(" padded"), "\" padded\"");
    }

    #[test]
    fn empty_json_export_is_an_empty_array() {
        let mut buf = Vec::new();
        let w = ExportWriter::new(ExportFormat::Json, &mut buf).unwrap();
        assert_eq!(w.finish().unwrap(), 0);
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(v, serde_json::json!([]));
    }

    #[test]
    fn empty_csv_export_is_the_header() {
        let mut buf = Vec::new();
        ExportWriter::new(ExportFormat::Csv, &mut buf)
            .unwrap()
            .finish()
            .unwrap();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            format!("{}\n", CSV_COLUMNS.join(","))
        );
    }
}
