//! Tables as columns: typed rows turned into one typed vector per field (the Python package's
//! dict of numpy arrays), and the CSV files of a study read back as columns.
//!
//! From rows ([`columns`]), a field's type gives its column: floats (`None` and NaN as NaN),
//! whole numbers, booleans, text; an `Option` of a whole number is a float column. From a CSV
//! file ([`read_columns`]) the text decides: a column whose every field is `true`/`false` is
//! boolean, one whose every field is a number or empty is float (empty: NaN; numbers are
//! parsed back bit for bit, since they were written shortest round-trip), else text.

use std::path::Path;

use serde::ser::{Impossible, SerializeStruct};
use serde::Serialize;

use crate::error::{EngramError, Result};
use crate::stats::fmt_num;

/// One column of a table.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// Numbers (missing: NaN).
    Float(Vec<f64>),
    /// Whole numbers.
    Int(Vec<i64>),
    /// Booleans.
    Bool(Vec<bool>),
    /// Text.
    Text(Vec<String>),
}

impl Column {
    /// Number of entries.
    pub fn len(&self) -> usize {
        match self {
            Column::Float(v) => v.len(),
            Column::Int(v) => v.len(),
            Column::Bool(v) => v.len(),
            Column::Text(v) => v.len(),
        }
    }
    /// Whether the column is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One field value of a row, as its serializer gives it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A float.
    F(f64),
    /// A whole number (u64 beyond i64 as `U`).
    I(i64),
    /// A whole number above i64::MAX.
    U(u64),
    /// A boolean.
    B(bool),
    /// Text (also unit enum variants, by name).
    S(String),
    /// `None` or `()`.
    Missing,
}

impl Value {
    /// The CSV field: floats by [`fmt_num`] (NaN empty, the one spelling of a missing value),
    /// whole numbers and booleans as Rust prints them, `Missing` empty.
    pub fn into_text(self) -> String {
        match self {
            Value::S(s) => s,
            Value::F(x) if x.is_nan() => String::new(),
            Value::F(x) => fmt_num(x),
            Value::I(i) => i.to_string(),
            Value::U(u) => u.to_string(),
            Value::B(b) => b.to_string(),
            Value::Missing => String::new(),
        }
    }
}

/// The fields of one flat row, in order (anything nested is an error).
pub fn fields<R: Serialize>(row: &R) -> Result<Vec<Value>> {
    row.serialize(RowSer(Vec::new()))
        .map_err(|e| EngramError::Io(format!("csv row: {e}")))
}

type SerErr = serde::de::value::Error;

fn flat<T>() -> std::result::Result<T, SerErr> {
    Err(serde::ser::Error::custom(
        "a table row holds flat fields only",
    ))
}

/// The columns of typed rows, named and ordered as the CSV header of the row type.
pub fn columns<R: Serialize + serde::de::DeserializeOwned>(
    rows: &[R],
) -> Result<Vec<(String, Column)>> {
    let names = super::rows::header::<R>();
    let mut values: Vec<Vec<Value>> = vec![Vec::with_capacity(rows.len()); names.len()];
    for row in rows {
        for (col, v) in values.iter_mut().zip(fields(row)?) {
            col.push(v);
        }
    }
    Ok(names
        .iter()
        .zip(values)
        .map(|(name, vals)| (name.to_string(), column_of(vals)))
        .collect())
}

fn column_of(vals: Vec<Value>) -> Column {
    let any = |f: fn(&Value) -> bool| vals.iter().any(f);
    if any(|v| matches!(v, Value::S(_))) {
        return Column::Text(vals.into_iter().map(Value::into_text).collect());
    }
    if any(|v| matches!(v, Value::F(_) | Value::U(_) | Value::Missing)) || vals.is_empty() {
        return Column::Float(
            vals.into_iter()
                .map(|v| match v {
                    Value::F(x) => x,
                    Value::I(i) => i as f64,
                    Value::U(u) => u as f64,
                    Value::B(b) => f64::from(u8::from(b)),
                    _ => f64::NAN,
                })
                .collect(),
        );
    }
    if vals.iter().all(|v| matches!(v, Value::B(_))) {
        return Column::Bool(
            vals.into_iter()
                .map(|v| matches!(v, Value::B(true)))
                .collect(),
        );
    }
    Column::Int(
        vals.into_iter()
            .map(|v| match v {
                Value::I(i) => i,
                Value::B(b) => i64::from(b),
                _ => 0,
            })
            .collect(),
    )
}

/// Read a CSV file written by engram as named columns (types from the text, see the module
/// documentation).
pub fn read_columns(path: &Path) -> Result<Vec<(String, Column)>> {
    let t = super::table::Table::read(path)?;
    Ok(t.header
        .iter()
        .enumerate()
        .map(|(c, name)| {
            let field = |i: usize| t.rows[i][c].trim();
            let n = t.rows.len();
            let col = if n > 0 && (0..n).all(|i| matches!(field(i), "true" | "false")) {
                Column::Bool((0..n).map(|i| field(i) == "true").collect())
            } else if (0..n).all(|i| field(i).is_empty() || field(i).parse::<f64>().is_ok()) {
                Column::Float(
                    (0..n)
                        .map(|i| field(i).parse::<f64>().unwrap_or(f64::NAN))
                        .collect(),
                )
            } else {
                Column::Text((0..n).map(|i| t.rows[i][c].clone()).collect())
            };
            (name.clone(), col)
        })
        .collect())
}

struct RowSer(Vec<Value>);
struct FieldSer;

impl SerializeStruct for RowSer {
    type Ok = Vec<Value>;
    type Error = SerErr;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        _: &'static str,
        value: &T,
    ) -> std::result::Result<(), SerErr> {
        self.0.push(value.serialize(FieldSer)?);
        Ok(())
    }
    fn end(self) -> std::result::Result<Vec<Value>, SerErr> {
        Ok(self.0)
    }
}

macro_rules! compounds {
    ($ok:ty) => {
        type SerializeSeq = Impossible<$ok, SerErr>;
        type SerializeTuple = Impossible<$ok, SerErr>;
        type SerializeTupleStruct = Impossible<$ok, SerErr>;
        type SerializeTupleVariant = Impossible<$ok, SerErr>;
        type SerializeMap = Impossible<$ok, SerErr>;
        type SerializeStructVariant = Impossible<$ok, SerErr>;
        fn serialize_seq(
            self,
            _: Option<usize>,
        ) -> std::result::Result<Self::SerializeSeq, SerErr> {
            flat()
        }
        fn serialize_tuple(self, _: usize) -> std::result::Result<Self::SerializeTuple, SerErr> {
            flat()
        }
        fn serialize_tuple_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> std::result::Result<Self::SerializeTupleStruct, SerErr> {
            flat()
        }
        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> std::result::Result<Self::SerializeTupleVariant, SerErr> {
            flat()
        }
        fn serialize_map(
            self,
            _: Option<usize>,
        ) -> std::result::Result<Self::SerializeMap, SerErr> {
            flat()
        }
        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> std::result::Result<Self::SerializeStructVariant, SerErr> {
            flat()
        }
        fn serialize_newtype_variant<T: Serialize + ?Sized>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> std::result::Result<$ok, SerErr> {
            flat()
        }
        fn serialize_bytes(self, _: &[u8]) -> std::result::Result<$ok, SerErr> {
            flat()
        }
    };
}

macro_rules! scalars {
    ($($m:ident($t:ty) => $e:expr),* $(,)?) => {
        $(fn $m(self, v: $t) -> std::result::Result<Value, SerErr> { Ok($e(v)) })*
    };
}

impl serde::Serializer for FieldSer {
    type Ok = Value;
    type Error = SerErr;
    type SerializeStruct = Impossible<Value, SerErr>;
    compounds!(Value);
    scalars!(
        serialize_bool(bool) => Value::B,
        serialize_i8(i8) => |v| Value::I(i64::from(v)),
        serialize_i16(i16) => |v| Value::I(i64::from(v)),
        serialize_i32(i32) => |v| Value::I(i64::from(v)),
        serialize_i64(i64) => Value::I,
        serialize_u8(u8) => |v| Value::I(i64::from(v)),
        serialize_u16(u16) => |v| Value::I(i64::from(v)),
        serialize_u32(u32) => |v| Value::I(i64::from(v)),
        serialize_u64(u64) => |v| i64::try_from(v).map_or(Value::U(v), Value::I),
        serialize_f32(f32) => |v| Value::F(f64::from(v)),
        serialize_f64(f64) => Value::F,
        serialize_char(char) => |v: char| Value::S(v.to_string()),
        serialize_str(&str) => |v: &str| Value::S(v.to_string()),
    );
    fn serialize_none(self) -> std::result::Result<Value, SerErr> {
        Ok(Value::Missing)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> std::result::Result<Value, SerErr> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> std::result::Result<Value, SerErr> {
        Ok(Value::Missing)
    }
    fn serialize_unit_struct(self, _: &'static str) -> std::result::Result<Value, SerErr> {
        Ok(Value::Missing)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> std::result::Result<Value, SerErr> {
        Ok(Value::S(variant.to_string()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> std::result::Result<Value, SerErr> {
        v.serialize(self)
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> std::result::Result<Self::SerializeStruct, SerErr> {
        flat()
    }
}

impl serde::Serializer for RowSer {
    type Ok = Vec<Value>;
    type Error = SerErr;
    type SerializeStruct = Self;
    compounds!(Vec<Value>);
    #[rustfmt::skip]
    fn serialize_bool(self, _: bool) -> std::result::Result<Vec<Value>, SerErr> { flat() }
    #[rustfmt::skip]
    fn serialize_i8(self, _: i8) -> std::result::Result<Vec<Value>, SerErr> { flat() }
    #[rustfmt::skip]
    fn serialize_i16(self, _: i16) -> std::result::Result<Vec<Value>, SerErr> { flat() }
    #[rustfmt::skip]
    fn serialize_i32(self, _: i32) -> std::result::Result<Vec<Value>, SerErr> { flat() }
    #[rustfmt::skip]
    fn serialize_i64(self, _: i64) -> std::result::Result<Vec<Value>, SerErr> { flat() }
    #[rustfmt::skip]
    fn serialize_u8(self, _: u8) -> std::result::Result<Vec<Value>, SerErr> { flat() }
    #[rustfmt::skip]
    fn serialize_u16(self, _: u16) -> std::result::Result<Vec<Value>, SerErr> { flat() }
    #[rustfmt::skip]
    fn serialize_u32(self, _: u32) -> std::result::Result<Vec<Value>, SerErr> { flat() }
    #[rustfmt::skip]
    fn serialize_u64(self, _: u64) -> std::result::Result<Vec<Value>, SerErr> { flat() }
    #[rustfmt::skip]
    fn serialize_f32(self, _: f32) -> std::result::Result<Vec<Value>, SerErr> { flat() }
    #[rustfmt::skip]
    fn serialize_f64(self, _: f64) -> std::result::Result<Vec<Value>, SerErr> { flat() }
    #[rustfmt::skip]
    fn serialize_char(self, _: char) -> std::result::Result<Vec<Value>, SerErr> { flat() }
    #[rustfmt::skip]
    fn serialize_str(self, _: &str) -> std::result::Result<Vec<Value>, SerErr> { flat() }
    #[rustfmt::skip]
    fn serialize_none(self) -> std::result::Result<Vec<Value>, SerErr> { flat() }
    fn serialize_some<T: Serialize + ?Sized>(
        self,
        _: &T,
    ) -> std::result::Result<Vec<Value>, SerErr> {
        flat()
    }
    #[rustfmt::skip]
    fn serialize_unit(self) -> std::result::Result<Vec<Value>, SerErr> { flat() }
    #[rustfmt::skip]
    fn serialize_unit_struct(self, _: &'static str) -> std::result::Result<Vec<Value>, SerErr> { flat() }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> std::result::Result<Vec<Value>, SerErr> {
        flat()
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> std::result::Result<Vec<Value>, SerErr> {
        v.serialize(self)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> std::result::Result<Self, SerErr> {
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize, serde::Deserialize)]
    struct Row {
        n: usize,
        x: f64,
        y: Option<f64>,
        ok: bool,
        name: String,
    }

    /// Each field type gives its column type; None and NaN are NaN; the CSV of the same rows
    /// reads back into the same columns (floats bit for bit), with whole numbers as floats.
    #[test]
    fn rows_and_their_csv_give_the_same_columns() {
        let rows = vec![
            Row {
                n: 3,
                x: 0.1 + 0.2,
                y: None,
                ok: true,
                name: "a".into(),
            },
            Row {
                n: 4,
                x: f64::NAN,
                y: Some(1e-300),
                ok: false,
                name: "b,c".into(),
            },
        ];
        let cols = columns(&rows).unwrap();
        let names: Vec<&str> = cols.iter().map(|c| c.0.as_str()).collect();
        assert_eq!(names, ["n", "x", "y", "ok", "name"]);
        assert_eq!(cols[0].1, Column::Int(vec![3, 4]));
        let Column::Float(x) = &cols[1].1 else {
            panic!()
        };
        assert_eq!(x[0].to_bits(), (0.1f64 + 0.2).to_bits());
        assert!(x[1].is_nan());
        let Column::Float(y) = &cols[2].1 else {
            panic!()
        };
        assert!(y[0].is_nan() && y[1] == 1e-300);
        assert_eq!(cols[3].1, Column::Bool(vec![true, false]));
        assert_eq!(cols[4].1, Column::Text(vec!["a".into(), "b,c".into()]));
        let dir = std::env::temp_dir().join(format!("engram-columns-{}", std::process::id()));
        let path = dir.join("t.csv");
        crate::io::write_atomic(&path, &crate::io::rows::to_csv(&rows).unwrap()).unwrap();
        let back = read_columns(&path).unwrap();
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(back[0].1, Column::Float(vec![3.0, 4.0]));
        let Column::Float(xb) = &back[1].1 else {
            panic!()
        };
        assert_eq!(xb[0].to_bits(), x[0].to_bits());
        assert_eq!(back[3].1, cols[3].1);
        assert_eq!(back[4].1, cols[4].1);
    }
}
