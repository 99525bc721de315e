//! Population rasters: the cells of a GeoTIFF over an area, read in pure Rust (no GDAL).
//!
//! Made for the grids population is published in: WorldPop (3″ cells in WGS84, EPSG:4326,
//! float32 people per cell, nodata usually −99999) and GHS-POP (100 m cells in World
//! Mollweide, ESRI:54009, or 3″ cells in WGS84).
//!
//! # What it reads
//! - Strips or tiles; no compression, LZW, Deflate or PackBits, with or without a predictor.
//! - One sample per cell: float32, float64, or integers u8, u16, u32, i8, i16, i32 (read as
//!   `f64`). Complex or several samples per cell are refused.
//! - North-up georeferencing: ModelPixelScaleTag + one ModelTiepointTag, or a
//!   ModelTransformationTag without rotation. PixelIsPoint rasters (GTRasterTypeGeoKey = 2),
//!   whose tiepoint is the centre of the first cell, are moved half a cell to its corner.
//! - CRS: geographic EPSG:4326, or Mollweide: ProjectedCSTypeGeoKey 54009, or user-defined
//!   (32767) whose citation names Mollweide with central meridian and false origin 0 — what
//!   GDAL writes for ESRI:54009 (an "ESRI PE String" citation, no projection keys).
//! - Nodata from the GDAL_NODATA tag (42113); NaN cells read as nodata too.
//!
//! # Only the window
//! Only the strips or tiles over the area are decoded, one at a time: a small city in a
//! country-sized tiled raster costs a handful of tiles, and memory follows the window (a
//! striped raster costs whole rows of the raster, which is how it is stored).
//!
//! Anything the reader cannot take is an [`Error::Data`] naming the tag or GeoKey and its value.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::ops::Range;
use std::path::Path;

use geo::Rect;
use tiff::TiffError;
use tiff::decoder::{ChunkType, Decoder, DecodingResult};
use tiff::tags::Tag;

use super::mollweide;
use crate::error::{Error, Result};

/// Coordinate reference system of a population raster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RasterCrs {
    /// Longitude and latitude in degrees on WGS84 (EPSG:4326).
    Wgs84,
    /// World Mollweide in metres (ESRI:54009).
    Mollweide,
}

impl RasterCrs {
    /// A WGS84 point (degrees) in this CRS's units.
    fn project(self, lon_deg: f64, lat_deg: f64) -> (f64, f64) {
        match self {
            RasterCrs::Wgs84 => (lon_deg, lat_deg),
            RasterCrs::Mollweide => mollweide::forward(lon_deg, lat_deg),
        }
    }

    /// A point in this CRS's units back in WGS84 degrees; NaN off the globe.
    fn unproject(self, x: f64, y: f64) -> (f64, f64) {
        match self {
            RasterCrs::Wgs84 => (x, y),
            RasterCrs::Mollweide => mollweide::inverse(x, y).unwrap_or((f64::NAN, f64::NAN)),
        }
    }

    /// A box from `min` to `max` in this CRS's units, for messages.
    fn describe(self, min: (f64, f64), max: (f64, f64)) -> String {
        match self {
            RasterCrs::Wgs84 => format!("lon {}° … {}°, lat {}° … {}°", min.0, max.0, min.1, max.1),
            RasterCrs::Mollweide => format!(
                "World Mollweide x {:.0} m … {:.0} m, y {:.0} m … {:.0} m",
                min.0, max.0, min.1, max.1
            ),
        }
    }
}

/// North-up placement of a grid: its top-left corner and cell size in CRS units.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Placement {
    crs: RasterCrs,
    left: f64,
    top: f64,
    cell_w: f64,
    cell_h: f64,
}

impl Placement {
    /// The extent of cells `cols` × `rows`, for messages.
    fn extent(&self, cols: Range<usize>, rows: Range<usize>) -> String {
        let x = |c: usize| self.left + c as f64 * self.cell_w;
        let y = |r: usize| self.top - r as f64 * self.cell_h;
        let min = (x(cols.start), y(rows.end));
        self.crs.describe(min, (x(cols.end), y(rows.start)))
    }
}

/// The part of a raster over an area: its cells row by row from the north-west, each a
/// value or nodata.
#[derive(Debug, Clone)]
pub struct RasterWindow {
    place: Placement,
    cols: usize,
    rows: usize,
    /// Cell values row by row; NaN is nodata.
    values: Vec<f64>,
}

impl RasterWindow {
    /// The raster's coordinate reference system.
    pub fn crs(&self) -> RasterCrs {
        self.place.crs
    }

    /// Cells in the window (columns × rows).
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the window holds no cells (never, for a window [`read_window`] returns).
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Columns and rows of the window.
    pub fn size(&self) -> (usize, usize) {
        (self.cols, self.rows)
    }

    /// The value of `cell` (people, for a population raster); `None` for nodata or NaN.
    ///
    /// # Panics
    /// When `cell` is not below [`len`](Self::len).
    pub fn value(&self, cell: usize) -> Option<f64> {
        let v = self.values[cell];
        (!v.is_nan()).then_some(v)
    }

    /// The cell holding the WGS84 point (`lon`, `lat` in degrees), `None` outside the window.
    /// A cell holds its west and north edges, not its east and south ones.
    pub fn cell_at(&self, lon: f64, lat: f64) -> Option<usize> {
        let (x, y) = self.place.crs.project(lon, lat);
        let col = ((x - self.place.left) / self.place.cell_w).floor();
        let row = ((self.place.top - y) / self.place.cell_h).floor();
        let inside =
            (0.0..self.cols as f64).contains(&col) && (0.0..self.rows as f64).contains(&row);
        inside.then(|| row as usize * self.cols + col as usize)
    }

    /// The centre of `cell` in WGS84 (longitude, latitude in degrees); NaN for a Mollweide
    /// cell whose centre is off the globe (a corner of a world raster).
    pub fn centre_lon_lat(&self, cell: usize) -> (f64, f64) {
        let (col, row) = (cell % self.cols, cell / self.cols);
        let x = self.place.left + (col as f64 + 0.5) * self.place.cell_w;
        let y = self.place.top - (row as f64 + 0.5) * self.place.cell_h;
        self.place.crs.unproject(x, y)
    }

    /// Width and height of a cell in the CRS's units: degrees for [`RasterCrs::Wgs84`], metres
    /// for [`RasterCrs::Mollweide`].
    pub fn cell_size(&self) -> (f64, f64) {
        (self.place.cell_w, self.place.cell_h)
    }
}

/// Reads the cells of the GeoTIFF at `path` that cover `bounds` (longitude/latitude in WGS84
/// degrees), decoding only the strips or tiles over it. For a Mollweide raster the window is
/// the box around the projected edges of `bounds` (meridians curve), grown by one cell.
///
/// # Errors
/// [`Error::Io`] when the file cannot be opened; [`Error::Data`] when it is not a GeoTIFF this
/// reader takes (see the module doc), is truncated, or does not overlap `bounds`.
pub fn read_window(path: &Path, bounds: Rect<f64>) -> Result<RasterWindow> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let file_len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let mut decoder = Decoder::new(BufReader::new(file))
        .map_err(|e| Error::data(path, format!("not a TIFF this reader can read: {e}")))?;
    let mut tags = Tags {
        decoder: &mut decoder,
        path,
    };
    let sample = tags.sample_kind()?;
    tags.check_compression()?;
    let place = tags.placement()?;
    let nodata = tags.nodata()?.map(|v| sample.round(v));
    let (width, height) = tags.decoder.dimensions().map_err(|e| tiff_error(path, e))?;
    let (cols, rows) = window_cells(&place, bounds, width as usize, height as usize)
        .map_err(|message| Error::data(path, message))?;
    let ends = chunk_ends(&mut decoder, path, file_len)?;
    let values = read_cells(
        &mut decoder,
        path,
        (width, height),
        (&cols, &rows),
        nodata,
        &ends,
    )?;
    let place = Placement {
        left: place.left + cols.start as f64 * place.cell_w,
        top: place.top - rows.start as f64 * place.cell_h,
        ..place
    };
    Ok(RasterWindow {
        place,
        cols: cols.len(),
        rows: rows.len(),
        values,
    })
}

/// A TIFF error while reading `path`, as bad data.
fn tiff_error(path: &Path, e: TiffError) -> Error {
    Error::data(path, format!("TIFF: {e}"))
}

/// How a raster's samples are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SampleKind {
    Float32,
    Other,
}

impl SampleKind {
    /// `v` as a sample of this kind compares (nodata against float32 cells).
    fn round(self, v: f64) -> f64 {
        match self {
            SampleKind::Float32 => v as f32 as f64,
            SampleKind::Other => v,
        }
    }
}

/// The decoder of one file, to read its tags with errors naming the file.
struct Tags<'a> {
    decoder: &'a mut Decoder<BufReader<File>>,
    path: &'a Path,
}

/// The compressions the reader decodes: TIFF code and name.
const COMPRESSIONS: [(u16, &str); 5] = [
    (1, "none"),
    (5, "LZW"),
    (8, "Deflate"),
    (32946, "Deflate (old code)"),
    (32773, "PackBits"),
];

impl Tags<'_> {
    /// A data error in the file.
    fn error(&self, message: impl Into<String>) -> Error {
        Error::data(self.path, message)
    }

    /// The first unsigned value of `tag`, or `default` when it is absent or empty.
    fn unsigned(&mut self, tag: Tag, default: u16) -> Result<u16> {
        let found = self.decoder.find_tag_unsigned_vec::<u16>(tag);
        let found = found.map_err(|e| tiff_error(self.path, e))?;
        Ok(found.and_then(|v| v.first().copied()).unwrap_or(default))
    }

    /// The doubles of `tag`, `None` when it is absent.
    fn doubles(&mut self, tag: Tag) -> Result<Option<Vec<f64>>> {
        let found = self
            .decoder
            .find_tag(tag)
            .map_err(|e| tiff_error(self.path, e))?;
        let doubles = found.map(|v| v.into_f64_vec()).transpose();
        doubles.map_err(|e| self.error(format!("{tag:?} ({}): {e}", tag.to_u16())))
    }

    /// Checks for one sample per cell of a supported type.
    fn sample_kind(&mut self) -> Result<SampleKind> {
        let samples = self.unsigned(Tag::SamplesPerPixel, 1)?;
        if samples != 1 {
            let m =
                format!("SamplesPerPixel (277) is {samples}: only single-band rasters are read");
            return Err(self.error(m));
        }
        let format = self.unsigned(Tag::SampleFormat, 1)?;
        let bits = self.unsigned(Tag::BitsPerSample, 1)?;
        match (format, bits) {
            (3, 32) => Ok(SampleKind::Float32),
            (1, 8 | 16 | 32) | (2, 8 | 16 | 32) | (3, 64) => Ok(SampleKind::Other),
            _ => Err(self.error(format!(
                "SampleFormat (339) {format} ({}) with BitsPerSample (258) {bits} is not \
                 supported: float32, float64, u8, u16, u32, i8, i16 and i32 are",
                match format {
                    1 => "unsigned integer",
                    2 => "signed integer",
                    3 => "floating point",
                    5 => "complex integer",
                    6 => "complex floating point",
                    _ => "undefined",
                }
            ))),
        }
    }

    /// Checks that the compression is one the reader decodes.
    fn check_compression(&mut self) -> Result<()> {
        let code = self.unsigned(Tag::Compression, 1)?;
        if COMPRESSIONS.iter().any(|&(c, _)| c == code) {
            return Ok(());
        }
        let name = match code {
            2..=4 => "CCITT fax",
            6 | 7 => "JPEG",
            34887 => "LERC",
            34925 => "LZMA",
            50000 => "ZSTD",
            50001 => "WebP",
            _ => "unknown",
        };
        let supported: Vec<String> = COMPRESSIONS
            .iter()
            .map(|(c, n)| format!("{n} ({c})"))
            .collect();
        Err(self.error(format!(
            "Compression (259) {code} ({name}) is not supported; supported: {}",
            supported.join(", ")
        )))
    }

    /// The nodata value of the GDAL_NODATA tag (42113), if any.
    fn nodata(&mut self) -> Result<Option<f64>> {
        let found = self.decoder.find_tag(Tag::GdalNodata);
        let Some(value) = found.map_err(|e| tiff_error(self.path, e))? else {
            return Ok(None);
        };
        let text = value.into_string().map_err(|e| tiff_error(self.path, e))?;
        let text = text.trim_matches(|c: char| c == '\0' || c.is_whitespace());
        let parsed = text.parse::<f64>();
        let m = || format!("GDAL_NODATA (42113) {text:?} is not a number");
        parsed.map(Some).map_err(|_| self.error(m()))
    }
}

/// The cell range of a raster `width` × `height` placed at `place` that covers `bounds`, or
/// a message saying that it does not overlap.
fn window_cells(
    place: &Placement,
    bounds: Rect<f64>,
    width: usize,
    height: usize,
) -> std::result::Result<(Range<usize>, Range<usize>), String> {
    let (min, max) = projected_box(place.crs, bounds);
    let grow = if place.crs == RasterCrs::Mollweide {
        1.0
    } else {
        0.0
    };
    let col0 = ((min.0 - place.left) / place.cell_w).floor() - grow;
    let col1 = ((max.0 - place.left) / place.cell_w).ceil() + grow;
    let row0 = ((place.top - max.1) / place.cell_h).floor() - grow;
    let row1 = ((place.top - min.1) / place.cell_h).ceil() + grow;
    let clamp = |v: f64, n: usize| v.clamp(0.0, n as f64) as usize;
    let cols = clamp(col0, width)..clamp(col1.max(col0 + 1.0), width);
    let rows = clamp(row0, height)..clamp(row1.max(row0 + 1.0), height);
    if cols.is_empty() || rows.is_empty() {
        let (lo, hi) = (bounds.min(), bounds.max());
        let mut area = RasterCrs::Wgs84.describe((lo.x, lo.y), (hi.x, hi.y));
        if place.crs == RasterCrs::Mollweide {
            area += &format!("; {}", place.crs.describe(min, max));
        }
        let raster = place.extent(0..width, 0..height);
        return Err(format!(
            "the area ({area}) does not overlap the raster ({raster})"
        ));
    }
    Ok((cols, rows))
}

/// Points sampled along each edge of the area when projecting it.
const EDGE_SAMPLES: usize = 32;

/// The box in `crs` around `bounds`: corners and points along the edges projected.
fn projected_box(crs: RasterCrs, bounds: Rect<f64>) -> ((f64, f64), (f64, f64)) {
    let (lo, hi) = (bounds.min(), bounds.max());
    let mut min = (f64::INFINITY, f64::INFINITY);
    let mut max = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    for i in 0..=EDGE_SAMPLES {
        let t = i as f64 / EDGE_SAMPLES as f64;
        let (lon, lat) = (lo.x + t * (hi.x - lo.x), lo.y + t * (hi.y - lo.y));
        for (x, y) in [(lon, lo.y), (lon, hi.y), (lo.x, lat), (hi.x, lat)] {
            let (px, py) = crs.project(x, y);
            min = (min.0.min(px), min.1.min(py));
            max = (max.0.max(px), max.1.max(py));
        }
    }
    (min, max)
}

/// Decodes the chunks over `cols` × `rows` of a raster `size` (width, height) and returns
/// those cells row by row, nodata and NaN as NaN.
fn read_cells(
    decoder: &mut Decoder<BufReader<File>>,
    path: &Path,
    size: (u32, u32),
    (cols, rows): (&Range<usize>, &Range<usize>),
    nodata: Option<f64>,
    ends: &ChunkEnds,
) -> Result<Vec<f64>> {
    let (width, height) = (size.0 as usize, size.1 as usize);
    let (chunk_w, chunk_h) = decoder.chunk_dimensions();
    let (chunk_w, chunk_h) = (chunk_w as usize, (chunk_h as usize).min(height));
    if chunk_w == 0 || chunk_h == 0 {
        return Err(Error::data(path, "TIFF chunks (strips or tiles) of size 0"));
    }
    let across = width.div_ceil(chunk_w);
    let mut values = vec![f64::NAN; cols.len() * rows.len()];
    let mut out = Out {
        values: &mut values,
        cols,
        rows,
        nodata,
    };
    for cy in rows.start / chunk_h..rows.end.div_ceil(chunk_h) {
        for cx in cols.start / chunk_w..cols.end.div_ceil(chunk_w) {
            let index = cy * across + cx;
            ends.check(index).map_err(|m| Error::data(path, m))?;
            let chunk = decoder.read_chunk(index as u32);
            let chunk = chunk.map_err(|e| Error::data(path, ends.decode_error(index, &e)))?;
            let data_w = chunk_w.min(width - cx * chunk_w);
            let data_h = chunk_h.min(height - cy * chunk_h);
            let origin = (cx * chunk_w, cy * chunk_h, data_w, data_h);
            if !out.copy(chunk, origin) {
                let m = format!(
                    "{} {index} does not hold {data_w} × {data_h} cells",
                    ends.kind
                );
                return Err(Error::data(path, m));
            }
        }
    }
    Ok(values)
}

/// Where each chunk's bytes end in the file, to refuse a truncated file before decoding.
struct ChunkEnds {
    /// "tile" or "strip", for messages.
    kind: &'static str,
    ends: Vec<Option<u64>>,
    file_len: u64,
}

impl ChunkEnds {
    /// Ok when chunk `index` lies inside the file, else a message saying so.
    fn check(&self, index: usize) -> std::result::Result<(), String> {
        match self.ends.get(index).copied().flatten() {
            Some(end) if end <= self.file_len => Ok(()),
            Some(end) => Err(format!(
                "{} {index} ends at byte {end} but the file has {} bytes: it is truncated",
                self.kind, self.file_len
            )),
            None => Err(format!(
                "{} {index} is missing from the TIFF's chunk tables",
                self.kind
            )),
        }
    }

    /// The message for an error decoding chunk `index`.
    fn decode_error(&self, index: usize, e: &TiffError) -> String {
        let hint = match e {
            TiffError::IoError(_) | TiffError::FormatError(_) => " (is the file truncated?)",
            _ => "",
        };
        format!("{} {index}: {e}{hint}", self.kind)
    }
}

/// Reads the offset and byte-count tables of the strips or tiles of a file of `file_len` bytes.
fn chunk_ends(
    decoder: &mut Decoder<BufReader<File>>,
    path: &Path,
    file_len: u64,
) -> Result<ChunkEnds> {
    let (kind, offsets, counts) = match decoder.get_chunk_type() {
        ChunkType::Tile => ("tile", Tag::TileOffsets, Tag::TileByteCounts),
        ChunkType::Strip => ("strip", Tag::StripOffsets, Tag::StripByteCounts),
    };
    let mut table = |tag: Tag| {
        let values = decoder.find_tag_unsigned_vec::<u64>(tag);
        let values = values.map_err(|e| tiff_error(path, e))?;
        values.ok_or_else(|| Error::data(path, format!("no {tag:?} ({})", tag.to_u16())))
    };
    let (offsets, counts) = (table(offsets)?, table(counts)?);
    let ends = offsets
        .iter()
        .zip(&counts)
        .map(|(&o, &c)| o.checked_add(c))
        .collect();
    Ok(ChunkEnds {
        kind,
        ends,
        file_len,
    })
}

/// Where decoded chunks go: the window's cells.
struct Out<'a> {
    values: &'a mut [f64],
    cols: &'a Range<usize>,
    rows: &'a Range<usize>,
    nodata: Option<f64>,
}

impl Out<'_> {
    /// Copies the window's cells of a decoded chunk; `origin` is (column, row) of its first
    /// cell in the raster and its width and height in cells. False when the chunk holds
    /// another number of cells.
    fn copy(&mut self, chunk: DecodingResult, origin: (usize, usize, usize, usize)) -> bool {
        match chunk {
            DecodingResult::U8(v) => self.copy_as(&v, origin, f64::from),
            DecodingResult::U16(v) => self.copy_as(&v, origin, f64::from),
            DecodingResult::U32(v) => self.copy_as(&v, origin, f64::from),
            DecodingResult::I8(v) => self.copy_as(&v, origin, f64::from),
            DecodingResult::I16(v) => self.copy_as(&v, origin, f64::from),
            DecodingResult::I32(v) => self.copy_as(&v, origin, f64::from),
            DecodingResult::F32(v) => self.copy_as(&v, origin, f64::from),
            DecodingResult::F64(v) => self.copy_as(&v, origin, |x| x),
            _ => false, // excluded by `Tags::sample_kind`
        }
    }

    /// [`Out::copy`] for samples of type `T`, turned into `f64` by `to_f64`.
    fn copy_as<T: Copy>(
        &mut self,
        chunk: &[T],
        (col, row, w, h): (usize, usize, usize, usize),
        to_f64: impl Fn(T) -> f64,
    ) -> bool {
        if chunk.len() != w * h {
            return false;
        }
        let (c0, c1) = (self.cols.start.max(col), self.cols.end.min(col + w));
        let (r0, r1) = (self.rows.start.max(row), self.rows.end.min(row + h));
        let window_w = self.cols.len();
        for r in r0..r1 {
            let src = &chunk[(r - row) * w..][c0 - col..c1 - col];
            let at = (r - self.rows.start) * window_w + (c0 - self.cols.start);
            for (dst, &s) in self.values[at..at + src.len()].iter_mut().zip(src) {
                let v = to_f64(s);
                *dst = if Some(v) == self.nodata { f64::NAN } else { v };
            }
        }
        true
    }
}

/// The GeoKeys of a file (GeoKeyDirectoryTag 34735 with its double and ASCII parameters).
#[derive(Debug, Default)]
struct GeoKeys(BTreeMap<u16, GeoValue>);

/// The value of one GeoKey.
#[derive(Debug, Clone, PartialEq)]
enum GeoValue {
    Short(u16),
    Doubles(Vec<f64>),
    Ascii(String),
}

impl GeoKeys {
    fn short(&self, key: u16) -> Option<u16> {
        match self.0.get(&key) {
            Some(GeoValue::Short(v)) => Some(*v),
            _ => None,
        }
    }

    fn double(&self, key: u16) -> Option<f64> {
        match self.0.get(&key) {
            Some(GeoValue::Doubles(v)) => v.first().copied(),
            _ => None,
        }
    }

    fn ascii(&self, key: u16) -> Option<&str> {
        match self.0.get(&key) {
            Some(GeoValue::Ascii(v)) => Some(v),
            _ => None,
        }
    }
}

/// GeoKey ids the reader looks at.
mod key {
    pub const MODEL_TYPE: u16 = 1024;
    pub const RASTER_TYPE: u16 = 1025;
    pub const CITATION: u16 = 1026;
    pub const GEOGRAPHIC_TYPE: u16 = 2048;
    pub const PROJECTED_CS_TYPE: u16 = 3072;
    pub const PCS_CITATION: u16 = 3073;
    pub const PROJ_COORD_TRANS: u16 = 3075;
    /// Central meridian, false easting and northing, centre longitude: 0 for World Mollweide.
    pub const ORIGIN_PARAMETERS: [(u16, &str); 4] = [
        (3080, "ProjNatOriginLongGeoKey"),
        (3082, "ProjFalseEastingGeoKey"),
        (3083, "ProjFalseNorthingGeoKey"),
        (3088, "ProjCenterLongGeoKey"),
    ];
}

/// User-defined, in GeoKey values.
const USER_DEFINED: u16 = 32767;

impl Tags<'_> {
    /// The grid's CRS and north-up placement, its corner moved for PixelIsPoint.
    fn placement(&mut self) -> Result<Placement> {
        let keys = self.geo_keys()?;
        let crs = self.crs(&keys)?;
        let (left, top, cell_w, cell_h) = self.affine()?;
        let half = match keys.short(key::RASTER_TYPE) {
            None | Some(1) => 0.0,
            Some(2) => 0.5, // PixelIsPoint: the tiepoint is the first cell's centre
            Some(v) => {
                let m = format!(
                    "GTRasterTypeGeoKey (1025) is {v}: neither PixelIsArea nor PixelIsPoint"
                );
                return Err(self.error(m));
            }
        };
        let (left, top) = (left - half * cell_w, top + half * cell_h);
        Ok(Placement {
            crs,
            left,
            top,
            cell_w,
            cell_h,
        })
    }

    /// Reads the GeoKey directory and the parameters it points to.
    fn geo_keys(&mut self) -> Result<GeoKeys> {
        let dir = self
            .decoder
            .find_tag_unsigned_vec::<u16>(Tag::GeoKeyDirectoryTag);
        let Some(dir) = dir.map_err(|e| tiff_error(self.path, e))? else {
            return Err(self.error("no GeoKeyDirectoryTag (34735): not a GeoTIFF"));
        };
        let doubles = self.doubles(Tag::GeoDoubleParamsTag)?.unwrap_or_default();
        let ascii = match self.decoder.find_tag(Tag::GeoAsciiParamsTag) {
            Ok(Some(v)) => v.into_string().map_err(|e| tiff_error(self.path, e))?,
            Ok(None) => String::new(),
            Err(e) => return Err(tiff_error(self.path, e)),
        };
        parse_geo_keys(&dir, &doubles, &ascii).map_err(|m| self.error(m))
    }

    /// The CRS the GeoKeys describe, if the reader takes it.
    fn crs(&self, keys: &GeoKeys) -> Result<RasterCrs> {
        match keys.short(key::MODEL_TYPE) {
            Some(2) => match keys.short(key::GEOGRAPHIC_TYPE) {
                Some(4326) => Ok(RasterCrs::Wgs84),
                other => Err(self.error(format!(
                    "GeographicTypeGeoKey (2048) is {}: only 4326 (WGS84) is supported",
                    shown(other)
                ))),
            },
            // GDAL writes user-defined (32767) for ESRI:54009.
            Some(1 | USER_DEFINED) => mollweide_crs(keys).map_err(|m| self.error(m)),
            other => Err(self.error(format!(
                "GTModelTypeGeoKey (1024) is {}: only geographic (2, EPSG:4326) and projected \
                 or user-defined (1, 32767: World Mollweide ESRI:54009) rasters are supported",
                shown(other)
            ))),
        }
    }

    /// The top-left corner and cell size (left, top, width, height) of a north-up grid.
    fn affine(&mut self) -> Result<(f64, f64, f64, f64)> {
        if let Some(m) = self.doubles(Tag::ModelTransformationTag)? {
            let [a, b, _, d, e, f, _, h, ..] = m[..] else {
                return Err(self.error(format!(
                    "ModelTransformationTag (34264) has {} values, not 16",
                    m.len()
                )));
            };
            if b != 0.0 || e != 0.0 || !(a > 0.0 && f < 0.0) {
                return Err(self.error(format!(
                    "ModelTransformationTag (34264) is rotated or not north-up (x = {a}·col + \
                     {b}·row, y = {e}·col + {f}·row): only north-up grids are supported"
                )));
            }
            return Ok((d, h, a, -f));
        }
        let scale = self.doubles(Tag::ModelPixelScaleTag)?;
        let tie = self.doubles(Tag::ModelTiepointTag)?;
        let (Some(scale), Some(tie)) = (scale, tie) else {
            return Err(self.error(
                "neither ModelTransformationTag (34264) nor ModelPixelScaleTag (33550) with \
                 ModelTiepointTag (33922): the raster is not georeferenced",
            ));
        };
        let (&[sx, sy, ..], &[i, j, _, x, y, _]) = (&scale[..], &tie[..]) else {
            return Err(self.error(format!(
                "ModelTiepointTag (33922) holds {} values and ModelPixelScaleTag (33550) {}: \
                 one tiepoint (6) and a scale (3) are supported",
                tie.len(),
                scale.len()
            )));
        };
        if !(sx > 0.0 && sy > 0.0) {
            let m = format!(
                "ModelPixelScaleTag (33550) is ({sx}, {sy}): only north-up grids are supported"
            );
            return Err(self.error(m));
        }
        Ok((x - i * sx, y + j * sy, sx, sy))
    }
}

/// `Some(v)` as `v`, `None` as "absent".
fn shown(v: Option<u16>) -> String {
    v.map_or_else(|| "absent".to_string(), |v| v.to_string())
}

/// Parses a GeoKeyDirectoryTag: a header (version, revision, minor, count) and per key
/// (id, location, count, value or offset into the double or ASCII parameters).
fn parse_geo_keys(
    dir: &[u16],
    doubles: &[f64],
    ascii: &str,
) -> std::result::Result<GeoKeys, String> {
    let count = *dir
        .get(3)
        .ok_or("GeoKeyDirectoryTag (34735) has no header")? as usize;
    let mut keys = GeoKeys::default();
    for entry in dir[4..].chunks_exact(4).take(count) {
        let (id, location) = (entry[0], entry[1]);
        let (n, offset) = (entry[2] as usize, entry[3] as usize);
        let value = match location {
            0 => Some(GeoValue::Short(offset as u16)),
            34736 => doubles
                .get(offset..offset + n)
                .map(|v| GeoValue::Doubles(v.to_vec())),
            34737 => ascii
                .get(offset..offset + n)
                .map(|v| GeoValue::Ascii(v.trim_end_matches(['|', '\0']).to_string())),
            34735 => dir.get(offset).map(|&v| GeoValue::Short(v)),
            _ => None,
        };
        let value = value.ok_or_else(|| {
            format!(
                "GeoKeyDirectoryTag (34735): key {id} points past its parameters \
                 (tag {location}, {n} at {offset})"
            )
        })?;
        keys.0.insert(id, value);
    }
    Ok(keys)
}

/// World Mollweide if a projected CRS's GeoKeys describe it: ProjectedCSTypeGeoKey 54009, or
/// user-defined with a citation naming Mollweide, no other projection, origin at 0.
fn mollweide_crs(keys: &GeoKeys) -> std::result::Result<RasterCrs, String> {
    let pcs = keys.short(key::PROJECTED_CS_TYPE);
    if pcs == Some(54009) {
        return Ok(RasterCrs::Mollweide);
    }
    let citations = [key::CITATION, key::PCS_CITATION].map(|k| keys.ascii(k).unwrap_or(""));
    let named = citations
        .iter()
        .any(|c| c.to_ascii_lowercase().contains("mollweide"));
    let transform = keys.short(key::PROJ_COORD_TRANS);
    if !(pcs.is_none_or(|v| v == USER_DEFINED)
        && named
        && transform.is_none_or(|v| v == USER_DEFINED))
    {
        return Err(format!(
            "ProjectedCSTypeGeoKey (3072) is {} (citation {:?}): of projected CRSs only World \
             Mollweide (ESRI:54009) is supported",
            shown(pcs),
            citations.join(" | ")
        ));
    }
    for (id, name) in key::ORIGIN_PARAMETERS {
        if let Some(v) = keys.double(id).filter(|&v| v != 0.0) {
            return Err(format!("{name} ({id}) is {v}: World Mollweide has 0"));
        }
    }
    for name in ["Central_Meridian", "False_Easting", "False_Northing"] {
        if let Some(v) = citations
            .iter()
            .find_map(|c| pe_parameter(c, name))
            .filter(|&v| v != 0.0)
        {
            return Err(format!(
                "PCSCitationGeoKey (3073): {name} is {v}: World Mollweide has 0"
            ));
        }
    }
    Ok(RasterCrs::Mollweide)
}

/// The value of `PARAMETER["name",value]` in an ESRI PE string citation.
fn pe_parameter(citation: &str, name: &str) -> Option<f64> {
    let at = citation.find(&format!("PARAMETER[\"{name}\","))? + name.len() + 13;
    let rest = &citation[at..];
    rest[..rest.find(']')?].trim().parse().ok()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use geo::coord;
    use tiff::encoder::{TiffEncoder, colortype};

    /// GeoKeys of a WGS84 raster: version header, model geographic, raster type, EPSG:4326.
    pub(crate) fn wgs84_keys(raster_type: u16) -> Vec<u16> {
        vec![
            1,
            1,
            0,
            3,
            1024,
            0,
            1,
            2,
            1025,
            0,
            1,
            raster_type,
            2048,
            0,
            1,
            4326,
        ]
    }

    /// How a hand-made raster is georeferenced: (tag, doubles) pairs and GeoKeys.
    pub(crate) struct Georef {
        pub(crate) doubles: Vec<(Tag, Vec<f64>)>,
        pub(crate) keys: Vec<u16>,
        pub(crate) ascii: Option<String>,
    }

    /// The 4 × 3 test grid: 0.25° cells from 9° E, 48° N (edges exact in binary).
    fn area_georef() -> Georef {
        Georef {
            doubles: vec![
                (Tag::ModelPixelScaleTag, vec![0.25, 0.25, 0.0]),
                (Tag::ModelTiepointTag, vec![0.0, 0.0, 0.0, 9.0, 48.0, 0.0]),
            ],
            keys: wgs84_keys(1),
            ascii: None,
        }
    }

    /// Cell k holds 1.5·k, but cell 5 is nodata (−99999) and cell 6 NaN.
    fn grid_values() -> Vec<f32> {
        let mut v: Vec<f32> = (0..12).map(|k| k as f32 * 1.5).collect();
        v[5] = -99999.0;
        v[6] = f32::NAN;
        v
    }

    /// Writes a single-band raster of type `C` with `georef` and nodata −99999, one row a strip.
    pub(crate) fn write<C: colortype::ColorType>(
        dir: &tempfile::TempDir,
        (w, h): (u32, u32),
        data: &[C::Inner],
        georef: &Georef,
    ) -> std::path::PathBuf
    where
        [C::Inner]: tiff::encoder::TiffValue,
    {
        let path = dir.path().join("grid.tif");
        let mut encoder = TiffEncoder::new(File::create(&path).unwrap()).unwrap();
        let mut image = encoder.new_image::<C>(w, h).unwrap();
        image.rows_per_strip(1).unwrap();
        let tags = image.encoder();
        for (tag, doubles) in &georef.doubles {
            tags.write_tag(*tag, &doubles[..]).unwrap();
        }
        tags.write_tag(Tag::GeoKeyDirectoryTag, &georef.keys[..])
            .unwrap();
        if let Some(ascii) = &georef.ascii {
            tags.write_tag(Tag::GeoAsciiParamsTag, ascii.as_str())
                .unwrap();
        }
        tags.write_tag(Tag::GdalNodata, "-99999").unwrap();
        image.write_data(data).unwrap();
        path
    }

    fn grid(georef: &Georef) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = write::<colortype::Gray32Float>(&dir, (4, 3), &grid_values(), georef);
        (dir, path)
    }

    fn rect(lon0: f64, lat0: f64, lon1: f64, lat1: f64) -> Rect<f64> {
        Rect::new(coord! { x: lon0, y: lat0 }, coord! { x: lon1, y: lat1 })
    }

    fn data_message(result: Result<RasterWindow>) -> String {
        match result {
            Err(Error::Data { message, .. }) => message,
            other => panic!("expected a data error, got {other:?}"),
        }
    }

    /// The whole grid read back: values, nodata, cells of points, centres.
    fn check_whole_grid(georef: &Georef) {
        let (_dir, path) = grid(georef);
        let w = read_window(&path, rect(8.0, 46.0, 11.0, 49.0)).unwrap();
        assert_eq!((w.crs(), w.size(), w.len()), (RasterCrs::Wgs84, (4, 3), 12));
        assert_eq!(w.cell_size(), (0.25, 0.25));
        assert_eq!(
            (w.value(0), w.value(7), w.value(11)),
            (Some(0.0), Some(10.5), Some(16.5))
        );
        assert_eq!((w.value(5), w.value(6)), (None, None), "nodata and NaN");
        assert_eq!(w.cell_at(9.1, 47.9), Some(0));
        assert_eq!(w.cell_at(9.9, 47.3), Some(11));
        assert_eq!(w.cell_at(9.6, 47.6), Some(6));
        // Edges: a cell holds its west and north edges.
        assert_eq!(w.cell_at(9.0, 48.0), Some(0));
        assert_eq!(w.cell_at(9.25, 47.75), Some(5));
        assert_eq!(w.cell_at(10.0, 47.5), None, "east edge of the grid");
        assert_eq!(w.cell_at(9.5, 47.25), None, "south edge of the grid");
        assert_eq!(w.cell_at(8.99, 47.5), None);
        assert_eq!(w.centre_lon_lat(0), (9.125, 47.875));
        assert_eq!(w.centre_lon_lat(11), (9.875, 47.375));
    }

    #[test]
    fn pixel_is_area_grid_reads_back() {
        check_whole_grid(&area_georef());
    }

    #[test]
    fn pixel_is_point_tiepoint_is_the_first_cell_centre() {
        let georef = Georef {
            doubles: vec![
                (Tag::ModelPixelScaleTag, vec![0.25, 0.25, 0.0]),
                (
                    Tag::ModelTiepointTag,
                    vec![0.0, 0.0, 0.0, 9.125, 47.875, 0.0],
                ),
            ],
            keys: wgs84_keys(2),
            ascii: None,
        };
        check_whole_grid(&georef);
    }

    #[test]
    fn model_transformation_grid_reads_back() {
        let mut m = vec![0.0; 16];
        (m[0], m[3], m[5], m[7], m[15]) = (0.25, 9.0, -0.25, 48.0, 1.0);
        let georef = Georef {
            doubles: vec![(Tag::ModelTransformationTag, m.clone())],
            ..area_georef()
        };
        check_whole_grid(&georef);
        m[1] = 0.01;
        let georef = Georef {
            doubles: vec![(Tag::ModelTransformationTag, m)],
            ..area_georef()
        };
        let (_dir, path) = grid(&georef);
        let message = data_message(read_window(&path, rect(9.0, 47.0, 10.0, 48.0)));
        assert!(
            message.contains("ModelTransformationTag (34264)"),
            "{message}"
        );
    }

    #[test]
    fn window_holds_only_the_cells_over_the_area() {
        let (_dir, path) = grid(&area_georef());
        // Columns 1–2 (9.25–9.75° E) and rows 1–2 (47.75–47.25° N): cells 5, 6, 9, 10.
        let w = read_window(&path, rect(9.3, 47.3, 9.6, 47.6)).unwrap();
        assert_eq!(w.size(), (2, 2));
        let values: Vec<_> = (0..w.len()).map(|c| w.value(c)).collect();
        assert_eq!(values, [None, None, Some(13.5), Some(15.0)]);
        assert_eq!(w.cell_at(9.6, 47.4), Some(3));
        assert_eq!(
            w.cell_at(9.1, 47.4),
            None,
            "in the raster, not in the window"
        );
        assert_eq!(w.centre_lon_lat(0), (9.375, 47.625));
        // A point area gets the one cell holding it.
        let w = read_window(&path, rect(9.6, 47.4, 9.6, 47.4)).unwrap();
        assert_eq!((w.size(), w.value(0)), ((1, 1), Some(15.0)));
    }

    #[test]
    fn no_overlap_names_both_extents() {
        let (_dir, path) = grid(&area_georef());
        let message = data_message(read_window(&path, rect(20.0, 47.0, 21.0, 48.0)));
        assert!(message.contains("does not overlap"), "{message}");
        assert!(message.contains("lon 20° … 21°"), "{message}");
        assert!(
            message.contains("raster (lon 9° … 10°, lat 47.25° … 48°)"),
            "{message}"
        );
    }

    #[test]
    fn every_truncation_is_a_data_error_not_a_panic() {
        let (dir, path) = grid(&area_georef());
        let bytes = std::fs::read(&path).unwrap();
        let cut = dir.path().join("cut.tif");
        for len in 0..bytes.len() {
            std::fs::write(&cut, &bytes[..len]).unwrap();
            let result = read_window(&cut, rect(8.0, 46.0, 11.0, 49.0));
            assert!(
                matches!(result, Err(Error::Data { .. })),
                "{len} bytes: {result:?}"
            );
        }
    }

    #[test]
    fn integer_samples_read_as_f64_with_nodata() {
        let dir = tempfile::tempdir().unwrap();
        let data: Vec<i32> = vec![1, -99999, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
        let path = write::<colortype::GrayI32>(&dir, (4, 3), &data, &area_georef());
        let w = read_window(&path, rect(8.0, 46.0, 11.0, 49.0)).unwrap();
        assert_eq!(
            (w.value(0), w.value(1), w.value(11)),
            (Some(1.0), None, Some(12.0))
        );
        let data: Vec<u16> = (0..12).collect();
        let path = write::<colortype::Gray16>(&dir, (4, 3), &data, &area_georef());
        let w = read_window(&path, rect(9.3, 47.3, 9.6, 47.6)).unwrap();
        assert_eq!((w.value(0), w.value(3)), (Some(5.0), Some(10.0)));
    }

    #[test]
    fn unsupported_rasters_name_the_tag_or_key() {
        let dir = tempfile::tempdir().unwrap();
        let whole = rect(8.0, 46.0, 11.0, 49.0);
        let path = write::<colortype::RGB8>(&dir, (4, 3), &[0; 36], &area_georef());
        let message = data_message(read_window(&path, whole));
        assert!(message.contains("SamplesPerPixel (277) is 3"), "{message}");

        let etrs89 = Georef {
            keys: vec![1, 1, 0, 2, 1024, 0, 1, 2, 2048, 0, 1, 4258],
            ..area_georef()
        };
        let message = data_message(read_window(&grid(&etrs89).1, whole));
        assert!(
            message.contains("GeographicTypeGeoKey (2048) is 4258"),
            "{message}"
        );

        let utm = Georef {
            keys: vec![1, 1, 0, 2, 1024, 0, 1, 1, 3072, 0, 1, 32632],
            ..area_georef()
        };
        let message = data_message(read_window(&grid(&utm).1, whole));
        assert!(
            message.contains("ProjectedCSTypeGeoKey (3072) is 32632"),
            "{message}"
        );

        let no_keys = Georef {
            keys: vec![1, 1, 0, 0],
            ..area_georef()
        };
        let message = data_message(read_window(&grid(&no_keys).1, whole));
        assert!(
            message.contains("GTModelTypeGeoKey (1024) is absent"),
            "{message}"
        );
    }

    /// GeoKeys as GDAL 3.6 writes them for ESRI:54009 (citations only, no projection keys),
    /// with `central_meridian` in the PE string.
    fn gdal_mollweide_keys(central_meridian: &str) -> Georef {
        let pe = format!(
            "ESRI PE String = PROJCS[\"World_Mollweide\",GEOGCS[\"GCS_WGS_1984\"],\
             PROJECTION[\"Mollweide\"],PARAMETER[\"False_Easting\",0.0],\
             PARAMETER[\"False_Northing\",0.0],PARAMETER[\"Central_Meridian\",{central_meridian}],\
             UNIT[\"Meter\",1.0]]|"
        );
        let ascii = format!("World_Mollweide|{pe}");
        let (n, pe_len) = (16, pe.len() as u16);
        Georef {
            doubles: vec![
                (Tag::ModelPixelScaleTag, vec![100.0, 100.0, 0.0]),
                (
                    Tag::ModelTiepointTag,
                    vec![0.0, 0.0, 0.0, 740_000.0, 5_580_000.0, 0.0],
                ),
            ],
            keys: vec![
                1, 1, 0, 5, 1024, 0, 1, 32767, 1025, 0, 1, 1, 1026, 34737, n, 0, 3072, 0, 1, 32767,
                3073, 34737, pe_len, n,
            ],
            ascii: Some(ascii),
        }
    }

    #[test]
    fn gdal_style_mollweide_grid_reads_back() {
        let (_dir, path) = grid(&gdal_mollweide_keys("0.0"));
        // Around the grid's middle; the window is the projected box grown by one cell.
        let (lon, lat) = mollweide::inverse(740_150.0, 5_579_950.0).unwrap();
        let w = read_window(&path, rect(lon, lat, lon, lat)).unwrap();
        assert_eq!(
            (w.crs(), w.size(), w.cell_size()),
            (RasterCrs::Mollweide, (3, 2), (100.0, 100.0))
        );
        let cell = w.cell_at(lon, lat).unwrap();
        assert_eq!(w.value(cell), Some(1.5), "cell (1, 0) of the raster");
        let (clon, clat) = w.centre_lon_lat(cell);
        assert!((clon - lon).abs() < 1e-9 && (clat - lat).abs() < 1e-9);
        let whole = read_window(&path, rect(9.0, 46.0, 11.0, 49.0)).unwrap();
        assert_eq!((whole.size(), whole.value(11)), ((4, 3), Some(16.5)));

        let (_dir, path) = grid(&gdal_mollweide_keys("10.0"));
        let message = data_message(read_window(&path, rect(9.0, 46.0, 11.0, 49.0)));
        assert!(message.contains("Central_Meridian is 10"), "{message}");
    }
}
