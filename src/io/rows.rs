//! Typed CSV rows: one `#[derive(Serialize, Deserialize)]` struct per CSV schema, written and
//! read with `csv`. The header is the struct's field names (derived, never a second list).
//! Rows are turned into records by a small serializer ([`record`]) that prints every float
//! with [`fmt_num`] (shortest round-trip decimal, scientific outside [1e-5, 1e15)), so a value
//! read back is the value written, bit for bit; `None` is an empty field. Reading back uses
//! csv's deserializer (columns by name, empty fields as `None`).

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{EngramError, Result};
use crate::stats::fmt_num;

/// `f64` columns in csv's own float format (`1.0`), for the one table that has always been
/// written that way (the phase diagram's theory.csv).
pub mod csv_float {
    use serde::Serializer;

    /// Print as csv's serializer prints an f64 (ryu's shortest representation); NaN, a value
    /// that does not exist, prints as an empty field (README, output conventions).
    pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        if x.is_nan() {
            return s.serialize_str("");
        }
        s.serialize_str(ryu::Buffer::new().format(*x))
    }
}

/// `Option<f64>` columns printed empty where the value is absent (the `dam crossing` table's
/// N without a crossing; a status column says why); `nan` is still read as absent.
pub mod nan_num {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Empty for `None`.
    pub fn serialize<S: Serializer>(x: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match x {
            Some(v) => s.serialize_str(&super::fmt_num(*v)),
            None => s.serialize_str(""),
        }
    }
    /// `nan` (or empty) reads as `None`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        if s.is_empty() || s == "nan" {
            return Ok(None);
        }
        s.parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("'{s}' is not a number")))
    }
}

/// The column names of a row type, in order: its field names, read from its `Deserialize`
/// impl (serde-aux's introspection), so that a table with no rows still gets its header.
pub fn header<R: DeserializeOwned>() -> &'static [&'static str] {
    serde_aux::serde_introspection::serde_introspect::<R>()
}

fn csv_err(what: &str) -> impl Fn(csv::Error) -> EngramError + '_ {
    move |e| EngramError::Io(format!("{what}: {e}"))
}

/// The fields of one row as strings: floats by [`fmt_num`], integers and booleans as Rust
/// prints them, `None` and `()` empty, unit enum variants by name. Rows are flat structs of
/// such fields; anything nested is an error.
pub fn record<R: Serialize>(row: &R) -> Result<Vec<String>> {
    Ok(super::columns::fields(row)?
        .into_iter()
        .map(super::columns::Value::into_text)
        .collect())
}

type SerErr = serde::de::value::Error;

/// The mirror of [`record`]: one CSV field read into a row's field. Floats read an empty
/// field (and `nan`) as NaN, so a float that the writer printed empty reads back; `Option`
/// reads an empty field as `None`; unit enum variants by name.
struct FieldDe<'a>(&'a str);

impl FieldDe<'_> {
    fn parse<T: std::str::FromStr>(&self, what: &str) -> std::result::Result<T, SerErr> {
        self.0
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("'{}' is not {what}", self.0)))
    }
    fn float(&self) -> std::result::Result<f64, SerErr> {
        if self.0.trim().is_empty() {
            Ok(f64::NAN)
        } else {
            self.parse("a number")
        }
    }
}

impl<'de> serde::de::IntoDeserializer<'de, SerErr> for FieldDe<'_> {
    type Deserializer = Self;
    fn into_deserializer(self) -> Self {
        self
    }
}

macro_rules! parse_fields {
    ($($method:ident => $visit:ident($ty:ty, $what:literal)),* $(,)?) => {$(
        fn $method<V: serde::de::Visitor<'de>>(self, v: V) -> std::result::Result<V::Value, SerErr> {
            v.$visit(self.parse::<$ty>($what)?)
        }
    )*};
}

impl<'de> serde::Deserializer<'de> for FieldDe<'_> {
    type Error = SerErr;
    fn deserialize_any<V: serde::de::Visitor<'de>>(
        self,
        v: V,
    ) -> std::result::Result<V::Value, SerErr> {
        v.visit_str(self.0)
    }
    parse_fields!(
        deserialize_bool => visit_bool(bool, "true or false"),
        deserialize_i8 => visit_i8(i8, "a whole number"),
        deserialize_i16 => visit_i16(i16, "a whole number"),
        deserialize_i32 => visit_i32(i32, "a whole number"),
        deserialize_i64 => visit_i64(i64, "a whole number"),
        deserialize_u8 => visit_u8(u8, "a whole number >= 0"),
        deserialize_u16 => visit_u16(u16, "a whole number >= 0"),
        deserialize_u32 => visit_u32(u32, "a whole number >= 0"),
        deserialize_u64 => visit_u64(u64, "a whole number >= 0"),
    );
    fn deserialize_f64<V: serde::de::Visitor<'de>>(
        self,
        v: V,
    ) -> std::result::Result<V::Value, SerErr> {
        v.visit_f64(self.float()?)
    }
    fn deserialize_f32<V: serde::de::Visitor<'de>>(
        self,
        v: V,
    ) -> std::result::Result<V::Value, SerErr> {
        v.visit_f32(self.float()? as f32)
    }
    fn deserialize_option<V: serde::de::Visitor<'de>>(
        self,
        v: V,
    ) -> std::result::Result<V::Value, SerErr> {
        if self.0.is_empty() {
            v.visit_none()
        } else {
            v.visit_some(self)
        }
    }
    fn deserialize_unit<V: serde::de::Visitor<'de>>(
        self,
        v: V,
    ) -> std::result::Result<V::Value, SerErr> {
        v.visit_unit()
    }
    fn deserialize_newtype_struct<V: serde::de::Visitor<'de>>(
        self,
        _: &'static str,
        v: V,
    ) -> std::result::Result<V::Value, SerErr> {
        v.visit_newtype_struct(self)
    }
    fn deserialize_enum<V: serde::de::Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        v: V,
    ) -> std::result::Result<V::Value, SerErr> {
        use serde::de::IntoDeserializer;
        v.visit_enum(IntoDeserializer::<SerErr>::into_deserializer(self.0))
    }
    fn deserialize_ignored_any<V: serde::de::Visitor<'de>>(
        self,
        v: V,
    ) -> std::result::Result<V::Value, SerErr> {
        v.visit_unit()
    }
    serde::forward_to_deserialize_any! {
        char str string bytes byte_buf unit_struct seq tuple tuple_struct map struct identifier
        i128 u128
    }
}

/// One row from its fields, matched to the columns by name (extra columns are ignored).
fn row_from<R: DeserializeOwned>(
    names: &[&str],
    fields: &csv::StringRecord,
) -> std::result::Result<R, SerErr> {
    if fields.len() != names.len() {
        return Err(serde::de::Error::custom(format!(
            "{} fields where the header has {}",
            fields.len(),
            names.len()
        )));
    }
    let pairs = names.iter().copied().zip(fields.iter().map(FieldDe));
    R::deserialize(serde::de::value::MapDeserializer::new(pairs))
}

/// Every row of a reader, by the column names `names`; errors name `what` and the file line,
/// counting the first record as line `first_line`.
fn rows_of<R: DeserializeOwned, T: std::io::Read>(
    r: &mut csv::Reader<T>,
    names: &[&str],
    what: &str,
    first_line: usize,
) -> Result<Vec<R>> {
    let mut out = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let line = first_line + i;
        let rec = rec.map_err(|e| EngramError::Io(format!("{what}, line {line}: {e}")))?;
        out.push(
            row_from(names, &rec)
                .map_err(|e| EngramError::Io(format!("{what}, line {line}: {e}")))?,
        );
    }
    Ok(out)
}

/// CSV bytes of typed rows: the derived header, then one record per row.
pub fn to_csv<R: Serialize + DeserializeOwned>(rows: &[R]) -> Result<Vec<u8>> {
    to_csv_columns(rows, usize::MAX)
}

/// CSV bytes of the first `k` columns of typed rows (a table whose schema is a prefix of the
/// row type's, e.g. `dam crossing` without `--fss`).
pub fn to_csv_columns<R: Serialize + DeserializeOwned>(rows: &[R], k: usize) -> Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    let h = header::<R>();
    w.write_record(&h[..k.min(h.len())])
        .map_err(csv_err("csv header"))?;
    for r in rows {
        let rec = record(r)?;
        w.write_record(&rec[..k.min(rec.len())])
            .map_err(csv_err("csv row"))?;
    }
    w.into_inner()
        .map_err(|e| EngramError::Io(format!("csv: {e}")))
}

/// CSV records of typed rows without a header (a point file's body).
pub fn records<R: Serialize>(rows: &[R]) -> Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    for r in rows {
        w.write_record(record(r)?).map_err(csv_err("csv row"))?;
    }
    w.into_inner()
        .map_err(|e| EngramError::Io(format!("csv: {e}")))
}

/// Parse header-less records back into typed rows (a point file's body); errors name `what` and
/// the file line, counting the first record as line `first_line`.
pub fn parse_records<R: DeserializeOwned>(
    bytes: &[u8],
    what: &str,
    first_line: usize,
) -> Result<Vec<R>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    rows_of(&mut r, header::<R>(), what, first_line)
}

/// Read a CSV file of typed rows; columns are matched by name (the file may hold more).
pub fn read_csv<R: DeserializeOwned>(path: &Path) -> Result<Vec<R>> {
    let bytes = std::fs::read(path)
        .map_err(|e| EngramError::Io(format!("cannot read {}: {e}", path.display())))?;
    read_with_header(&bytes, &path.display().to_string())
}

/// Parse CSV text (with header) into typed rows, by column name.
pub fn parse_csv<R: DeserializeOwned>(text: &str) -> Result<Vec<R>> {
    read_with_header(text.as_bytes(), "csv")
}

fn read_with_header<R: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<Vec<R>> {
    let mut r = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let names: Vec<String> = r
        .headers()
        .map_err(|e| EngramError::Io(format!("{what}, line 1: {e}")))?
        .iter()
        .map(String::from)
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    rows_of(&mut r, &names, what, 2)
}

/// A row type with no instances: the point type of a study that simulates nothing.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub enum Never {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct R {
        n: usize,
        x: f64,
        y: Option<f64>,
        name: String,
        ok: bool,
    }

    /// The header is the field list; numbers print as fmt_num and read back bit for bit;
    /// an empty table still has its header.
    #[test]
    fn rows_round_trip() {
        assert_eq!(header::<R>(), &["n", "x", "y", "name", "ok"]);
        let rows = vec![
            R {
                n: 3,
                x: 1.0,
                y: None,
                name: "a".into(),
                ok: true,
            },
            R {
                n: 4,
                x: 3.9e-9,
                y: Some(0.1 + 0.2),
                name: "b,c".into(),
                ok: false,
            },
        ];
        let bytes = to_csv(&rows).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(
            text,
            "n,x,y,name,ok\n3,1,,a,true\n4,3.9e-9,0.30000000000000004,\"b,c\",false\n"
        );
        assert_eq!(parse_csv::<R>(&text).unwrap(), rows);
        assert_eq!(to_csv::<R>(&[]).unwrap(), b"n,x,y,name,ok\n");
        let body = records(&rows).unwrap();
        assert_eq!(parse_records::<R>(&body, "t", 1).unwrap(), rows);
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    enum Kind {
        Crossing,
        Extrapolated,
    }

    #[derive(Debug, Serialize, Deserialize)]
    struct M {
        x: f64,
        y: Option<f64>,
        kind: Kind,
    }

    /// One spelling for a missing value: NaN and `None` both print empty; an empty float reads
    /// back as NaN, an empty option as `None`; a bad field names its line and value.
    #[test]
    fn nan_is_an_empty_field_and_reads_back() {
        let rows = vec![
            M {
                x: f64::NAN,
                y: None,
                kind: Kind::Crossing,
            },
            M {
                x: f64::INFINITY,
                y: Some(f64::NAN),
                kind: Kind::Extrapolated,
            },
        ];
        let text = String::from_utf8(to_csv(&rows).unwrap()).unwrap();
        assert_eq!(text, "x,y,kind\n,,Crossing\ninf,,Extrapolated\n");
        let back: Vec<M> = parse_csv(&text).unwrap();
        assert!(back[0].x.is_nan() && back[0].y.is_none() && back[0].kind == Kind::Crossing);
        assert!(back[1].x == f64::INFINITY && back[1].y.is_none());
        // Columns by name, extra columns ignored, legacy spellings still read.
        let back: Vec<M> = parse_csv("kind,extra,y,x\nCrossing,zz,nan,NaN\n").unwrap();
        assert!(back[0].x.is_nan() && back[0].y.unwrap().is_nan());
        let e = parse_csv::<M>("x,y,kind\n1,2,Crossing\nabc,2,Crossing\n").unwrap_err();
        assert!(
            e.to_string().contains("line 3") && e.to_string().contains("'abc'"),
            "{e}"
        );
        let e = parse_csv::<M>("x,y,kind\n1,2,Sideways\n").unwrap_err();
        assert!(e.to_string().contains("Sideways"), "{e}");
        let e = parse_records::<M>(b"1,2\n", "p.csv", 2).unwrap_err();
        assert!(e.to_string().contains("p.csv, line 2"), "{e}");
    }
}
