//! Reading an uploaded file: its format (XLSX by its ZIP signature, else CSV text), the
//! encoding of a CSV (a byte-order mark, else valid UTF-8, else GB18030 — what Chinese Excel
//! writes, a superset of GBK), its sheets, and its cells as text (XLSX dates as ISO dates).

use crate::{AppError, AppResult};
use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use std::borrow::Cow;
use std::io::Cursor;

/// The formats an import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    pub fn key(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    pub fn parse(key: &str) -> Option<Format> {
        match key {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }
}

/// A sheet's header row and data rows, each as text cells (rows padded to the headers).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
}

/// A data row: its number in the sheet (the first row is 1) and its cells.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    pub number: i64,
    pub cells: Vec<String>,
}

fn unsupported() -> AppError {
    AppError::field("file", "unsupported_file")
}

/// The file's format: XLSX when it is a ZIP archive, CSV when it is text (no NUL byte in its
/// first kilobytes); anything else is `unsupported_file`, an empty file `empty_file`.
pub fn detect(name: &str, bytes: &[u8]) -> AppResult<Format> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(AppError::field("file", "empty_file"));
    }
    let lower = name.to_lowercase();
    let extension = lower.rsplit_once('.').map(|(_, e)| e);
    if bytes.starts_with(b"PK\x03\x04") {
        return match extension {
            None | Some("xlsx") => Ok(Format::Xlsx),
            _ => Err(unsupported()),
        };
    }
    let head = &bytes[..bytes.len().min(8192)];
    let text = matches!(extension, None | Some("csv") | Some("txt"));
    // UTF-16 text (with its mark) holds NUL bytes too, and is not read.
    if !text || head.contains(&0) {
        return Err(unsupported());
    }
    Ok(Format::Csv)
}

/// The text of a CSV file: by its byte-order mark (UTF-8 here; UTF-16 is refused by
/// [`detect`]), else UTF-8 when the bytes are valid UTF-8, else GB18030.
pub fn decode(bytes: &[u8]) -> Cow<'_, str> {
    if let Some((encoding, skip)) = encoding_rs::Encoding::for_bom(bytes) {
        return encoding.decode_without_bom_handling(&bytes[skip..]).0;
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => encoding_rs::GB18030.decode_without_bom_handling(bytes).0,
    }
}

/// The sheets of an XLSX file, in workbook order; none for a CSV.
pub fn sheets(format: Format, bytes: &[u8]) -> AppResult<Vec<String>> {
    match format {
        Format::Csv => Ok(Vec::new()),
        Format::Xlsx => Ok(workbook(bytes)?.sheet_names()),
    }
}

fn workbook(bytes: &[u8]) -> AppResult<Xlsx<Cursor<&[u8]>>> {
    open_workbook_from_rs(Cursor::new(bytes)).map_err(|e| {
        tracing::info!(error = %e, "unreadable XLSX upload");
        unsupported()
    })
}

/// Reads the table of a file (of an XLSX, the sheet named, else its first). The first row
/// holding anything is the header row; rows without any text are dropped.
pub fn read(format: Format, bytes: &[u8], sheet: Option<&str>) -> AppResult<Table> {
    let rows = match format {
        Format::Csv => csv_rows(bytes)?,
        Format::Xlsx => xlsx_rows(bytes, sheet)?,
    };
    let mut rows = rows
        .into_iter()
        .filter(|(_, r)| r.iter().any(|c| !c.trim().is_empty()))
        .map(|(number, r)| (r, number));
    let headers: Vec<String> = rows
        .next()
        .ok_or_else(|| AppError::field("file", "empty_file"))?
        .0
        .into_iter()
        .map(|h| h.trim().to_string())
        .collect();
    let width = headers.len();
    let rows = rows
        .map(|(mut cells, number)| {
            cells.resize(width.max(cells.len()), String::new());
            Row { number, cells }
        })
        .collect();
    Ok(Table { headers, rows })
}

/// Rows with their numbers (a CSV record's first line; a sheet's row).
type Numbered = Vec<(i64, Vec<String>)>;

fn csv_rows(bytes: &[u8]) -> AppResult<Numbered> {
    let text = decode(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            tracing::info!(error = %e, "unreadable CSV upload");
            unsupported()
        })?;
        let number = record.position().map_or(0, |p| p.line() as i64);
        rows.push((number, record.iter().map(str::to_string).collect()));
    }
    Ok(rows)
}

fn xlsx_rows(bytes: &[u8], sheet: Option<&str>) -> AppResult<Numbered> {
    let mut book = workbook(bytes)?;
    let names = book.sheet_names();
    let name = match sheet {
        Some(wanted) => names
            .iter()
            .find(|n| n.as_str() == wanted)
            .ok_or_else(|| AppError::field("sheet", "unknown_sheet"))?
            .clone(),
        None => names
            .first()
            .ok_or_else(|| AppError::field("file", "empty_file"))?
            .clone(),
    };
    let range = book.worksheet_range(&name).map_err(|e| {
        tracing::info!(error = %e, "unreadable XLSX sheet");
        unsupported()
    })?;
    let first = range.start().map_or(0, |(row, _)| i64::from(row));
    Ok(range
        .rows()
        .zip(first + 1..)
        .map(|(row, number)| (number, row.iter().map(cell_text).collect()))
        .collect())
}

/// A cell as the text a user sees in it: whole numbers without `.0`, dates as ISO dates.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => match d.as_datetime() {
            Some(t) if t.time() == chrono::NaiveTime::MIN => t.date().to_string(),
            Some(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
            None => d.as_f64().to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_are_told_apart() {
        let text = "公司,电话\n华为,138\n";
        let (gbk, _, _) = encoding_rs::GB18030.encode(text);
        assert_eq!(decode(&gbk), text);
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(text.as_bytes());
        assert_eq!(decode(&bom), text);
        assert_eq!(decode(text.as_bytes()), text);
    }

    #[test]
    fn formats_are_detected_from_content_and_name() {
        assert_eq!(detect("a.csv", b"a,b\n1,2\n").ok(), Some(Format::Csv));
        assert_eq!(detect("a.xlsx", b"PK\x03\x04rest").ok(), Some(Format::Xlsx));
        assert!(detect("a.png", b"\x89PNG\r\n\x1a\n\0\0").is_err());
        assert!(detect("a.csv", b"a\0b").is_err());
        assert!(detect("a.csv", b"  \n").is_err());
        assert!(detect("a.pdf", b"%PDF-1.4").is_err());
    }

    #[test]
    fn a_csv_table_has_its_header_row_and_padded_rows() {
        let table = read(
            Format::Csv,
            "\n公司,电话\n华为\n\n,\n中兴,139\n".as_bytes(),
            None,
        )
        .expect("table");
        assert_eq!(table.headers, ["公司", "电话"]);
        let rows: Vec<(i64, Vec<String>)> = table
            .rows
            .into_iter()
            .map(|r| (r.number, r.cells))
            .collect();
        assert_eq!(
            rows,
            [
                (3, vec!["华为".to_string(), String::new()]),
                (6, vec!["中兴".to_string(), "139".to_string()])
            ]
        );
    }
}
