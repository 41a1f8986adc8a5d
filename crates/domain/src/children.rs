//! Child rows a record owns (an opportunity's product lines; later a quote's lines, a
//! contract's instalments) and computed fields.
//!
//! An object declares its kinds of child rows on its spec (`ObjectSpec::children`): a
//! [`ChildSpec`] names the table, the column pointing at the parent and the rows' fields as
//! [`FieldDef`]s, so rows are checked, stored, shown and edited the way record fields are. A
//! field, of the parent or of a row, may be [`Computed`]: the engine sets it on every write
//! of the record or its rows, and no form or API body may.
//!
//! Formulas are parsed by `evalexpr` and evaluated here on `rust_decimal`, exactly: the
//! crate's own evaluation is on floats, which money must never pass through.

use crate::fields::{FieldDef, FieldType, FieldValue};
use rust_decimal::Decimal;
use std::str::FromStr;

/// How a computed field gets its value.
#[derive(Debug, Clone, PartialEq)]
pub enum Computed {
    /// The sum of a field over the record's rows of one child kind (zero without rows).
    Sum {
        child: &'static str,
        field: &'static str,
    },
    /// How many rows of one child kind the record has.
    Count { child: &'static str },
    /// Arithmetic (`+ - * /`, parentheses, numbers) over the same record's or row's number,
    /// percent and money fields, by key; an empty field counts as zero. A money result is
    /// rounded half away from zero to its currency's places.
    Formula(&'static str),
}

/// One kind of child rows of an object.
#[derive(Debug, Clone)]
pub struct ChildSpec {
    /// The key of the rows in the parent's input and answers (`lines`).
    pub key: &'static str,
    pub label_zh: &'static str,
    pub label_en: &'static str,
    pub table: &'static str,
    /// The table's column holding the parent record's id.
    pub parent_column: &'static str,
    /// The rows' fields in column order, each with its `column`.
    pub fields: Vec<FieldDef>,
    /// The most rows one record may have.
    pub max_rows: usize,
    /// Number fields that must be greater than zero (a quantity).
    pub positive: &'static [&'static str],
}

impl ChildSpec {
    pub fn field(&self, key: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.key == key)
    }

    pub fn label(&self, zh: bool) -> &'static str {
        if zh {
            self.label_zh
        } else {
            self.label_en
        }
    }

    /// The fields a form or an API body gives (not computed, not system-set).
    pub fn input_fields(&self) -> impl Iterator<Item = &FieldDef> {
        self.fields.iter().filter(|f| !f.system)
    }
}

/// Why a formula could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormulaError {
    /// Not an expression (`evalexpr`'s message).
    Syntax(String),
    /// An operator or value formulas do not allow (comparisons, strings, functions…).
    Unsupported(String),
    DivisionByZero,
    Overflow,
}

impl std::fmt::Display for FormulaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FormulaError::Syntax(e) => write!(f, "not a formula: {e}"),
            FormulaError::Unsupported(what) => write!(f, "not allowed in a formula: {what}"),
            FormulaError::DivisionByZero => f.write_str("division by zero"),
            FormulaError::Overflow => f.write_str("the result is too large"),
        }
    }
}

impl std::error::Error for FormulaError {}

/// Evaluates `formula` exactly, reading each field it names with `value` (`None`: empty, zero).
pub fn evaluate(
    formula: &str,
    value: impl Fn(&str) -> Option<Decimal>,
) -> Result<Decimal, FormulaError> {
    let tree = evalexpr::build_operator_tree::<evalexpr::DefaultNumericTypes>(formula)
        .map_err(|e| FormulaError::Syntax(e.to_string()))?;
    eval_node(&tree, &value)
}

type Node = evalexpr::Node<evalexpr::DefaultNumericTypes>;

fn eval_node(
    node: &Node,
    value: &dyn Fn(&str) -> Option<Decimal>,
) -> Result<Decimal, FormulaError> {
    use evalexpr::{Operator, Value};
    let children = node.children();
    let arg = |i: usize| -> Result<Decimal, FormulaError> {
        let child = children
            .get(i)
            .ok_or_else(|| FormulaError::Syntax("an operand is missing".into()))?;
        eval_node(child, value)
    };
    let overflow = |r: Option<Decimal>| r.ok_or(FormulaError::Overflow);
    match node.operator() {
        Operator::RootNode if children.len() == 1 => arg(0),
        Operator::RootNode => Err(FormulaError::Syntax("one expression expected".into())),
        Operator::Add => overflow(arg(0)?.checked_add(arg(1)?)),
        Operator::Sub => overflow(arg(0)?.checked_sub(arg(1)?)),
        Operator::Mul => overflow(arg(0)?.checked_mul(arg(1)?)),
        Operator::Div => {
            let divisor = arg(1)?;
            if divisor.is_zero() {
                return Err(FormulaError::DivisionByZero);
            }
            overflow(arg(0)?.checked_div(divisor))
        }
        Operator::Neg => Ok(-arg(0)?),
        Operator::Const {
            value: Value::Int(i),
        } => Ok(Decimal::from(*i)),
        // A literal such as 0.5: its shortest text is the decimal that was written.
        Operator::Const {
            value: Value::Float(f),
        } => Decimal::from_str(&f.to_string())
            .or_else(|_| Decimal::from_scientific(&f.to_string()))
            .map_err(|_| FormulaError::Overflow),
        Operator::VariableIdentifierRead { identifier } => {
            Ok(value(identifier).unwrap_or(Decimal::ZERO))
        }
        other => Err(FormulaError::Unsupported(other.to_string())),
    }
}

/// A computed number as its field stores it: money rounded half away from zero to
/// `exponent` places, other numbers as they are.
pub fn as_field_value(field: &FieldDef, number: Decimal, exponent: u32) -> FieldValue {
    let number = match field.field_type {
        FieldType::Money => number.round_dp_with_strategy(
            exponent,
            rust_decimal::RoundingStrategy::MidpointAwayFromZero,
        ),
        _ => number.normalize(),
    };
    FieldValue::Decimal(number)
}

/// A numeric value among field values (number, percent or money).
pub fn number_of(value: Option<&FieldValue>) -> Option<Decimal> {
    match value {
        Some(FieldValue::Decimal(d)) => Some(*d),
        _ => None,
    }
}

/// A row field definition from its JSON description (the rows' fields are few and the
/// spec builder of `objects` is private to it).
fn row_field(def: serde_json::Value, computed: Option<Computed>) -> FieldDef {
    let mut field: FieldDef = serde_json::from_value(def).unwrap_or_else(|e| {
        // The literals below are this file's own: a typo is a programming error.
        panic!("invalid child field definition: {e}")
    });
    field.computed = computed;
    field
}

/// An opportunity's product lines (商机产品明细).
pub fn opportunity_lines() -> ChildSpec {
    use serde_json::json;
    let fields = vec![
        row_field(
            json!({"key": "product", "label_zh": "产品", "label_en": "Product",
                "field_type": "text", "required": true, "max_length": 200, "column": "product"}),
            None,
        ),
        row_field(
            json!({"key": "quantity", "label_zh": "数量", "label_en": "Quantity",
                "field_type": "number", "required": true, "max": "1000000000",
                "column": "quantity"}),
            None,
        ),
        row_field(
            json!({"key": "unit_price", "label_zh": "单价", "label_en": "Unit price",
                "field_type": "money", "required": true, "min": "0", "max": "1000000000000",
                "column": "unit_price_minor"}),
            None,
        ),
        row_field(
            json!({"key": "discount", "label_zh": "折扣 %", "label_en": "Discount %",
                "field_type": "percent", "min": "0", "max": "100", "column": "discount"}),
            None,
        ),
        row_field(
            json!({"key": "amount", "label_zh": "金额", "label_en": "Amount",
                "field_type": "money", "system": true, "column": "amount_minor"}),
            Some(Computed::Formula(
                "quantity * unit_price * (1 - discount / 100)",
            )),
        ),
    ];
    ChildSpec {
        key: "lines",
        label_zh: "产品明细",
        label_en: "Products",
        table: "opportunity_lines",
        parent_column: "opportunity_id",
        fields: fields
            .into_iter()
            .enumerate()
            .map(|(i, mut f)| {
                f.position = i as i32;
                f
            })
            .collect(),
        max_rows: 100,
        positive: &["quantity"],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<Decimal> + 'a {
        move |key| {
            vars.iter()
                .find(|(k, _)| *k == key)
                .and_then(|(_, v)| Decimal::from_str(v).ok())
        }
    }

    #[test]
    fn line_amounts_are_exact() {
        let formula = "quantity * unit_price * (1 - discount / 100)";
        let amount = evaluate(
            formula,
            with(&[("quantity", "3"), ("unit_price", "0.10"), ("discount", "0")]),
        )
        .unwrap();
        // On floats this is 0.30000000000000004.
        assert_eq!(amount, Decimal::from_str("0.3").unwrap());
        let amount = evaluate(
            formula,
            with(&[
                ("quantity", "3"),
                ("unit_price", "33.33"),
                ("discount", "12.5"),
            ]),
        )
        .unwrap();
        assert_eq!(amount, Decimal::from_str("87.49125").unwrap());
        let spec = opportunity_lines();
        let field = spec.field("amount").unwrap();
        assert_eq!(
            as_field_value(field, amount, 2),
            FieldValue::Decimal(Decimal::from_str("87.49").unwrap())
        );
        // Half a yen rounds away from zero.
        assert_eq!(
            as_field_value(field, Decimal::from_str("1234.5").unwrap(), 0),
            FieldValue::Decimal(Decimal::from(1235))
        );
        // An empty discount counts as none.
        let amount = evaluate(formula, with(&[("quantity", "2"), ("unit_price", "9.99")])).unwrap();
        assert_eq!(amount, Decimal::from_str("19.98").unwrap());
    }

    #[test]
    fn formulas_keep_to_arithmetic() {
        let none = with(&[]);
        assert_eq!(
            evaluate("-(2 + 3) * 0.5", &none),
            Ok(Decimal::from_str("-2.5").unwrap())
        );
        assert_eq!(evaluate("1 / 0", &none), Err(FormulaError::DivisionByZero));
        assert!(matches!(
            evaluate("1 +", &none),
            Err(FormulaError::Syntax(_))
        ));
        assert!(matches!(
            evaluate("a == 1", &none),
            Err(FormulaError::Unsupported(_))
        ));
        assert!(matches!(
            evaluate("\"x\"", &none),
            Err(FormulaError::Unsupported(_))
        ));
        assert!(matches!(
            evaluate("a = 1", &none),
            Err(FormulaError::Unsupported(_))
        ));
        assert!(matches!(
            evaluate("1; 2", &none),
            Err(FormulaError::Unsupported(_))
        ));
    }

    #[test]
    fn every_declared_formula_evaluates() {
        for spec in crate::permissions::ObjectKind::RECORDS
            .into_iter()
            .filter_map(crate::objects::spec)
        {
            let row_fields = spec.children.iter().flat_map(|c| c.fields.iter());
            for field in spec.fields.iter().chain(row_fields) {
                if let Some(Computed::Formula(f)) = &field.computed {
                    assert!(evaluate(f, |_| Some(Decimal::ONE)).is_ok(), "{}", field.key);
                    assert!(field.system, "{} is computed, so system-set", field.key);
                }
            }
        }
    }
}
