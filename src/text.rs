//! Text files as planners save them: decoding (UTF-8, a byte-order mark, or the GBK/GB18030 of
//! Chinese spreadsheet exports) and the delimiter of a CSV file, shared by the facility
//! registers, the census tables, and the GeoJSON and TOML files planners edit (units,
//! population layers, life circles).

use std::borrow::Cow;

/// Decodes the file: by its byte-order mark if any, else as UTF-8, else as GBK (or, when the
/// bytes are not valid GBK either, as Windows-1252). Never fails.
pub(crate) fn decode(bytes: &[u8]) -> Cow<'_, str> {
    if let Some((encoding, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        return encoding.decode_without_bom_handling(&bytes[bom_len..]).0;
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => match encoding_rs::GBK.decode_without_bom_handling(bytes) {
            (text, false) => text,
            (_, true) => {
                encoding_rs::WINDOWS_1252
                    .decode_without_bom_handling(bytes)
                    .0
            }
        },
    }
}

/// The delimiter of a CSV `text`, from its first non-blank line: `,`, or `;` / tab when that
/// line has no comma (semicolons win a tie).
pub(crate) fn csv_delimiter(text: &str) -> u8 {
    let header = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let count = |c| header.matches(c).count();
    match (count(','), count(';'), count('\t')) {
        (0, semicolons, tabs) if semicolons > 0 && semicolons >= tabs => b';',
        (0, _, tabs) if tabs > 0 => b'\t',
        _ => b',',
    }
}
