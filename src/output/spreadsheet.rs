//! Text cells a spreadsheet would run as formulas, neutralised.
//!
//! Names come from the map and from registers, which anyone can write; planners open the CSVs
//! in Excel or LibreOffice, which run a cell starting with `=`, `+`, `-` or `@` (and, in some
//! versions, a tab or carriage return) as a formula: `=HYPERLINK("http://x","click")` as a
//! unit's name would be a live link. Following OWASP's advice on CSV injection, such a text
//! cell gets a leading `'`, which spreadsheets show as text and do not run. Only text is
//! touched — names, ids, categories — never a number, so `-0.5` stays a number. Every CSV the
//! tool writes passes its text cells through [`text_cell`].
//!
//! The tables also share their form: UTF-8 with a byte-order mark, so that a Chinese Excel
//! reads them as UTF-8 ([`bom_writer`]), and numbers to fixed decimals with an empty cell
//! where a value is undefined ([`decimal`], [`opt_decimal`]).

use std::borrow::Cow;
use std::io::Write;

/// A CSV writer over `out` after the UTF-8 byte-order mark.
///
/// # Errors
/// When the mark cannot be written.
pub fn bom_writer<W: Write>(mut out: W) -> std::io::Result<csv::Writer<W>> {
    out.write_all("\u{feff}".as_bytes())?;
    Ok(csv::Writer::from_writer(out))
}

/// `value` to `decimals` places; never `-0.0` (an empty sum is -0.0).
pub fn decimal(value: f64, decimals: usize) -> String {
    format!("{:.decimals$}", value + 0.0)
}

/// [`decimal`], or an empty cell for an undefined value.
pub fn opt_decimal(value: Option<f64>, decimals: usize) -> String {
    value.map_or(String::new(), |v| decimal(v, decimals))
}

/// Characters that make a spreadsheet read a cell as a formula when it starts with one.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `text` as a CSV cell no spreadsheet runs: with a leading `'` when it starts like a formula,
/// unchanged otherwise.
///
/// ```
/// use fifteen::output::spreadsheet::text_cell;
/// assert_eq!(text_cell("=HYPERLINK(\"http://x\",\"click\")"), "'=HYPERLINK(\"http://x\",\"click\")");
/// assert_eq!(text_cell("-Nord"), "'-Nord");
/// assert_eq!(text_cell("Vaduz"), "Vaduz");
/// assert_eq!(text_cell("街道"), "街道");
/// ```
pub fn text_cell(text: &str) -> Cow<'_, str> {
    if text.starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_to_fixed_decimals() {
        assert_eq!(decimal(-0.0, 1), "0.0");
        assert_eq!(decimal(0.12345, 4), "0.1235");
        assert_eq!(opt_decimal(None, 2), "");
        assert_eq!(opt_decimal(Some(2.0), 2), "2.00");
    }

    #[test]
    fn every_formula_start_is_neutralised_and_nothing_else() {
        for hostile in [
            "=1+1",
            "+1",
            "-1+2",
            "@SUM(A1:A2)",
            "\t=1",
            "\r=1",
            "=cmd|' /C calc'!A0",
        ] {
            assert_eq!(text_cell(hostile), format!("'{hostile}"), "{hostile:?}");
        }
        for plain in ["", "Vaduz", "node/1", "'quoted", " =1", "1-2", "a=b"] {
            assert_eq!(text_cell(plain), plain, "{plain:?}");
        }
    }
}
