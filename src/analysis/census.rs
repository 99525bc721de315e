//! Census tables by unit (`--census`): residents, and optionally children under 3, counted
//! per district or sub-district, read from a planner's CSV file and matched to the units.
//!
//! Reading is strict (a bad count stops the run, naming line and column); matching is
//! forgiving but predictable: a key is compared as a code, then as a name, then as a
//! normalised name ([`normalise_name`]), and every row or unit left over is reported with
//! its closest candidates, so that a planner can fix the table rather than guess.
//! Spreading the counts over homes is not done here.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::analysis::units::Unit;
use crate::error::{Error, Result};
use crate::text::{csv_delimiter, decode};

/// Headers recognised (case-insensitively) as the key column when none is configured, in
/// order of preference: a unit's name or code.
pub const KEY_HEADERS: &[&str] = &[
    "name",
    "unit",
    "code",
    "ref",
    "id",
    "名称",
    "街道",
    "乡镇",
    "区县",
    "单位",
    "代码",
    "区划代码",
];

/// Headers recognised (case-insensitively) as the residents column, in order of preference.
pub const RESIDENTS_HEADERS: &[&str] = &[
    "residents",
    "population",
    "pop",
    "人口",
    "常住人口",
    "户籍人口",
    "总人口",
];

/// Headers recognised (case-insensitively) as the column of children under 3, in order of
/// preference.
pub const UNDER3_HEADERS: &[&str] = &[
    "under3",
    "under_3",
    "children_under_3",
    "0-3岁",
    "0-2岁",
    "3岁以下",
    "婴幼儿",
];

/// The columns of a census table as the planner names them (`--census-key`,
/// `--census-residents`, `--census-under3`); `None` recognises the usual headers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CensusColumns {
    /// Column of unit names or codes ([`KEY_HEADERS`] when `None`).
    pub key: Option<String>,
    /// Column of residents ([`RESIDENTS_HEADERS`] when `None`).
    pub residents: Option<String>,
    /// Column of children under 3 ([`UNDER3_HEADERS`] when `None`; optional then).
    pub under3: Option<String>,
}

/// One row of a census table.
#[derive(Debug, Clone, PartialEq)]
pub struct CensusRow {
    /// The row's line in the file, from 1 (the header is line 1).
    pub line: usize,
    /// The unit's name or code, trimmed.
    pub key: String,
    /// Residents counted.
    pub residents: f64,
    /// Children under 3; `None` without that column or when its cell is empty.
    pub under3: Option<f64>,
}

/// A census table as read.
#[derive(Debug, Clone, PartialEq)]
pub struct CensusTable {
    /// The file read.
    pub path: PathBuf,
    /// Header of the key column, as in the file.
    pub key_column: String,
    /// Header of the residents column.
    pub residents_column: String,
    /// Header of the column of children under 3, if any.
    pub under3_column: Option<String>,
    /// The rows, in file order, without the total row.
    pub rows: Vec<CensusRow>,
    /// The table's own total row (its key one of [`TOTAL_KEYS`]), if it has one.
    pub total: Option<CensusRow>,
}

/// Keys of a table's total row (compared in lower case), read apart from the units' rows:
/// `合计`, `总计`, `全市`, `Total`, …
pub const TOTAL_KEYS: &[&str] = &[
    "合计",
    "合計",
    "总计",
    "總計",
    "全市",
    "全区",
    "全县",
    "total",
    "sum",
    "insgesamt",
    "gesamt",
];

/// Reads a census table: a CSV file (UTF-8, UTF-8 with a byte-order mark, or GBK/GB18030;
/// delimited by `,`, or `;` / tab when the header has no comma) with a header row.
///
/// Counts are non-negative numbers; `.` is the decimal point, and digits may be grouped by
/// thousands with `,` (quoted when `,` is the delimiter), a space or `'`: `37,366`,
/// `37 366`, `1'234.5`. Grouped counts must have groups of three (`1,5` is refused, not read
/// as 1.5 or 15).
///
/// # Errors
/// [`Error::Data`] naming the line and column: no header or no rows, a column not found
/// (listing the headers seen and the names tried), an empty or repeated key (naming both
/// lines), a count that is not a finite non-negative number, more children under 3 than
/// residents. [`Error::Io`] when unreadable.
pub fn read_census(path: &Path, columns: &CensusColumns) -> Result<CensusTable> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let text = decode(&bytes);
    let bad = |m: String| Error::data(path, m);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(csv_delimiter(&text))
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| bad(format!("line 1: {e}")))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if headers.iter().all(String::is_empty) {
        return Err(bad("empty file: no header row".into()));
    }
    let find = |configured: &Option<String>, names: &[&str], what: (&str, &str)| {
        find_column(&headers, configured.as_deref(), names, what).map_err(bad)
    };
    let key = find(
        &columns.key,
        KEY_HEADERS,
        ("key (unit name or code)", "--census-key"),
    )?;
    let residents = find(
        &columns.residents,
        RESIDENTS_HEADERS,
        ("residents", "--census-residents"),
    )?;
    let under3 = match find(
        &columns.under3,
        UNDER3_HEADERS,
        ("children under 3", "--census-under3"),
    ) {
        Ok(column) => Some(column),
        Err(_) if columns.under3.is_none() => None,
        Err(e) => return Err(e),
    };
    let mut rows = read_rows(&mut reader, &headers, [key, residents], under3).map_err(bad)?;
    let is_total = |r: &CensusRow| TOTAL_KEYS.contains(&r.key.to_lowercase().as_str());
    let mut totals = rows.iter().filter(|r| is_total(r)).map(|r| r.line);
    if let (Some(first), Some(second)) = (totals.next(), totals.next()) {
        return Err(bad(format!(
            "lines {first} and {second} are both total rows ({TOTAL_KEYS:?}): keep one"
        )));
    }
    let total = rows.iter().position(is_total).map(|i| rows.remove(i));
    if rows.is_empty() {
        return Err(bad("no rows but the total row".into()));
    }
    Ok(CensusTable {
        path: path.to_path_buf(),
        key_column: headers[key].clone(),
        residents_column: headers[residents].clone(),
        under3_column: under3.map(|c| headers[c].clone()),
        rows,
        total,
    })
}

/// The index of the `configured` column, or else of the first of `names` among `headers`
/// (both case-insensitive); the message names what was missing and the flag that names it.
fn find_column(
    headers: &[String],
    configured: Option<&str>,
    names: &[&str],
    (what, flag): (&str, &str),
) -> Result<usize, String> {
    let position = |name: &str| {
        headers
            .iter()
            .position(|h| h.to_lowercase() == name.trim().to_lowercase())
    };
    let seen = format!("headers on line 1: {headers:?}");
    match configured {
        Some(name) => {
            position(name).ok_or_else(|| format!("line 1: no {what} column {name:?}; {seen}"))
        }
        None => names.iter().find_map(|n| position(n)).ok_or_else(|| {
            format!("line 1: no {what} column; {seen}; tried {names:?} (name it with {flag})")
        }),
    }
}

/// The rows after the header, checked: `[key, residents]` and `under3` are column indices.
fn read_rows(
    reader: &mut csv::Reader<&[u8]>,
    headers: &[String],
    [key, residents]: [usize; 2],
    under3: Option<usize>,
) -> Result<Vec<CensusRow>, String> {
    let mut rows: Vec<CensusRow> = Vec::new();
    let mut lines_by_key: HashMap<String, usize> = HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("{e}"))?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let cell = |c: usize| record.get(c).unwrap_or("").trim();
        let at = |c: usize| format!("line {line}, column {:?}", headers[c]);
        let row_key = cell(key).to_string();
        if row_key.is_empty() {
            return Err(format!("{}: empty key", at(key)));
        }
        if let Some(first) = lines_by_key.insert(row_key.clone(), line) {
            return Err(format!("{}: key {row_key:?} repeats line {first}", at(key)));
        }
        let count = |c: usize| parse_count(cell(c)).map_err(|m| format!("{}: {m}", at(c)));
        let row = CensusRow {
            line,
            key: row_key,
            residents: count(residents)?,
            under3: match under3 {
                Some(c) if !cell(c).is_empty() => Some(count(c)?),
                _ => None,
            },
        };
        if let (Some(c), Some(children)) = (under3, row.under3)
            && children > row.residents
        {
            return Err(format!(
                "{}: {children} children under 3 but {} residents",
                at(c),
                row.residents
            ));
        }
        rows.push(row);
    }
    if rows.is_empty() {
        return Err("no rows after the header".into());
    }
    Ok(rows)
}

/// A count: a finite, non-negative number with `.` as decimal point, its digits grouped by
/// thousands with `,`, spaces or `'` (groups of three after the first).
fn parse_count(cell: &str) -> Result<f64, String> {
    let not_a_count = || format!("{cell:?} is not a count");
    let (whole, fraction) = match cell.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (cell, None),
    };
    let groups: Vec<&str> = whole
        .split(|c: char| c == ',' || c == '\'' || c.is_whitespace())
        .collect();
    let grouped_well = groups.len() == 1
        || groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()))
            && (1..=3).contains(&groups[0].len())
            && groups[1..].iter().all(|g| g.len() == 3);
    if !grouped_well {
        return Err(format!("{} (group digits by three)", not_a_count()));
    }
    let plain = match fraction {
        Some(fraction) => format!("{}.{fraction}", groups.concat()),
        None => groups.concat(),
    };
    let value: f64 = plain.parse().map_err(|_| not_a_count())?;
    if !value.is_finite() {
        return Err(format!("{cell:?} is not a finite count"));
    }
    if value < 0.0 {
        return Err(format!("{cell:?} is negative"));
    }
    Ok(value + 0.0)
}

/// Leading words dropped from a normalised name (when words remain): `Gemeinde Vaduz`,
/// `Parròquia d'Ordino`, `Municipality of …`.
pub const NAME_PREFIXES: &[&[&str]] = &[
    &["gemeinde"],
    &["parroquia", "de"],
    &["parroquia", "d"],
    &["municipality", "of"],
    &["district", "of"],
];

/// Trailing words dropped from a normalised name (when words remain): `Vaduz municipality`.
pub const NAME_SUFFIXES: &[&[&str]] =
    &[&["municipality"], &["district"], &["parish"], &["gemeinde"]];

/// Chinese administrative suffixes, the longest first; one is dropped from a normalised name
/// when at least two characters remain (`五山街道` → `五山`, but `城区` and `东区` stay).
pub const CHINESE_SUFFIXES: &[&str] = &[
    "街道办事处",
    "街道",
    "办事处",
    "地区",
    "镇",
    "乡",
    "区",
    "县",
];

/// A name as census keys are compared when no exact match exists: compatibility forms
/// unfolded (full-width `ＡＢ１` → `ab1`), accents dropped (`Julià` → `julia`), lowercase,
/// split into words at anything not a letter or digit, one prefix of [`NAME_PREFIXES`] and one
/// suffix of [`NAME_SUFFIXES`] dropped when words remain, the words joined without spaces,
/// then one suffix of [`CHINESE_SUFFIXES`] dropped when two characters remain.
pub fn normalise_name(name: &str) -> String {
    let folded: String = name
        .nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect();
    let mut words: Vec<&str> = folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    if let Some(p) = NAME_PREFIXES
        .iter()
        .find(|p| words.len() > p.len() && words.starts_with(p))
    {
        words.drain(..p.len());
    }
    if let Some(s) = NAME_SUFFIXES
        .iter()
        .find(|s| words.len() > s.len() && words.ends_with(s))
    {
        words.truncate(words.len() - s.len());
    }
    let joined = words.concat();
    CHINESE_SUFFIXES
        .iter()
        .find_map(|s| {
            let rest = joined.strip_suffix(s)?;
            (rest.chars().count() >= 2).then(|| rest.to_string())
        })
        .unwrap_or(joined)
}

/// A code as compared: Chinese division codes (区划代码, all digits) lose trailing `000`
/// groups down to 6 or 9 digits, so that `440106005000` (12 digits) and `440106005` (9)
/// are one code, and `440106000000` is `440106`; other codes are compared as written.
pub fn canonical_code(code: &str) -> &str {
    let mut code = code.trim();
    while matches!(code.len(), 9 | 12)
        && code.bytes().all(|b| b.is_ascii_digit())
        && code.ends_with("000")
    {
        code = &code[..code.len() - 3];
    }
    code
}

/// How a row found its unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchHow {
    /// The key is one of the unit's codes ([`canonical_code`]).
    Code,
    /// The key is the unit's name or one of its other names, exactly.
    Name,
    /// The key and one of the unit's names are one after [`normalise_name`].
    NormalisedName,
}

/// What became of one census row.
#[derive(Debug, Clone, PartialEq)]
pub enum RowOutcome {
    /// It matched the unit at this index of the units given.
    Matched {
        /// Index into the units given to [`match_census`].
        unit: usize,
        /// How.
        how: MatchHow,
    },
    /// It matched several units equally well, so none.
    Ambiguous {
        /// Indices of the units.
        units: Vec<usize>,
        /// Their names.
        names: Vec<String>,
    },
    /// It matched no unit.
    Unmatched {
        /// The names of the 3 closest units (edit distance of normalised names).
        closest: Vec<String>,
    },
}

/// One census row and its outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct RowMatch {
    /// The row's line in the file.
    pub line: usize,
    /// The row's key.
    pub key: String,
    /// What became of it.
    pub outcome: RowOutcome,
}

/// A unit matched by more than one row: an error in the table, and none of its rows count.
#[derive(Debug, Clone, PartialEq)]
pub struct Contested {
    /// Index of the unit among those given to [`match_census`].
    pub unit: usize,
    /// Its name.
    pub name: String,
    /// The lines of the rows that matched it.
    pub lines: Vec<usize>,
}

/// A unit no row matched.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitWithoutRow {
    /// Index of the unit among those given to [`match_census`].
    pub unit: usize,
    /// Its name.
    pub name: String,
    /// The 3 closest keys of rows not matched (edit distance of normalised names).
    pub closest: Vec<String>,
}

/// How a census table matched the units.
#[derive(Debug, Clone, PartialEq)]
pub struct CensusMatch {
    /// Each row of the table, in order.
    pub rows: Vec<RowMatch>,
    /// For each unit, the index of its one row (in [`Self::rows`] and the table's rows);
    /// `None` when no row or several matched it.
    pub by_unit: Vec<Option<usize>>,
    /// Units matched by several rows.
    pub contested: Vec<Contested>,
    /// Units no row matched, in unit order.
    pub without_row: Vec<UnitWithoutRow>,
}

/// The names of a unit: its name, then its other names.
fn names_of(unit: &Unit) -> impl Iterator<Item = &str> {
    std::iter::once(unit.name.as_str()).chain(unit.other_names.iter().map(String::as_str))
}

/// The units whose names or codes satisfy `hit`, in order.
fn units_where(units: &[&Unit], hit: impl Fn(&Unit) -> bool) -> Vec<usize> {
    (0..units.len()).filter(|&i| hit(units[i])).collect()
}

/// Matches `key` to `units` (by code, name, then normalised name); `names` holds each unit's
/// name and normalised names.
fn match_key(key: &str, units: &[&Unit], names: &[(String, Vec<String>)]) -> RowOutcome {
    let code = canonical_code(key);
    let norm = normalise_name(key);
    let tries: [(MatchHow, Vec<usize>); 3] = [
        (
            MatchHow::Code,
            units_where(units, |u| u.codes.iter().any(|c| canonical_code(c) == code)),
        ),
        (
            MatchHow::Name,
            units_where(units, |u| names_of(u).any(|n| n == key)),
        ),
        (
            MatchHow::NormalisedName,
            (0..units.len())
                .filter(|&i| !norm.is_empty() && names[i].1.contains(&norm))
                .collect(),
        ),
    ];
    match tries.into_iter().find(|(_, found)| !found.is_empty()) {
        Some((how, found)) if found.len() == 1 => RowOutcome::Matched {
            unit: found[0],
            how,
        },
        Some((_, found)) => RowOutcome::Ambiguous {
            names: found.iter().map(|&i| units[i].name.clone()).collect(),
            units: found,
        },
        None => RowOutcome::Unmatched {
            closest: closest(&[norm], names),
        },
    }
}

/// The `labels` of the 3 `candidates` nearest to `target` by edit distance between
/// normalised names (each candidate has several; the nearest counts), ties by label.
fn closest(target: &[String], candidates: &[(String, Vec<String>)]) -> Vec<String> {
    let distance = |names: &[String]| {
        names
            .iter()
            .flat_map(|n| target.iter().map(move |t| strsim::levenshtein(n, t)))
            .min()
            .unwrap_or(usize::MAX)
    };
    let mut ranked: Vec<(usize, &String)> = candidates
        .iter()
        .map(|(label, names)| (distance(names), label))
        .collect();
    ranked.sort();
    ranked.into_iter().take(3).map(|(_, l)| l.clone()).collect()
}

/// Matches each row of `table` to one of `units` (pass one level: districts or sub-districts).
///
/// A row's key is tried, in order, as a code of a unit ([`canonical_code`]), as a unit's name
/// or other name (exactly), and as a normalised name ([`normalise_name`]); the first try that
/// finds any unit decides: one unit is a match, several are ambiguous. Rows left unmatched
/// are given the 3 closest unit names, units left without a row the 3 closest keys of rows
/// not matched.
pub fn match_census(table: &CensusTable, units: &[&Unit]) -> CensusMatch {
    let names: Vec<(String, Vec<String>)> = units
        .iter()
        .map(|u| (u.name.clone(), names_of(u).map(normalise_name).collect()))
        .collect();
    let rows: Vec<RowMatch> = table
        .rows
        .iter()
        .map(|r| RowMatch {
            line: r.line,
            key: r.key.clone(),
            outcome: match_key(&r.key, units, &names),
        })
        .collect();
    let mut rows_of_unit: Vec<Vec<usize>> = vec![Vec::new(); units.len()];
    for (i, r) in rows.iter().enumerate() {
        if let RowOutcome::Matched { unit, .. } = r.outcome {
            rows_of_unit[unit].push(i);
        }
    }
    let unmatched: Vec<(String, Vec<String>)> = rows
        .iter()
        .filter(|r| !matches!(r.outcome, RowOutcome::Matched { .. }))
        .map(|r| (r.key.clone(), vec![normalise_name(&r.key)]))
        .collect();
    let mut result = CensusMatch {
        by_unit: rows_of_unit
            .iter()
            .map(|r| (r.len() == 1).then(|| r[0]))
            .collect(),
        rows,
        contested: Vec::new(),
        without_row: Vec::new(),
    };
    for (unit, (found, (name, normalised))) in rows_of_unit.iter().zip(names).enumerate() {
        match found.len() {
            0 => result.without_row.push(UnitWithoutRow {
                unit,
                name,
                closest: closest(&normalised, &unmatched),
            }),
            1 => {}
            _ => result.contested.push(Contested {
                unit,
                name,
                lines: found.iter().map(|&i| result.rows[i].line).collect(),
            }),
        }
    }
    result
}

/// `"a", "b", "c"`, or `none`.
fn quoted(names: &[String]) -> String {
    if names.is_empty() {
        return "none".into();
    }
    let quoted: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    quoted.join(", ")
}

impl CensusMatch {
    /// One line per problem, for warnings: ambiguous and unmatched rows (with the closest
    /// unit names), units matched by several rows, units without a row (with the closest
    /// keys). Empty when every row and every unit found its match.
    pub fn describe(&self) -> Vec<String> {
        let rows = self.rows.iter().filter_map(|r| match &r.outcome {
            RowOutcome::Matched { .. } => None,
            RowOutcome::Ambiguous { names, .. } => Some(format!(
                "line {}: {:?} matches several units ({}), so none",
                r.line,
                r.key,
                quoted(names)
            )),
            RowOutcome::Unmatched { closest } => Some(format!(
                "line {}: {:?} matches no unit; closest: {}",
                r.line,
                r.key,
                quoted(closest)
            )),
        });
        let contested = self.contested.iter().map(|c| {
            let lines: Vec<String> = c.lines.iter().map(ToString::to_string).collect();
            format!(
                "unit {:?} is matched by lines {}, so by none",
                c.name,
                lines.join(" and ")
            )
        });
        let missing = self.without_row.iter().map(|u| {
            format!(
                "unit {:?} has no row; closest unmatched keys: {}",
                u.name,
                quoted(&u.closest)
            )
        });
        rows.chain(contested).chain(missing).collect()
    }

    /// For `--census-strict`: `Ok` when every row matched one unit and every unit one row.
    ///
    /// # Errors
    /// One [`Error::Data`] on `table`'s file listing every problem of [`Self::describe`].
    pub fn require_complete(&self, table: &CensusTable) -> Result<()> {
        let problems = self.describe();
        if problems.is_empty() {
            return Ok(());
        }
        Err(Error::data(
            &table.path,
            format!(
                "the census table does not match the units one to one ({} problems): {}",
                problems.len(),
                problems.join("; ")
            ),
        ))
    }
}

#[cfg(test)]
mod tests;
