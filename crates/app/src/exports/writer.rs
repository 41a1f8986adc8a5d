//! Writes exported rows to a temporary file: CSV (UTF-8 with a BOM, RFC 4180 quoting) or XLSX
//! (`rust_xlsxwriter` in constant-memory mode: each row goes to disk as it is written, so a
//! million rows need no more memory than one).

use super::cells::{neutralise, Cell};
use super::Format;
use crate::{AppError, AppResult};
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{ExcelDateTime, Workbook, XlsxError};
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};

/// The rows a worksheet holds (Excel's limit, the header included); more go on another sheet.
const SHEET_ROWS: u32 = 1_048_576;
/// The longest text a cell holds.
const CELL_CHARS: usize = 32_767;

fn io(e: std::io::Error) -> AppError {
    AppError::Internal(format!("writing the export file: {e}"))
}

fn xlsx(e: XlsxError) -> AppError {
    AppError::Internal(format!("writing the workbook: {e}"))
}

fn csv_error(e: csv::Error) -> AppError {
    AppError::Internal(format!("writing the CSV file: {e}"))
}

pub enum Writer {
    Csv(Box<csv::Writer<BufWriter<File>>>),
    Xlsx(Box<Sheets>),
}

/// A workbook being written: the sheet and row reached, the header to repeat on a new
/// sheet, and the number formats made so far.
pub struct Sheets {
    workbook: Workbook,
    sheet: usize,
    row: u32,
    header: Vec<String>,
    formats: HashMap<String, rust_xlsxwriter::Format>,
}

impl Writer {
    /// A writer of `format` whose first row is `header`.
    pub fn new(format: Format, header: Vec<String>) -> AppResult<Writer> {
        match format {
            Format::Csv => {
                let mut file = BufWriter::new(tempfile::tempfile().map_err(io)?);
                file.write_all(b"\xEF\xBB\xBF").map_err(io)?;
                let mut w = csv::WriterBuilder::new()
                    .terminator(csv::Terminator::CRLF)
                    .from_writer(file);
                w.write_record(header.iter().map(|h| neutralise(h)))
                    .map_err(csv_error)?;
                Ok(Writer::Csv(Box::new(w)))
            }
            Format::Xlsx => {
                let mut sheets = Sheets {
                    workbook: Workbook::new(),
                    sheet: 0,
                    row: 0,
                    header,
                    formats: HashMap::new(),
                };
                sheets.add_sheet()?;
                Ok(Writer::Xlsx(Box::new(sheets)))
            }
        }
    }

    pub fn row(&mut self, cells: &[Cell]) -> AppResult<()> {
        match self {
            Writer::Csv(w) => w
                .write_record(cells.iter().map(Cell::text))
                .map_err(csv_error),
            Writer::Xlsx(s) => s.row(cells),
        }
    }

    /// Ends the file and returns it, read from its start, with its size in bytes.
    pub fn finish(self) -> AppResult<(File, u64)> {
        let mut file = match self {
            Writer::Csv(w) => w
                .into_inner()
                .map_err(|e| io(e.into_error()))?
                .into_inner()
                .map_err(|e| io(e.into_error()))?,
            Writer::Xlsx(mut s) => {
                let file = tempfile::tempfile().map_err(io)?;
                let mut out = BufWriter::new(file);
                s.workbook.save_to_writer(&mut out).map_err(xlsx)?;
                out.into_inner().map_err(|e| io(e.into_error()))?
            }
        };
        let size = file.seek(SeekFrom::End(0)).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        Ok((file, size))
    }
}

impl Sheets {
    fn add_sheet(&mut self) -> AppResult<()> {
        let bold = rust_xlsxwriter::Format::new().set_bold();
        let sheet = self
            .workbook
            .add_worksheet_with_constant_memory()
            .map_err(xlsx)?;
        // Widths and panes before the first row: a constant-memory sheet writes its rows out
        // as it goes.
        for col in 0..self.header.len() {
            sheet.set_column_width(col as u16, 18).map_err(xlsx)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(xlsx)?;
        for (col, title) in self.header.iter().enumerate() {
            sheet
                .write_string_with_format(0, col as u16, neutralise(title), &bold)
                .map_err(xlsx)?;
        }
        self.sheet = self.workbook.worksheets().len() - 1;
        self.row = 1;
        Ok(())
    }

    fn format(&mut self, code: String) -> rust_xlsxwriter::Format {
        self.formats
            .entry(code.clone())
            .or_insert_with(|| rust_xlsxwriter::Format::new().set_num_format(code))
            .clone()
    }

    fn row(&mut self, cells: &[Cell]) -> AppResult<()> {
        if self.row >= SHEET_ROWS {
            self.add_sheet()?;
        }
        let row = self.row;
        for (col, cell) in cells.iter().enumerate() {
            let col = col as u16;
            let number_format = match cell {
                Cell::Money {
                    places, currency, ..
                } => {
                    let decimals = if *places > 0 {
                        format!(".{}", "0".repeat(*places as usize))
                    } else {
                        String::new()
                    };
                    Some(self.format(format!("#,##0{decimals} \"{currency}\"")))
                }
                Cell::Percent(_) => Some(self.format("0.##%".into())),
                Cell::Date(_) => Some(self.format("yyyy-mm-dd".into())),
                Cell::DateTime(_) => Some(self.format("yyyy-mm-dd hh:mm".into())),
                _ => None,
            };
            let sheet = self
                .workbook
                .worksheet_from_index(self.sheet)
                .map_err(xlsx)?;
            let written = match (cell, number_format) {
                (Cell::Empty, _) => continue,
                (Cell::Text(s), _) => {
                    // Always a string cell, never a formula; prefixed as in CSV, so that a
                    // spreadsheet re-evaluating an edited cell finds no formula either.
                    let mut text = neutralise(s);
                    if text.chars().count() > CELL_CHARS {
                        text = text.chars().take(CELL_CHARS).collect();
                    }
                    sheet.write_string(row, col, text)
                }
                (Cell::Number(d), _) => sheet.write_number(row, col, d.to_f64().unwrap_or(0.0)),
                (Cell::Money { amount, .. }, Some(f)) => {
                    sheet.write_number_with_format(row, col, amount.to_f64().unwrap_or(0.0), &f)
                }
                (Cell::Percent(d), Some(f)) => {
                    let fraction = d.to_f64().unwrap_or(0.0) / 100.0;
                    sheet.write_number_with_format(row, col, fraction, &f)
                }
                (Cell::Date(d), Some(f)) => {
                    sheet.write_datetime_with_format(row, col, excel_date(*d)?, &f)
                }
                (Cell::DateTime(t), Some(f)) => {
                    sheet.write_datetime_with_format(row, col, excel_time(*t)?, &f)
                }
                (other, None) => sheet.write_string(row, col, other.text()),
            };
            written.map_err(xlsx)?;
        }
        self.row += 1;
        Ok(())
    }
}

fn excel_date(d: chrono::NaiveDate) -> AppResult<ExcelDateTime> {
    use chrono::Datelike;
    ExcelDateTime::from_ymd(
        d.year().clamp(1900, 9999) as u16,
        d.month() as u8,
        d.day() as u8,
    )
    .map_err(xlsx)
}

fn excel_time(t: chrono::NaiveDateTime) -> AppResult<ExcelDateTime> {
    use chrono::Timelike;
    excel_date(t.date())?
        .and_hms(t.hour() as u16, t.minute() as u8, t.second())
        .map_err(xlsx)
}
